"""One test sample predicted T times with dropout on, and once with it off."""

from __future__ import annotations

import numpy as np

from dropout_tui.engine.evaluation import metrics
from dropout_tui.engine.evaluation.predictor import Predictor, mc_mutual_information, mc_sample_probs
from dropout_tui.engine.events import SampleProbe


def display_image(image: np.ndarray) -> tuple[list, list]:
    """Pixels in [0, 1] for display only, channels averaged to grey, row-major."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] <= 4:
        image = image.mean(axis=-1)
    low, high = float(image.min()), float(image.max())
    if low < 0.0 or high > 1.0:
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return np.round(image.reshape(-1), 4).tolist(), [int(d) for d in image.shape]


def probe_sample(
    predictor: Predictor,
    x_one: np.ndarray,
    label: int,
    samples: int,
    *,
    index: int = 0,
    image: np.ndarray | None = None,
) -> SampleProbe:
    """``x_one`` is the model input (one sample, no batch axis); ``image`` what to show."""
    batch = x_one[np.newaxis]
    inference = predictor.probs(batch, training=False)[0].astype(np.float64)
    passes = mc_sample_probs(predictor, batch, samples)[:, 0, :].astype(np.float64)  # (T, classes)
    predicted = int(np.argmax(inference))
    chosen = passes[:, predicted]
    votes = np.bincount(np.argmax(passes, axis=1), minlength=passes.shape[1])
    pixels, shape = display_image(x_one if image is None else image)
    return SampleProbe(
        index=index,
        label=int(label),
        image=pixels,
        image_shape=shape,
        inference_probs=inference.tolist(),
        predicted=predicted,
        pass_probs=chosen.tolist(),
        votes=votes.astype(int).tolist(),
        mean=float(chosen.mean()),
        std=float(chosen.std()),
        predictive_entropy=float(metrics.entropy(passes.mean(axis=0))),
        mutual_information=float(metrics.mutual_information(passes)),
        samples=samples,
    )


def most_uncertain_index(predictor: Predictor, x_test: np.ndarray, samples: int) -> int:
    """The test sample whose T passes disagree most (highest mutual information)."""
    return int(np.argmax(mc_mutual_information(predictor, x_test, samples)))
