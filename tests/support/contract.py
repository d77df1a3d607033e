"""The headless summary contract, read from the engine's registries so the tests check what the engine promises.

The registries are read when a check runs (``modes.MODES``, not a copy taken at import), so a row a test
adds is checked like the shipped ones.
"""

from dropout_tui.engine.evaluation import modes, scores
from dropout_tui.engine.limits import CLASSIFICATION, TASKS

SUMMARY_KEYS = {
    "event",
    "dataset",
    "n_train",
    "n_test",
    "epochs_run",
    "seconds",
    "stochastic_layers",
    "modes",
    "task",
    "uncertainty",
    "augmentation_layers",
    "backend",
    "backend_version",
}


def mode_keys(task: str = CLASSIFICATION) -> dict[str, set[str]]:
    """mode name -> the keys of its entry in the summary, for one task."""
    return {mode.name: set(mode.metrics[task]) for mode in modes.MODES}


MODE_KEYS = mode_keys()


def _closed_object(where: str, part: dict, keys: set[str]) -> list[str]:
    """An object whose properties and required list are exactly ``keys``, and nothing else allowed."""
    problems = [
        f"{where} {field}: {sorted(set(part.get(field, ())) ^ keys)}"
        for field in ("properties", "required")
        if set(part.get(field, ())) != keys
    ]
    if part.get("additionalProperties") is not False:
        problems.append(f"{where} takes keys it does not name")
    return problems


def schema_registry_problems(defs: dict) -> list[str]:
    """Where docs/headless.schema.json's mode and score parts differ from the registries ([] when they agree).

    Modes: per task, one entry per mode with exactly its registered keys. Scores: the score table and the OOD
    table name every registered score.
    """
    problems = []
    for task in TASKS:
        part = defs[f"modes_{task}"]
        problems += _closed_object(f"modes_{task}", part, set(modes.MODE_NAMES))
        for mode in modes.MODES:
            entry = part["properties"].get(mode.name)
            if entry is not None:
                problems += _closed_object(f"modes_{task}/{mode.name}", entry, set(mode.metrics[task]))
    uncertainty, names = defs["uncertainty"]["properties"], set(scores.SCORE_NAMES)
    problems += _closed_object("scores", uncertainty["scores"], names)
    return problems + _closed_object("ood scores", uncertainty["ood"]["oneOf"][1]["properties"]["scores"], names)


def doc_score_list() -> str:
    """docs/headless.md's list of the scores, as the registry writes it (whitespace as one space)."""
    named = [f"`{score.name}` ({score.means})" for score in scores.SCORES]
    return f"for each SCORE in {', '.join(named[:-1])} and {named[-1]}:"


def readme_mode_table() -> list[str]:
    """README's modes table as the registry writes it."""
    rows = ["| mode | what runs | what you see |", "|---|---|---|"]
    return rows + [f"| `{mode.name}` | {mode.runs} | {mode.shows} |" for mode in modes.MODES]
