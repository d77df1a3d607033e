"""How a pane or a screen is drawn: it names the parts of the state it ``draws`` (tui/redraw.py's names) and
redraws itself from the state it was made with, so an app draws every pane and screen the same way
(tui/ticking.py)."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

S = TypeVar("S")


@runtime_checkable
class Drawn(Protocol):
    """A pane or a screen that redraws itself when a part of the state it ``draws`` changed."""

    draws: ClassVar[frozenset[str]]

    def redraw(self) -> None: ...


class DrawsFrom(Generic[S]):
    """Mixed into a widget drawn from one state object, given when the widget is made: its ``redraw`` is
    ``update_from(state)``."""

    def __init__(self, state: S, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state

    def update_from(self, state: S) -> None:
        raise NotImplementedError

    def redraw(self) -> None:
        self.update_from(self.state)
