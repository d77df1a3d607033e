"""The command line of one rate's run, from the option table: what `--jobs N` starts in each child process."""

from __future__ import annotations

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.cli.options import options_of


def train_command(config: RunConfig) -> list[str]:
    """`train --headless` with every train option set as ``config`` has it, so the child runs exactly that config."""
    argv = ["train", "--headless"]
    for option in options_of("train"):
        if option.field is None:
            continue
        value = getattr(config, option.field)
        if option.switch:
            if value:
                argv.append(option.flag)
        elif value is not None:
            argv += [option.flag, repr(value) if isinstance(value, float) else str(value)]
    return argv
