"""Dark and light themes for the Qt widgets and the pyqtgraph charts.

``"system"`` follows the desktop's colour scheme (Qt 6.5+ ``QStyleHints.colorScheme``);
the View menu overrides it. Charts read their colours from :class:`Theme` so a
switch repaints them without recreating any plot item.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    name: str  # "dark" or "light"
    window: str
    base: str
    text: str
    muted: str
    highlight: str
    chart_background: str
    chart_foreground: str
    grid_alpha: float
    series: tuple[str, ...]  # colour-blind friendly cycle, tuned per background
    envelope_alpha: int  # 0-255: min/max band behind a downsampled series
    error: str


DARK = Theme(
    name="dark",
    window="#1e2127",
    base="#16181d",
    text="#e6e6e6",
    muted="#9aa0a6",
    highlight="#3d7be0",
    chart_background="#16181d",
    chart_foreground="#c8ccd2",
    grid_alpha=0.18,
    series=("#4e9cf5", "#f5a742", "#4cc38a", "#e5605b", "#b48ef0", "#42c7d6", "#e3d35b", "#f07fb4"),
    envelope_alpha=60,
    error="#ff6b6b",
)

LIGHT = Theme(
    name="light",
    window="#f3f4f6",
    base="#ffffff",
    text="#1f2328",
    muted="#5f6670",
    highlight="#1f6feb",
    chart_background="#ffffff",
    chart_foreground="#3a3f45",
    grid_alpha=0.22,
    series=("#1f6feb", "#d9730d", "#1a7f4b", "#cf2e2e", "#7a4cc2", "#0b8a9c", "#a68a00", "#c2417f"),
    envelope_alpha=55,
    error="#c62828",
)

THEMES = {"dark": DARK, "light": LIGHT}


def system_scheme() -> str:
    """``"dark"`` or ``"light"`` as the desktop asks; light when the platform does not say."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def resolve(choice: str) -> Theme:
    """The theme for a settings value: ``"system"``, ``"dark"`` or ``"light"``."""
    if choice in THEMES:
        return THEMES[choice]
    return THEMES[system_scheme()]


def apply_to_application(app: QApplication, theme: Theme) -> None:
    """Fusion style plus a full palette, so every platform renders the same."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.window,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Link: theme.highlight,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    app.setPalette(palette)
    # Fusion barely marks a checked tool button in dark palettes: make the chosen window obvious.
    app.setStyleSheet(
        f"QToolButton:checked {{ background: {theme.highlight}; color: #ffffff;"
        f" border: 1px solid {theme.highlight}; border-radius: 3px; }}"
    )
    app.setProperty("headroomTheme", theme.name)
