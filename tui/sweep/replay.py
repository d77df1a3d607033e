"""Recorded sweep streams (`sweep --headless` output) replayed into the sweep app, without TensorFlow."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dropout_tui.engine.sweep.runner import sweep_item_from_json


def load_items(source: str | Path | Iterable[object]) -> list[object]:
    """Tagged events and sweep events from a .jsonl file (blank lines skipped), or an iterable of them."""
    if isinstance(source, (str, Path)):
        lines = Path(source).read_text(encoding="utf-8").splitlines()
        return [sweep_item_from_json(line) for line in lines if line.strip()]
    return list(source)
