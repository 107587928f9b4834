"""Build the one-folder bundle packaging/dist/headroom/ and check that it runs.

    python3 packaging/build_bundle.py               # build from headroom.spec, then check
    python3 packaging/build_bundle.py --skip-build  # only check an existing bundle

Re-executes itself with the project venv (.venv/bin/python, which has PyInstaller
from the ``packaging`` extra). The checks run the bundled ``headroom`` with
``--version`` and ``--help``; ``collect`` into Parquet (psutil, pyarrow);
``forecast`` with ets, arima and gbm and ``detect`` (statsmodels and scikit-learn,
which are imported lazily); and, once the console exists (console/app.py),
``--smoke-test`` offscreen and, when Xvfb is installed, on a private X display,
where the window's WM_CLASS must match the desktop file's StartupWMClass. ldd
checks that every bundled library finds the libraries it links to.
Every run gets temporary config/data/XDG directories and a null keyring, so the
checks never read or write the user's real settings, store or secrets.
Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
SPEC = REPO / "packaging" / "headroom.spec"
DIST = REPO / "packaging" / "dist"
WORK = REPO / "packaging" / "build"
BUNDLE = DIST / "headroom"
EXECUTABLE = BUNDLE / "headroom"
# PyInstaller >= 6 keeps everything but the executable in this directory.
CONTENTS = BUNDLE / "_internal"
BUNDLED_RESOURCES = ("resources/headroom.desktop", "resources/icons/headroom.svg")
APP_MODULE = REPO / "console" / "app.py"
DESKTOP_FILE = REPO / "resources" / "headroom.desktop"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: str  # "pass", "FAIL" or "skipped"
    seconds: float
    detail: str = ""


def ensure_venv_python() -> None:
    """Re-run this script under the project venv when started with another Python."""
    venv_python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve() or not venv_python.exists():
        return
    os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])


def project_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def build() -> float:
    """Run PyInstaller on the spec from a clean work dir; returns the wall time in seconds."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        f"--distpath={DIST}",
        f"--workpath={WORK}",
        str(SPEC),
    ]
    print("building:", " ".join(command), flush=True)
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True)
    return time.perf_counter() - start


