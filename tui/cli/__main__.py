"""``python -m dropout_tui.tui.cli``: what a sweep's child processes and the tests run."""

import sys

from dropout_tui.tui.cli.main import main

sys.exit(main())
