"""``python -m dropout_tui.tui.cli``: what a sweep's child processes and the tests run."""

import sys

from dropout_tui.tui.cli.main import main

if __name__ == "__main__":  # importing it (as tests that import every module do) runs nothing
    sys.exit(main())
