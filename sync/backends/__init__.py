"""Workbook backends: plain grids in, cell updates out."""
