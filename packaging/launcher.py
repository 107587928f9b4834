"""Entry point PyInstaller freezes into ``headroom``: the same ``main`` as the console script."""

from __future__ import annotations

import multiprocessing
import sys

from console.cli.main import main

if __name__ == "__main__":
    # scikit-learn/joblib may start worker processes; in a frozen app they re-run this
    # executable, and freeze_support() turns those runs into workers, not new consoles.
    multiprocessing.freeze_support()
    sys.exit(main())
