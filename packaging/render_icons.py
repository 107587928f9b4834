"""Render resources/icons/headroom.svg to the PNG sizes desktops and PyInstaller want.

    .venv/bin/python packaging/render_icons.py

Writes ``resources/icons/headroom-<size>.png``; the PNGs are committed so neither
the bundle build nor an install needs Qt's SVG renderer at run time. Re-run after
editing the SVG (tests/test_packaging.py fails when a PNG drifts from the SVG).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Rendering needs no display; keep the caller's platform if it chose one.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ICON_DIR = REPO / "resources" / "icons"
SVG = ICON_DIR / "headroom.svg"
SIZES = (16, 32, 48, 64, 128, 256)


class IconRenderError(Exception):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def png_path(size: int, icon_dir: Path = ICON_DIR) -> Path:
    return icon_dir / f"headroom-{size}.png"


def render_svg(svg: Path, size: int) -> QImage:
    """The SVG drawn into a transparent ``size`` x ``size`` image."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise IconRenderError(svg, "not a valid SVG for QSvgRenderer")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def render_all(svg: Path = SVG, icon_dir: Path = ICON_DIR) -> list[Path]:
    written = []
    for size in SIZES:
        target = png_path(size, icon_dir)
        if not render_svg(svg, size).save(str(target), "PNG"):
            raise IconRenderError(target, "could not write PNG")
        written.append(target)
    return written


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    try:
        written = render_all()
    except IconRenderError as error:
        print(f"render_icons: error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
