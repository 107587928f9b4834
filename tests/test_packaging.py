"""Packaging inputs are consistent: the PyInstaller spec, the icons, the desktop file.

Fast checks only; building the bundle itself is ``packaging/build_bundle.py``.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "headroom.spec"
ICON_DIR = REPO / "resources" / "icons"
SVG = ICON_DIR / "headroom.svg"
DESKTOP_FILE = REPO / "resources" / "headroom.desktop"
CEILING_ORANGE = (0xFF, 0x8A, 0x3D)
LOAD_GREEN = (0x3D, 0xDC, 0x97)


def load_script(name: str) -> ModuleType:
    """A module from packaging/ by path: that directory must not become a package named
    ``packaging``, which would shadow the PyPI library pip and PyInstaller import."""
    spec = importlib.util.spec_from_file_location(
        f"headroom_{name}", REPO / "packaging" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def render_icons() -> ModuleType:
    return load_script("render_icons")


@pytest.fixture(scope="module")
def build_bundle() -> ModuleType:
    return load_script("build_bundle")


@pytest.fixture(scope="module")
def spec_constants() -> dict[str, object]:
    """The spec's upper-case literal assignments (it parses as Python, or this fails)."""
    tree = ast.parse(SPEC.read_text(), filename=str(SPEC))
    constants = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()
        ):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # computed from SPECPATH, only known inside PyInstaller
    return constants


def image_array(image: object) -> np.ndarray:
    """Height x width x (B, G, R, A) uint8 array of a QImage (ARGB32, little-endian)."""
    from PySide6.QtGui import QImage

    converted = image.convertToFormat(QImage.Format.Format_ARGB32)
    height, width = converted.height(), converted.width()
    stride = converted.bytesPerLine()
    raw = np.frombuffer(converted.constBits(), dtype=np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, : width * 4].reshape(height, width, 4).copy()


