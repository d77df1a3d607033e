"""A mode's or a score's name is spelled only in its registry row; code that means one imports the row.

The scan reads every string literal of the shipped sources (and the benchmarks) with the tokenizer, so a
name inside a longer text (prose) does not count; a literal equal to a registered name does.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from dropout_tui.engine.evaluation import modes, scores

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("engine", "tui", "assets", "bench")
REGISTRIES = {Path("engine/evaluation/modes.py"), Path("engine/evaluation/scores.py")}
# The same spelling meaning something else: (file, literal) -> what it is there.
OTHER_MEANINGS = {
    (Path("engine/model/augmentation.py"), "training"): "Keras's call argument",
    (Path("engine/model/empirical.py"), "training"): "Keras's call argument",
    (Path("engine/model/loading.py"), "training"): "Keras's call argument",
    (Path("tui/panes/status.py"), "training"): "what the run is doing, in the status bar",
    (Path("tui/sweep/panes.py"), "training"): "what the runs are doing, in the sweep's status bar",
    (Path("tui/glossary.py"), "entropy"): "the word the probe and the Uncertainty screen print, as a glossary term",
}


def string_literals(source: str) -> list[tuple[int, str]]:
    """(line, value) of every plain string literal; f-strings and bytes are not names."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(token.string)
        except ValueError:  # an f-string
            continue
        if isinstance(value, str):
            found.append((token.start[0], value))
    return found


def spelled_names(names: set[str]) -> list[str]:
    """'path:line literal' for each literal equal to one of ``names`` outside the registries."""
    hits = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative, text = path.relative_to(ROOT), path.read_text(encoding="utf-8")
            if relative in REGISTRIES or not any(f'"{name}"' in text or f"'{name}'" in text for name in names):
                continue  # tokenizing only the files that might spell a name keeps the scan fast
            for line, value in string_literals(text):
                if value in names and (relative, value) not in OTHER_MEANINGS:
                    hits.append(f"{relative}:{line} {value!r}")
    return hits


def test_mode_and_score_names_are_spelled_only_in_their_registry():
    names = set(modes.MODE_NAMES) | set(scores.SCORE_NAMES)
    assert spelled_names(names) == []


def test_the_scan_finds_a_spelled_name():
    assert string_literals('x = {"dropout_only": 1}\ny = f"{x}"\n') == [(1, "dropout_only")]
    assert "tui/sweep/metrics.py" in " ".join(spelled_names({"aurc"}))  # a score's key, spelled where read


def test_every_other_meaning_is_still_there():
    # A stale exemption would let the name back in unnoticed.
    for (path, literal), _ in OTHER_MEANINGS.items():
        assert literal in {value for _, value in string_literals((ROOT / path).read_text(encoding="utf-8"))}, path
