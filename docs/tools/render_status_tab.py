"""Renders the demo workbook's Status tab to docs/status-tab.png, as the README shows it.

Needs LibreOffice (`soffice`) and poppler (`pdftoppm`) from Debian, and Pillow (a
matplotlib dependency). Run `make demo` first, then:
    .venv/bin/python docs/tools/render_status_tab.py demo/team-metrics.xlsx docs/status-tab.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from PIL import Image, ImageChops


def status_only(workbook: Path, out: Path) -> None:
    """A copy with only the Status tab, fitted to one landscape page."""
    book = openpyxl.load_workbook(workbook)
    for name in list(book.sheetnames):
        if name != "Status":
            book.remove(book[name])
    ws = book["Status"]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    margins = ws.page_margins
    margins.left = margins.right = margins.top = margins.bottom = 0.2
    book.save(out)


def crop(png: Path, out: Path, pad: int = 16) -> None:
    image = Image.open(png).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    assert box is not None, "the page is blank"
    image = image.crop(
        (
            max(box[0] - pad, 0),
            max(box[1] - pad, 0),
            min(box[2] + pad, image.width),
            min(box[3] + pad, image.height),
        )
    )
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


def main(workbook: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        status_only(workbook, folder / "status.xlsx")
        subprocess.run(
            [
                "soffice",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(folder / "status.xlsx"),
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "150",
                "-singlefile",
                str(folder / "status.pdf"),
                str(folder / "status"),
            ],
            check=True,
        )
        crop(folder / "status.png", out)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
