"""One test sample predicted T times with dropout on, and once with it off: the probe pane's event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dropout_tui.engine.evaluation import metrics
from dropout_tui.engine.events import SampleProbe

if TYPE_CHECKING:
    from dropout_tui.engine.model.heads import Head


def display_image(image: np.ndarray) -> tuple[list, list]:
    """Pixels in [0, 1] for display only, channels averaged to grey, row-major."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] <= 4:
        image = image.mean(axis=-1)
    low, high = float(image.min()), float(image.max())
    if low < 0.0 or high > 1.0:
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return np.round(image.reshape(-1), 4).tolist(), [int(d) for d in image.shape]


def probe_event(
    head: Head,
    *,
    index: int,
    target: np.generic | np.ndarray,
    image: np.ndarray,
    inference: np.ndarray,
    passes: np.ndarray,
) -> SampleProbe:
    """``inference``: the sample's dropout-off outputs (units,); ``passes``: its T dropout_only outputs (T, units)."""
    pixels, shape = display_image(image)
    common: dict[str, Any] = {"index": index, "image": pixels, "image_shape": shape, "samples": len(passes)}
    if head.task == "regression":
        values = np.asarray(passes, np.float64)[:, 0]
        return SampleProbe(
            **common,
            label=None,
            inference_probs=[],
            predicted=None,
            pass_probs=[],
            votes=[],
            mean=float(values.mean()),
            std=float(values.std()),
            predictive_entropy=None,
            mutual_information=None,
            task="regression",
            target=np.asarray(target, np.float64).reshape(-1).tolist(),
            inference_outputs=np.asarray(inference, np.float64).reshape(-1).tolist(),
            pass_values=values.tolist(),
        )
    probs = head.probabilities_numpy(inference[np.newaxis])[0].astype(np.float64)
    pass_probs = head.probabilities_numpy(passes).astype(np.float64)  # (T, classes)
    predicted = int(np.argmax(probs))
    chosen = pass_probs[:, predicted]
    votes = np.bincount(np.argmax(pass_probs, axis=1), minlength=pass_probs.shape[1])
    return SampleProbe(
        **common,
        label=int(target),
        inference_probs=probs.tolist(),
        predicted=predicted,
        pass_probs=chosen.tolist(),
        votes=votes.astype(int).tolist(),
        mean=float(chosen.mean()),
        std=float(chosen.std()),
        predictive_entropy=float(metrics.entropy(pass_probs.mean(axis=0))),
        mutual_information=float(metrics.mutual_information(pass_probs)),
    )
