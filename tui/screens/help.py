"""The `?` screen: a screen's keys (from tui/keys.py), the modes (from the engine's registry) and the terms of the
figures that screen shows (tui/glossary.py); the keys and modes fit 80x24, the terms follow them (scroll)."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from dropout_tui.engine.evaluation import modes as registry
from dropout_tui.tui.glossary import glossary_table
from dropout_tui.tui.keys import EVERYWHERE, EXPLAIN, HELP, KEYS, MAIN, UNCERTAINTY, Key, bindings, keys_for

RATE_RULE = "+/- shift each layer's own rate: next epoch while training, else at once"
PANES = "fit: dropout on, epoch mean; train/test: dropout off; MI: mutual info."
# The help box at 80x24: 22 rows and 76 columns inside its border and padding.
HELP_ROWS, HELP_WIDTH = 22, 76


def keys_line(where: str, keys: tuple[Key, ...] | None = None) -> str:
    """A screen's keys in one line: 'r rerun the experiments · escape, w or q close this screen' (``keys``: only
    those, where a screen binds part of ``where``'s keys)."""
    actions: dict[str, list[str]] = {}
    for key in keys_for(where) if keys is None else keys:
        actions.setdefault(key.description, []).append(key.shown)
    parts = []
    for description, shown in actions.items():
        named = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        parts.append(f"{named} {description}")
    return " · ".join(parts)


def screens_line() -> Text:
    """The other screens' keys in one line: 'Explain: r rerun · Uncertainty: e export · escape, q (or w, c) close them'
    (each screen's own keys, the first word of what they do)."""
    screens = ((EXPLAIN, "Explain"), (UNCERTAINTY, "Uncertainty"))
    text = Text()
    closing: list[list[str]] = []
    for where, name in screens:
        keys = keys_for(where)
        # Grouped keys (m/M, s) stay off this line, which must fit 76 columns: the screen's own `?` lists them.
        own = [f"{key.shown} {key.description.split()[0]}" for key in keys if key.action != "close" and not key.group]
        text.append(f"{name}: ", style="bold")
        text.append(", ".join(own) + " · ")
        closing.append([key.shown for key in keys if key.action == "close"])
    common = [key for key in closing[0] if all(key in keys for keys in closing)]
    others = [key for keys in closing for key in keys if key not in common]
    text.append(", ".join(common) + (f" (or {', '.join(others)})" if others else "") + " close them")
    return text


def modes_table(compact: bool) -> Table:
    """Every registered mode with what it runs; ``compact``: two modes a row, each with its short note."""
    if compact:
        table = Table.grid(padding=(0, 1), expand=True)
        for _ in range(2):
            table.add_column(style="bold", no_wrap=True)
            table.add_column(ratio=1, no_wrap=True)
        cells = [text for mode in registry.MODES for text in (mode.name, mode.note)]
        for start in range(0, len(cells), 4):
            row = cells[start : start + 4]
            table.add_row(*row, *[""] * (4 - len(row)))
        return table
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for mode in registry.MODES:
        table.add_row(mode.name, mode.runs.replace("`", ""))
    return table


def rows_of(content: RenderableType, width: int = HELP_WIDTH) -> int:
    """How many lines ``content`` takes at ``width`` columns."""
    return len(Console(width=width).render_lines(content, pad=False))


def help_content() -> RenderableType:
    """The main screen's keys in two columns, the other screens' in a line, the modes, the panes' words.

    At most HELP_ROWS rows, so the help fits 80x24 without scrolling (tests/tui/test_documented_keys.py checks
    it): when the modes' full descriptions would not fit (more modes registered), they take two a row.
    """
    main = [key for key in KEYS if key.where in (MAIN, EVERYWHERE)]
    rows = (len(main) + 1) // 2
    keys = Table.grid(padding=(0, 1), expand=True)
    width = max(len(key.shown) for key in main)
    for _ in range(2):
        keys.add_column(style="bold", no_wrap=True, width=width)
        keys.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    for row in range(rows):
        cells: list[str] = []
        for key in (main[row], main[row + rows] if row + rows < len(main) else None):
            cells += [key.shown, key.description] if key else ["", ""]
        keys.add_row(*cells)
    content = Group(keys, screens_line(), Text(RATE_RULE), modes_table(compact=False), Text(PANES))
    if rows_of(content) <= HELP_ROWS:
        return content
    return Group(keys, screens_line(), Text(RATE_RULE), modes_table(compact=True), Text(PANES))


class HelpScreen(ModalScreen[None]):
    """A help box that fits 80x24, the close keys on its frame: by default the main screen's keys, modes and panes
    (the sweep app's SweepHelp puts its own title and content in the same box)."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }

    #help-box {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-subtitle-color: $text;
        background: $surface;
        padding: 0 1;
        /* The keys and modes fill the 76 columns at 80x24; the frame's "↓ PgDn: terms" says there is more. */
        scrollbar-size-vertical: 0;
    }
    """
    BINDINGS = bindings(HELP)

    def __init__(
        self,
        title: str = "dropout-tui: keys and modes",
        content: RenderableType | None = None,
        terms: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.box_title = title
        self.content = help_content() if content is None else content
        self.terms = terms  # the glossary entries of the figures on the screen `?` was pressed on

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(self.content, id="help-text")
            if self.terms:
                terms = Group(
                    Text(""), Text("Terms on this screen", style="bold underline"), glossary_table(self.terms)
                )
                yield Static(terms, id="help-terms")

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = self.box_title
        # The keys fill the first page at 80x24; the terms below are a scroll away, so the frame says so.
        box.border_subtitle = keys_line(HELP) + (" · ↓ PgDn: terms" if self.terms else "")
