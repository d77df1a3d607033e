"""The evaluation modes of design.md and the vectorised MC-dropout sampler.

Stochastic passes call the model directly (``model(x, training=True)``) on
large batches: one ``predict`` per pass costs ~70 ms of overhead here, while
one call on 1,000 repeated rows costs ~14 ms and gives 1,000 independent
masks (masks are drawn per batch row, also with ``noise_shape``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np

from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.evaluation import metrics
from dropout_tui.engine.model.layers import (
    NormalizationState,
    normalization_in_inference,
    normalization_layers,
    per_sample_noise,
    trainable_stochastic_layers,
)

PREDICT_BATCH = 1024
# Input values per stochastic forward call; bounds peak memory for any T.
MAX_CHUNK_ELEMENTS = 1 << 21


class Predictor:
    """A Keras model seen as a source of class probabilities."""

    def __init__(
        self,
        model,
        *,
        outputs_are_logits: bool = False,
        batch_size: int = 32,
        should_cancel: Callable[[], bool] | None = None,
        max_chunk_elements: int = MAX_CHUNK_ELEMENTS,
    ) -> None:
        self.model = model
        self.outputs_are_logits = outputs_are_logits
        self.batch_size = batch_size  # BatchNorm in training mode sees batches of this size
        self.should_cancel = should_cancel or (lambda: False)
        self.max_chunk_elements = max_chunk_elements
        self.has_normalization = bool(normalization_layers(model))

    def check_cancel(self) -> None:
        if self.should_cancel():
            raise Cancelled()

    def rows_per_call(self, x: np.ndarray) -> int:
        per_row = max(1, int(np.prod(x.shape[1:])))
        return max(1, self.max_chunk_elements // per_row)

    def to_probs(self, outputs) -> np.ndarray:
        out = np.asarray(outputs, dtype=np.float32)
        if not self.outputs_are_logits:
            return out
        shifted = out - out.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=-1, keepdims=True)

    def call(self, x: np.ndarray) -> np.ndarray:
        """One stochastic forward call on a prepared batch."""
        return self.to_probs(self.model(x, training=True))

    def inference_probs(self, x: np.ndarray) -> np.ndarray:
        """Dropout off, by direct calls: the per-epoch curves need no predict() overhead."""
        rows = self.rows_per_call(x)
        parts = []
        for start in range(0, len(x), rows):
            self.check_cancel()
            parts.append(self.to_probs(self.model(x[start : start + rows], training=False)))
        return np.concatenate(parts)

    def probs(
        self, x: np.ndarray, *, training: bool, dropout_only: bool = False, batch_size: int | None = None
    ) -> np.ndarray:
        if not training:
            self.check_cancel()
            # What evaluate/predict do: the compiled predict step with training=False.
            return self.to_probs(self.model.predict(x, batch_size=batch_size or PREDICT_BATCH, verbose=0))
        if batch_size is None:
            # With BatchNorm in training mode the batch statistics depend on the
            # batch, so use the training batch size; otherwise bigger is faster.
            batch_size = self.batch_size if self.has_normalization and not dropout_only else self.rows_per_call(x)
        switch = normalization_in_inference(self.model) if dropout_only else contextlib.nullcontext()
        parts = []
        with switch:
            for start in range(0, len(x), batch_size):
                self.check_cancel()
                parts.append(self.call(x[start : start + batch_size]))
        return np.concatenate(parts)


def _mc_chunks(
    predictor: Predictor, x: np.ndarray, samples: int, max_rows: int | None
) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """Yield (first sample, end sample, first pass, probs of shape (samples, passes, classes)).

    Inputs are repeated so that every call holds at most ``max_rows`` rows: many
    samples x all T passes when T is small, or one sample x part of T when T is huge.
    """
    rows = max_rows or predictor.rows_per_call(x)
    with normalization_in_inference(predictor.model), per_sample_noise(predictor.model):
        if samples <= rows:
            per_call = max(1, rows // samples)
            for start in range(0, len(x), per_call):
                predictor.check_cancel()
                block = x[start : start + per_call]
                out = predictor.call(np.repeat(block, samples, axis=0))
                yield start, start + len(block), 0, out.reshape(len(block), samples, -1)
        else:
            for index in range(len(x)):
                for first in range(0, samples, rows):
                    predictor.check_cancel()
                    copies = min(rows, samples - first)
                    out = predictor.call(np.repeat(x[index : index + 1], copies, axis=0))
                    yield index, index + 1, first, out.reshape(1, copies, -1)


def mc_sample_probs(predictor: Predictor, x: np.ndarray, samples: int, max_rows: int | None = None) -> np.ndarray:
    """All T dropout-only passes, shape (T, n, classes): for a few samples (the probe)."""
    result = None
    for start, end, first, probs in _mc_chunks(predictor, x, samples, max_rows):
        if result is None:
            result = np.empty((samples, len(x), probs.shape[-1]), dtype=np.float32)
        result[first : first + probs.shape[1], start:end] = np.swapaxes(probs, 0, 1)
    return result


def mc_moments(
    predictor: Predictor, x: np.ndarray, samples: int, max_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Streamed over passes: (mean probabilities (n, classes), mean per-pass entropy (n,)).

    Memory stays at one chunk plus the (n, classes) running sums for any T, and
    the two moments are all that predictive entropy and mutual information need.
    """
    total = None
    entropy_total = np.zeros(len(x), dtype=np.float64)
    for start, end, _, probs in _mc_chunks(predictor, x, samples, max_rows):
        if total is None:
            total = np.zeros((len(x), probs.shape[-1]), dtype=np.float64)
        total[start:end] += probs.sum(axis=1, dtype=np.float64)
        entropy_total[start:end] += metrics.entropy(probs).sum(axis=1)
    return total / samples, entropy_total / samples


