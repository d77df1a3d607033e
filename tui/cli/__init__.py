"""The command line: options, commands, the headless runners and how the process ends, apart from the screens.

``dropout-tui`` is ``main`` (the console script ``dropout_tui.tui.cli:main``; ``python -m dropout_tui.tui.cli``).
"""

from dropout_tui.tui.collector import collect_less

collect_less()  # before the imports below: they are most of start-up's allocations

from dropout_tui.tui.cli.main import build_parser, main  # noqa: E402

__all__ = ["build_parser", "main"]