def tree_size(path: Path) -> int:
    """Bytes on disk of every regular file below ``path`` (what ``du -sb`` counts, roughly)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"


def unresolved_libraries() -> list[str]:
    """Libraries a bundled ELF file needs that neither the bundle nor this system provides.

    Catches a library dropped from the spec that something kept still links to.
    The frozen app finds its libraries in CONTENTS, so ldd is told to look there too.
    """
    env = dict(os.environ, LD_LIBRARY_PATH=str(CONTENTS))
    files = [EXECUTABLE, *sorted(CONTENTS.rglob("*.so*"))]
    missing = set()
    for path in files:
        if path.is_symlink() or not path.is_file():
            continue
        listing = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        ).stdout
        missing |= {
            f"{line.split()[0]} (needed by {path.relative_to(BUNDLE)})"
            for line in listing.splitlines()
            if "=> not found" in line
        }
    return sorted(missing)


def library_check() -> CheckResult:
    if not shutil.which("ldd"):
        return CheckResult("shared libraries resolve", "skipped", 0.0, "ldd not installed")
    start = time.perf_counter()
    missing = unresolved_libraries()
    detail = "; ".join(missing[:5]) + (f" (+{len(missing) - 5} more)" if len(missing) > 5 else "")
    return CheckResult(
        "shared libraries resolve",
        "FAIL" if missing else "pass",
        time.perf_counter() - start,
        detail,
    )


def isolated_env(home: Path, platform: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HEADROOM_CONFIG_DIR=str(home / "config"),
        HEADROOM_DATA_DIR=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CACHE_HOME=str(home / "xdg-cache"),
        # keyring's own switch: never reach the desktop's secret store from a check
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        QT_QPA_PLATFORM=platform,
    )
    return env


def run_check(
    name: str,
    args: list[str],
    timeout: float,
    accept: Callable[[subprocess.CompletedProcess[str]], str],
    platform: str = "offscreen",
    home: Path | None = None,
) -> CheckResult:
    """Run the bundled executable; ``accept`` returns "" when the run is right, else why not.
    ``home`` holds the run's config/data dirs (default: a temporary directory)."""
    with tempfile.TemporaryDirectory(prefix="headroom-bundle-check-") as scratch:
        env = isolated_env(home or Path(scratch), platform)
        start = time.perf_counter()
        try:
            completed = subprocess.run(
                [str(EXECUTABLE), *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return CheckResult(name, "FAIL", time.perf_counter() - start, f"no exit in {timeout}s")
        seconds = time.perf_counter() - start
    problem = accept(completed)
    if problem:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        return CheckResult(name, "FAIL", seconds, "; ".join([problem, *tail]))
    return CheckResult(name, "pass", seconds)


def exit_zero_with(text: str) -> Callable[[subprocess.CompletedProcess[str]], str]:
    def accept(completed: subprocess.CompletedProcess[str]) -> str:
        if completed.returncode != 0:
            return f"exit code {completed.returncode}"
        if text not in completed.stdout:
            return f"{text!r} not in output"
        return ""

    return accept


@contextmanager
def private_x_display() -> Iterator[str]:
    """A throwaway Xvfb server; yields its DISPLAY value."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()  # Xvfb writes it once it accepts clients
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def parquet_check() -> CheckResult:
    """``headroom collect`` into a .parquet file: psutil and the trimmed pyarrow both work."""
    name = "collect --out samples.parquet"
    with tempfile.TemporaryDirectory(prefix="headroom-bundle-check-") as home:
        out = Path(home) / "samples.parquet"
        args = ["collect", "--seconds", "1", "--interval", "0.5", "--out", str(out)]
        result = run_check(name, args, 60, exit_zero_with(""), home=Path(home))
        if result.status != "pass":
            return result
        import pyarrow.parquet  # the venv's own reader, a second opinion on the file

        try:
            table = pyarrow.parquet.read_table(out)
        except (OSError, ValueError) as error:
            return CheckResult(name, "FAIL", result.seconds, f"unreadable Parquet: {error}")
        if table.num_rows == 0 or "value" not in table.column_names:
            detail = f"{table.num_rows} rows, columns {table.column_names}"
            return CheckResult(name, "FAIL", result.seconds, detail)
        return CheckResult(name, "pass", result.seconds, f"{table.num_rows} rows")


def write_metric_csv(path: Path, rows: int = 400) -> None:
    """A daily-looking wave sampled each minute: enough shape for every forecaster."""
    lines = ["timestamp,value"]
    for step in range(rows):
        wave = 20 * math.sin(step / 24 * 2 * math.pi) + 3 * math.sin(step * 1.7)
        lines.append(f"{1_700_000_000 + 60 * step},{50 + wave:.3f}")
    path.write_text("\n".join(lines) + "\n")


def csv_rows_problem(path: Path, wanted_rows: int, column: str) -> str:
    """ "" when ``path`` has ``wanted_rows`` data rows with finite numbers in ``column``."""
    if not path.is_file():
        return f"{path.name} not written"
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    if len(rows) != wanted_rows:
        return f"{path.name}: {len(rows)} rows, expected {wanted_rows}"
    try:
        if not all(math.isfinite(float(row[column])) for row in rows):
            return f"{path.name}: non-finite {column}"
    except (KeyError, ValueError) as error:
        return f"{path.name}: bad {column}: {error}"
    return ""


def model_checks() -> list[CheckResult]:
    """Forecasts and anomaly scores from the bundle: statsmodels and scikit-learn are
    imported lazily, so only running them proves the bundle has what they need."""
    horizon = 12
    cases = [
        (
            f"forecast --model {model}",
            ["forecast", "--horizon", str(horizon), "--model", model],
            horizon,
            "mean",
        )
        for model in ("ets", "arima", "gbm")
    ]
    cases.append(("detect", ["detect"], 400, "anomaly_score"))
    results = []
    for name, args, wanted_rows, column in cases:
        with tempfile.TemporaryDirectory(prefix="headroom-bundle-check-") as home:
            metric, out = Path(home) / "metric.csv", Path(home) / "out.csv"
            write_metric_csv(metric)
            result = run_check(
                name,
                [*args, "--out", str(out), str(metric)],
                180,
                exit_zero_with(""),
                home=Path(home),
            )
            if result.status == "pass" and (problem := csv_rows_problem(out, wanted_rows, column)):
                result = CheckResult(name, "FAIL", result.seconds, problem)
        results.append(result)
    return results


def desktop_wm_class() -> str:
    """The StartupWMClass the desktop file promises (what the window must report)."""
    for line in DESKTOP_FILE.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "StartupWMClass":
            return value.strip()
    return ""


def window_classes(display: str) -> set[str]:
    """WM_CLASS class names of the windows on ``display`` (xwininfo prints them)."""
    listing = subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env=dict(os.environ, DISPLAY=display),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return classes_in_tree(listing)


def classes_in_tree(listing: str) -> set[str]:
    """Class names in ``xwininfo -tree`` output, whose window lines read like
    ``0x1e00007 "Headroom": ("headroom" "Headroom")  1280x800+0+0  +0+0``."""
    return set(re.findall(r'\("[^"]*" "([^"]*)"\)', listing))


def xcb_smoke_checks(timeout: float) -> list[CheckResult]:
    """Smoke test on a real X server (the xcb plugin and its libraries), noting WM_CLASS."""
    names = ("--smoke-test (xcb on Xvfb)", "window WM_CLASS = desktop StartupWMClass")
    if not (shutil.which("Xvfb") and shutil.which("xwininfo")):
        return [CheckResult(name, "skipped", 0.0, "Xvfb or xwininfo missing") for name in names]
    classes: set[str] = set()
    with (
        tempfile.TemporaryDirectory(prefix="headroom-bundle-check-") as home,
        private_x_display() as display,
    ):
        env = isolated_env(Path(home), "xcb") | {"DISPLAY": display}
        start = time.perf_counter()
        process = subprocess.Popen(
            [str(EXECUTABLE), "--smoke-test"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # poll while the window is up; the smoke test closes it within seconds
        while process.poll() is None and time.perf_counter() - start < timeout:
            classes |= window_classes(display)
            time.sleep(0.2)
        if process.poll() is None:
            process.kill()
        output, _ = process.communicate()
        seconds = time.perf_counter() - start
    if process.returncode == 0:
        smoke = CheckResult(names[0], "pass", seconds)
    else:
        tail = "; ".join(output.strip().splitlines()[-5:])
        smoke = CheckResult(names[0], "FAIL", seconds, f"exit code {process.returncode}; {tail}")
    wanted = desktop_wm_class()
    seen = ", ".join(sorted(classes)) or "no window seen"
    wm_class = CheckResult(
        names[1], "pass" if wanted in classes else "FAIL", 0.0, f"want {wanted!r}, saw {seen}"
    )
    return [smoke, wm_class]


def smoke_checks(timeout: float) -> list[CheckResult]:
    if not APP_MODULE.exists():
        reason = "console/app.py does not exist yet"
        return [CheckResult("--smoke-test (offscreen)", "skipped", 0.0, reason)]
    offscreen = run_check("--smoke-test (offscreen)", ["--smoke-test"], timeout, exit_zero_with(""))
    try:
        return [offscreen, *xcb_smoke_checks(timeout)]
    except RuntimeError as error:  # Xvfb did not come up
        return [offscreen, CheckResult("--smoke-test (xcb on Xvfb)", "FAIL", 0.0, str(error))]


def bundle_checks(smoke_timeout: float) -> list[CheckResult]:
    version = project_version()
    missing = [name for name in BUNDLED_RESOURCES if not (CONTENTS / name).is_file()]
    results = [
        CheckResult(
            "resources bundled",
            "FAIL" if missing else "pass",
            0.0,
            f"missing under {CONTENTS}: {', '.join(missing)}" if missing else "",
        ),
        library_check(),
        run_check("--version", ["--version"], 60, exit_zero_with(f"headroom {version}")),
        run_check("--help", ["--help"], 60, exit_zero_with("usage: headroom")),
        parquet_check(),
        *model_checks(),
    ]
    return results + smoke_checks(smoke_timeout)


def report(results: list[CheckResult], build_seconds: float | None) -> None:
    print()
    print(f"bundle:      {BUNDLE}")
    if build_seconds is not None:
        print(f"build time:  {build_seconds:.1f} s")
    print(f"bundle size: {human_size(tree_size(BUNDLE))}")
    width = max(len(result.name) for result in results)
    for result in results:
        line = f"  {result.status:<7} {result.name:<{width}}  {result.seconds:6.1f} s"
        print(f"{line}  {result.detail}" if result.detail else line)
    failed = sum(result.status == "FAIL" for result in results)
    print("RESULT:", "FAIL" if failed else "pass", f"({failed} failed)" if failed else "")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="check the existing bundle")
    parser.add_argument(
        "--smoke-timeout",
        type=float,
        default=120.0,
        help="seconds one --smoke-test run may take (default 120)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    build_seconds = None
    if not args.skip_build:
        try:
            build_seconds = build()
        except subprocess.CalledProcessError as error:
            print(f"build_bundle: PyInstaller failed with exit code {error.returncode}")
            return 1
    if not EXECUTABLE.exists():
        print(f"build_bundle: no bundle at {EXECUTABLE}; run without --skip-build", file=sys.stderr)
        return 2
    results = bundle_checks(args.smoke_timeout)
    report(results, build_seconds)
    return 1 if any(result.status == "FAIL" for result in results) else 0


if __name__ == "__main__":
    ensure_venv_python()
    sys.exit(main(sys.argv[1:]))
