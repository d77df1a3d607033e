"""Recorded event streams: a headless run's JSON lines replayed into the UI."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dropout_tui.engine.events import Event, event_from_json

Replay = str | Path | Iterable[Event]


def load_events(source: Replay) -> list[Event]:
    """Events from a .jsonl file (one event per line, blank lines skipped) or an iterable."""
    if isinstance(source, (str, Path)):
        lines = Path(source).read_text(encoding="utf-8").splitlines()
        return [event_from_json(line) for line in lines if line.strip()]
    return list(source)
