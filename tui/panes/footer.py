"""The footer every screen shows: its keys are drawn whether or not the app has focus, and only when they change.

Textual's Footer skips redrawing its keys while the app is blurred, and in a browser (`dropout-tui serve`) the
app starts blurred: textual-serve's driver reports a blur at start-up, so the footer stayed empty until the
user clicked the page. A key list is as true without focus as with it.

Textual's Footer also rebuilds every key widget on each bindings signal, and a screen sends several for one
change (mount, focus, a toggled label): at start-up that was eight rebuilds of the same keys, a fifth of the
first frame's work. The footer rebuilds once per refresh, and only when what it shows differs.

Each key Textual's Footer binds to its own setting starts compact and then takes that setting: two restyles of
every key on every rebuild, for a class it ends up without. Those keys start with the footer's setting (the
command palette's key is not bound, and stays compact).
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


class Footer(TextualFooter):
    def __init__(self) -> None:
        super().__init__()
        self._rebuild_pending = False
        self._shown: Hashable = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Where Textual's data_bind keeps a widget's bindings (none: a later Textual; the keys restyle then).
            bound = getattr(widget, "_reactive_connect", None) or {}
            if isinstance(widget, FooterKey) and "compact" in bound:
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def _keys_shown(self) -> Hashable:
        """Everything compose reads from the screen's bindings."""
        bindings = self.screen.active_bindings.values()
        return tuple((binding, enabled, tooltip) for _, binding, enabled, tooltip in bindings)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
