"""Every key of the app, once: the table that BINDINGS, the footer, the command palette, the help screen and
README's key table are built from (tests/tui/test_documented_keys.py checks README against it).

Textual-free apart from building ``Binding`` objects, so the help text and the README check need no running app.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from dropout_tui.engine.limits import RATE_STEP

if TYPE_CHECKING:
    from textual.dom import DOMNode

MAIN, EXPLAIN, HELP, EVERYWHERE = "main screen", "Explain screen", "help screen", "everywhere"
UNCERTAINTY = "Uncertainty screen"
SWEEP = "sweep / compare"  # dropout-tui sweep and compare: their own app (tui/sweep/app.py)
EXIT_INTERRUPTED = 130  # ctrl+c: like a shell's Ctrl+C (128 + SIGINT)
COMMAND_PALETTE = "command_palette"  # Textual's own binding: documented here, bound by Textual


@dataclass(frozen=True)
class Key:
    """One key on one screen: what it runs and how it is described."""

    key: str  # Textual's key name: "plus", "question_mark", "ctrl+c"
    action: str  # the action it runs, arguments included: "rate(1)"
    description: str  # README, the help screen and the palette; short: the help shows two columns at 80 wide
    where: str  # MAIN, EXPLAIN, UNCERTAINTY, HELP or EVERYWHERE
    footer: str = ""  # the footer's label; empty: not in the footer
    group: str = ""  # footer keys with one group share one label ("+-Rate")
    display: str = ""  # how the key is written when it differs from ``key``
    priority: bool = False  # bound before any widget or screen sees the key
    footer_on: str = ""  # the footer's label while what the key toggles is on (space: "Resume" while paused)

    @property
    def shown(self) -> str:
        return self.display or self.key

    @property
    def action_name(self) -> str:
        return self.action.split("(")[0]

    def binding(self, namespace: str = "") -> Binding:
        """The Textual binding; ``namespace`` ("app") runs the action there rather than on the screen bound to."""
        group = Binding.Group(self.group, compact=True) if self.group else None
        return Binding(
            self.key,
            f"{namespace}.{self.action}" if namespace else self.action,
            self.footer or self.description,
            show=bool(self.footer),
            key_display=self.display or None,
            priority=self.priority,
            group=group,
        )


_STEP = f"{RATE_STEP:g}"

# Footer order: at 80 columns only the first few fit, so how to quit and where the help is come first.
KEYS: tuple[Key, ...] = (
    Key("q", "quit", "quit (exit 0, or 1 if failed)", MAIN, footer="Quit"),
    Key("question_mark", "help", "this help: keys, panes, modes", EVERYWHERE, footer="Help", display="?"),
    Key("space", "pause", "pause / resume training", MAIN, footer="Pause", footer_on="Resume"),
    Key("plus", "rate(1)", f"every dropout rate +{_STEP}", MAIN, footer="Rate", group="Rate", display="+"),
    Key("minus", "rate(-1)", f"every dropout rate -{_STEP}", MAIN, footer="Rate", group="Rate", display="-"),
    Key("t", "samples(0.5)", "halve the MC samples T", MAIN, footer="T", group="T"),
    Key("T", "samples(2)", "double the MC samples T", MAIN, footer="T", group="T"),
    Key("w", "explain", "why? the Explain screen", MAIN, footer="Why"),
    Key("c", "uncertainty", "uncertainty: calibration, OOD", MAIN),
    Key("e", "export", "export results JSON + SVG", MAIN, footer="Export"),
    Key("l", "toggle_log", "log pane / modes table", MAIN, footer="Log"),
    Key("s", "step", "step one epoch while paused", MAIN),
    Key("x", "stop", "stop training; probing goes on", MAIN),
    Key("n", "probe('next')", "probe the next test sample", MAIN),
    Key("p", "probe('prev')", "probe the previous test sample", MAIN),
    Key("u", "probe('most_uncertain')", "probe the most uncertain sample", MAIN),
    Key("r", "probe('redraw')", "redraw the probe's T passes", MAIN),
    Key("d", "toggle_theme", "light / dark theme", EVERYWHERE),
    Key("ctrl+p", COMMAND_PALETTE, "command palette: every action", EVERYWHERE),
    Key("ctrl+c", f"quit({EXIT_INTERRUPTED})", "quit from anywhere (exit 130)", EVERYWHERE, priority=True),
    Key("r", "rerun", "rerun the experiments", EXPLAIN, footer="Rerun"),
    Key("escape", "close", "close this screen", EXPLAIN, footer="Close"),
    Key("w", "close", "close this screen", EXPLAIN),
    Key("q", "close", "close this screen", EXPLAIN),
    Key("e", "export", "export results JSON + SVG of this screen", UNCERTAINTY, footer="Export"),
    Key("m", "method(1)", "reliability diagram: next method", UNCERTAINTY, footer="Method", group="Method"),
    Key("M", "method(-1)", "reliability diagram: previous method", UNCERTAINTY, footer="Method", group="Method"),
    Key("s", "tables", "methods / scores table (small terminals)", UNCERTAINTY, footer="Table", group="Table"),
    Key("escape", "close", "close this screen", UNCERTAINTY, footer="Close"),
    Key("c", "close", "close this screen", UNCERTAINTY),
    Key("q", "close", "close this screen", UNCERTAINTY),
    Key("q", "quit", "quit (exit 0, or 1 if failed)", SWEEP, footer="Quit"),
    Key("space", "pause", "pause / resume the sweep", SWEEP, footer="Pause", footer_on="Resume"),
    Key("m", "metric(1)", "chart the next metric", SWEEP, footer="Metric", group="Metric"),
    Key("M", "metric(-1)", "chart the previous metric", SWEEP, footer="Metric", group="Metric"),
    Key("e", "export", "export every rate: JSON + SVG", SWEEP, footer="Export"),
    Key("x", "stop", "stop: evaluate this run, skip the rest", SWEEP, footer="Stop"),
    Key("down", "scroll(1)", "scroll the table down", SWEEP, display="↓"),
    Key("up", "scroll(-1)", "scroll the table up", SWEEP, display="↑"),
    Key("escape", "dismiss", "close this screen", HELP),
    Key("question_mark", "dismiss", "close this screen", HELP, display="?"),
    Key("q", "dismiss", "close this screen", HELP),
)


def keys_for(where: str) -> tuple[Key, ...]:
    return tuple(key for key in KEYS if key.where == where)


def bindings(*where: str, namespace: str = "") -> list[BindingType]:
    """The BINDINGS of a screen or an app, in KEYS order (the footer's); ``namespace``: see Key.binding."""
    return [key.binding(namespace) for key in KEYS if key.where in where and key.action != COMMAND_PALETTE]


def show_toggled(node: DOMNode, on: bool) -> None:
    """Relabel the footer keys of ``node``'s bindings that toggle something (space: Pause, or Resume while on)."""
    by_key = node._bindings.key_to_bindings
    for key in KEYS:
        if key.footer_on and key.key in by_key:
            label = key.footer_on if on else key.footer
            # A new list: Textual shares the lists of a class's bindings between its instances.
            by_key[key.key] = [
                dataclasses.replace(binding, description=label)
                if binding.action.rsplit(".", 1)[-1] == key.action
                else binding
                for binding in by_key[key.key]
            ]
    node.refresh_bindings()


def markdown_table() -> str:
    """README's key table, exactly."""
    rows = ["| key | what it does | where |", "|---|---|---|"]
    rows += [f"| `{key.shown}` | {key.description} | {key.where} |" for key in KEYS]
    return "\n".join(rows)
