"""Markers and colours that stand for the same series wherever the app draws it (markers keep series apart
under NO_COLOR)."""

from __future__ import annotations

from typing import NamedTuple


class Style(NamedTuple):
    marker: str
    colour: str


# The engine's uncertainty scores (engine/evaluation/uncertainty.py SCORES), in its order.
SCORE_STYLES: dict[str, Style] = {
    "max_prob": Style("●", "dark_orange"),
    "mc_max_prob": Style("■", "dodger_blue1"),
    "entropy": Style("▲", "magenta"),
    "mutual_information": Style("◆", "green3"),
}