def mc_mutual_information(predictor: Predictor, x: np.ndarray, samples: int) -> np.ndarray:
    mean, expected_entropy = mc_moments(predictor, x, samples)
    return np.maximum(metrics.entropy(mean) - expected_entropy, 0.0)


def _scores(probs: np.ndarray, labels: np.ndarray) -> dict:
    return {
        "accuracy": metrics.accuracy(probs, labels),
        "loss": metrics.nll(probs, labels),
        "ece": metrics.ece(probs, labels),
        "brier": metrics.brier(probs, labels),
    }


def _repeated(predictor: Predictor, x: np.ndarray, y: np.ndarray, repeats: int, *, dropout_only: bool) -> dict:
    accuracies, losses = [], []
    for _ in range(repeats):
        probs = predictor.probs(x, training=True, dropout_only=dropout_only)
        accuracies.append(metrics.accuracy(probs, y))
        losses.append(metrics.nll(probs, y))
    return {
        "accuracy": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "loss": float(np.mean(losses)),
        "loss_std": float(np.std(losses)),
        "repeats": repeats,
    }


def evaluate_modes(
    predictor: Predictor,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    mc_samples: int,
    repeats: int,
    seed: int | None = None,
) -> dict:
    """Every mode of design.md on the test set; the ``modes`` dict of the summary.

    With ``seed`` the stochastic passes draw from streams fixed by it and the
    model's RNG state is left untouched; without, they advance the model's own.
    """
    from dropout_tui.engine.evaluation import rng

    draws = rng.seeded(predictor.model, seed) if seed is not None else contextlib.nullcontext()
    with draws:
        inference_probs = predictor.probs(x_test, training=False)
        modes = {"inference": _scores(inference_probs, y_test)}

        moving_stats = NormalizationState(predictor.model)
        try:
            training = _repeated(predictor, x_test, y_test, repeats, dropout_only=False)
            training["bn_moving_stats_shift"] = moving_stats.max_relative_shift()
        finally:
            # Training-mode BatchNorm folded test batches into its moving statistics.
            moving_stats.restore()
        modes["training"] = training

        # Predict, not evaluate: the loss must be the same NLL as every other
        # mode's, and an inspected model may not be compiled. evaluate runs the
        # same training=False test step, so the comparison is the article's.
        with trainable_stochastic_layers(predictor.model):
            flagged = predictor.probs(x_test, training=False)
        modes["trainable_flag"] = {
            "accuracy": metrics.accuracy(flagged, y_test),
            "loss": metrics.nll(flagged, y_test),
            "max_abs_diff_vs_inference": float(np.max(np.abs(flagged - inference_probs))),
        }

        modes["dropout_only"] = _repeated(predictor, x_test, y_test, repeats, dropout_only=True)

        mean_probs, _ = mc_moments(predictor, x_test, mc_samples)
        modes["mc"] = {**_scores(mean_probs, y_test), "samples": mc_samples}
    return modes
