"""Every plotted series of an export as one long CSV (series, x, y and what they are), for any plotting tool.

Built from the results JSON the same export writes, so the CSV's numbers are the JSON's numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

HEADER = ("series", "x_name", "x", "y_name", "y")
EPOCH_LOSSES = ("train_loss_keras", "train_loss_dropout", "train_loss_inference", "test_loss_inference")


def series_rows(results: dict) -> Iterator[tuple]:
    """(series, x_name, x, y_name, y) for the loss pane, the modes by round and the Uncertainty screen's charts."""
    for epoch in results.get("epochs") or []:
        for key in EPOCH_LOSSES:
            if epoch.get(key) is not None:
                yield f"loss:{key}", "epoch", epoch.get("epoch"), "loss", epoch[key]
    for round_ in results.get("history") or []:
        for mode, figures in (round_.get("modes") or {}).items():
            for key in ("accuracy", "loss", "rmse"):
                if (figures or {}).get(key) is not None:
                    yield f"mode:{mode}:{key}", "epoch", round_.get("epoch"), key, figures[key]
    uncertainty = results.get("uncertainty") or {}
    for method, diagram in (uncertainty.get("reliability") or {}).items():
        for row in (diagram or {}).get("bins") or []:
            if row.get("count"):
                yield f"reliability:{method}", "confidence", row["confidence"], "accuracy", row["accuracy"]
    for score, entry in (uncertainty.get("scores") or {}).items():
        for coverage, risk in (entry or {}).get("curve") or []:
            yield f"risk:{score}", "coverage", coverage, "risk", risk
    for method, entry in (uncertainty.get("methods") or {}).items():
        calibration = (entry or {}).get("calibration") or {}
        for expected, observed in zip(calibration.get("expected") or [], calibration.get("observed") or []):
            yield f"coverage:{method}", "nominal", expected, "observed", observed


def series_csv(results: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(("" if value is None else value for value in row) for row in series_rows(results))
    return buffer.getvalue()
