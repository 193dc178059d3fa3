"""Benchmarks (not tests: nothing here runs under pytest). ``make bench`` runs them."""