def pixels_near(pixels: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    bgr = np.array(rgb[::-1], dtype=np.int16)
    close = np.abs(pixels[..., :3].astype(np.int16) - bgr).max(axis=-1) <= tolerance
    return int((close & (pixels[..., 3] > 200)).sum())


# --- the spec ---------------------------------------------------------------------------


def test_spec_names_files_that_exist(spec_constants: dict[str, object]) -> None:
    assert (REPO / str(spec_constants["ENTRY_SCRIPT"])).is_file()
    for source, _target in spec_constants["DATA_DIRS"]:
        assert (REPO / source).is_dir(), source
    for package in spec_constants["OWN_PACKAGES"]:
        assert (REPO / package / "__init__.py").is_file(), package


def test_spec_bundles_resources_the_app_and_desktop_need(
    spec_constants: dict[str, object],
) -> None:
    assert ("resources", "resources") in spec_constants["DATA_DIRS"]
    assert set(spec_constants["OWN_PACKAGES"]) == {"console", "models", "connectors"}


def test_spec_hidden_imports_are_installed(spec_constants: dict[str, object]) -> None:
    # A typo or a dependency dropped from pyproject.toml would only show up in a
    # bundle that fails at run time; find them here instead.
    missing = [
        name for name in spec_constants["HIDDEN_IMPORTS"] if importlib.util.find_spec(name) is None
    ]
    assert missing == []


def test_spec_keeps_qt_plugins_that_exist_in_this_pyside(
    spec_constants: dict[str, object],
) -> None:
    # After a PySide6 upgrade renames a plugin, the spec would silently drop it.
    import PySide6

    plugins = Path(PySide6.__file__).parent / "Qt" / "plugins"
    kept = spec_constants["QT_PLUGINS_KEPT"]
    assert {"libqoffscreen.so", "libqxcb.so"} <= set(kept["platforms"])
    assert "libqsvg.so" in kept["imageformats"]
    missing = [
        f"{kind}/{name}"
        for kind, names in kept.items()
        for name in names
        if not (plugins / kind / name).is_file()
    ]
    assert missing == []


def test_spec_does_not_drop_what_the_console_needs(spec_constants: dict[str, object]) -> None:
    from fnmatch import fnmatch

    needed = [
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "pyarrow/libparquet.so.2600",
        "pyarrow/libarrow.so.2600",
        "resources/icons/headroom.svg",
    ]
    patterns = spec_constants["DROPPED_PATHS"]
    dropped = [path for path in needed if any(fnmatch(path, p) for p in patterns)]
    assert dropped == []


def test_packaging_directory_is_not_a_python_package() -> None:
    # packaging/__init__.py would shadow the PyPI "packaging" library for pip and PyInstaller.
    assert not (REPO / "packaging" / "__init__.py").exists()


# --- the icon ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [16, 32, 48, 64, 128, 256])
def test_png_icon_exists_with_its_size(qapp, render_icons: ModuleType, size: int) -> None:
    from PySide6.QtGui import QImage

    path = render_icons.png_path(size)
    image = QImage(str(path))
    assert not image.isNull(), f"{path} missing or unreadable"
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()


@pytest.mark.parametrize("size", [16, 48, 256])
def test_png_icon_is_a_current_render_of_the_svg(qapp, render_icons: ModuleType, size: int) -> None:
    from PySide6.QtGui import QImage

    committed = image_array(QImage(str(render_icons.png_path(size))))
    fresh = image_array(render_icons.render_svg(SVG, size))
    difference = np.abs(committed.astype(np.int16) - fresh.astype(np.int16))
    # antialiasing may differ by a few levels between Qt builds; an edited SVG
    # that was not re-rendered differs by far more
    assert difference.mean() < 2.0, "run: .venv/bin/python packaging/render_icons.py"


def test_svg_renders_a_recognisable_icon(qapp, render_icons: ModuleType) -> None:
    pixels = image_array(render_icons.render_svg(SVG, 64))
    alpha = pixels[..., 3]
    assert (alpha > 200).mean() > 0.7  # a solid tile, not an empty image
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # rounded corners stay transparent
    assert pixels_near(pixels, CEILING_ORANGE) > 40  # the ceiling line
    assert pixels_near(pixels, LOAD_GREEN) > 40  # the load line


def test_ceiling_stays_visible_at_16_px(qapp, render_icons: ModuleType) -> None:
    pixels = image_array(render_icons.render_svg(SVG, 16))
    rows_with_ceiling = [
        row for row in range(16) if pixels_near(pixels[row : row + 1], CEILING_ORANGE, 30) >= 8
    ]
    assert rows_with_ceiling, "ceiling line smeared away at 16 px"
    # above the load line: every green pixel is below the ceiling
    green_rows = [row for row in range(16) if pixels_near(pixels[row : row + 1], LOAD_GREEN) > 0]
    assert min(green_rows) > max(rows_with_ceiling)


def test_render_rejects_a_file_that_is_not_svg(
    qapp, render_icons: ModuleType, tmp_path: Path
) -> None:
    bogus = tmp_path / "broken.svg"
    bogus.write_text("this is not <svg")
    with pytest.raises(render_icons.IconRenderError) as raised:
        render_icons.render_svg(bogus, 32)
    assert raised.value.path == bogus


def test_render_all_writes_every_size(qapp, render_icons: ModuleType, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    written = render_icons.render_all(SVG, tmp_path)
    assert [QImage(str(path)).width() for path in written] == list(render_icons.SIZES)


# --- the desktop entry ------------------------------------------------------------------


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read_string(DESKTOP_FILE.read_text())
    return parser["Desktop Entry"]


def test_desktop_file_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate not installed (Debian: desktop-file-utils)")
    result = subprocess.run(
        [validator, str(DESKTOP_FILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_file_launches_the_installed_command_with_our_icon() -> None:
    entry = desktop_entry()
    with (REPO / "pyproject.toml").open("rb") as file:
        scripts = tomllib.load(file)["project"]["scripts"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] in scripts
    assert (ICON_DIR / f"{entry['Icon']}.svg").is_file()
    assert entry["Terminal"] == "false"
    assert {"System", "Monitor"} <= set(entry["Categories"].strip(";").split(";"))
    assert entry["StartupWMClass"]


def test_bundle_checker_reads_the_desktop_wm_class(build_bundle: ModuleType) -> None:
    assert build_bundle.desktop_wm_class() == desktop_entry()["StartupWMClass"]


def test_bundle_checker_finds_window_classes_in_xwininfo_output(
    build_bundle: ModuleType,
) -> None:
    listing = """
xwininfo: Window id: 0x3ee (the root window) (has no name)

  Root window id: 0x3ee (the root window) (has no name)
  Parent window id: 0x0 (none)
     2 children:
     0x200007 "Headroom": ("headroom" "Headroom")  1280x800+0+0  +0+0
     0x200001 (has no name): ()  1x1+-1+-1  +-1+-1
"""
    assert build_bundle.classes_in_tree(listing) == {"Headroom"}
    assert build_bundle.classes_in_tree("no windows") == set()


def test_bundle_checker_sizes_are_human(build_bundle: ModuleType) -> None:
    assert build_bundle.human_size(512) == "512.0 B"
    assert build_bundle.human_size(3 * 2**20) == "3.0 MiB"
    assert build_bundle.human_size(5 * 2**30) == "5.00 GiB"


def test_bundle_checker_judges_output_csv_files(build_bundle: ModuleType, tmp_path: Path) -> None:
    metric = tmp_path / "metric.csv"
    build_bundle.write_metric_csv(metric, rows=50)
    assert build_bundle.csv_rows_problem(metric, 50, "value") == ""
    assert "50 rows, expected 12" in build_bundle.csv_rows_problem(metric, 12, "value")
    assert "bad mean" in build_bundle.csv_rows_problem(metric, 50, "mean")
    assert "not written" in build_bundle.csv_rows_problem(tmp_path / "absent.csv", 1, "value")
    metric.write_text("timestamp,value\n1,nan\n")
    assert "non-finite" in build_bundle.csv_rows_problem(metric, 1, "value")
