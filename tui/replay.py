"""Recorded event streams: a headless run's (or sweep's) JSON lines replayed into the UI."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar, overload

from dropout_tui.engine.events import Event, event_from_json

Replay = str | Path | Iterable[Event]
Item = TypeVar("Item")


@overload
def load_events(source: Replay) -> list[Event]: ...
@overload
def load_events(source: str | Path | Iterable[Item], parse: Callable[[str], Item]) -> list[Item]: ...
def load_events(source: str | Path | Iterable[Any], parse: Callable[[str], Any] = event_from_json) -> list[Any]:
    """Items from a .jsonl file (one per line read by ``parse``, blank lines skipped) or an iterable.

    ``parse`` is event_from_json for a run's stream, engine.sweep.runner.sweep_item_from_json for a sweep's.
    """
    if isinstance(source, (str, Path)):
        lines = Path(source).read_text(encoding="utf-8").splitlines()
        return [parse(line) for line in lines if line.strip()]
    return list(source)
