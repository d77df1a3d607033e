"""Temperature scaling (Guo et al. 2017): one scalar T, logits / T, fitted by minimising NLL on held-out labels.

No training data is held out: the test set is split in two (seeded) and each half is scaled with the
temperature fitted on the other half (2-fold cross-fitting), so no figure uses a temperature fitted
on its own labels. Scaling never changes the argmax, so the prediction is the dropout-off one.
"""

from __future__ import annotations

import numpy as np

T_MIN, T_MAX = 0.01, 100.0  # beyond these the fit says "as sharp/flat as it gets"; NLL is flat out there
BISECTIONS = 60  # on log(1/T) over [log 0.01, log 100]: a bracket of ~1e-17 relative width, finer than float64


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def nll_slope(logits: np.ndarray, labels: np.ndarray, beta: float) -> float:
    """d/dbeta of mean NLL(softmax(beta * z)): mean of E_p[z] - z_true; nondecreasing, as the NLL is convex in beta."""
    p = softmax(beta * logits)
    return float(np.mean(np.sum(p * logits, axis=-1) - logits[np.arange(len(labels)), labels]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in [T_MIN, T_MAX] minimising mean NLL of softmax(logits / T); 1.0 (no scaling) with no rows to fit on.

    The NLL is convex in beta = 1/T, so its slope is monotone and bisection on the slope's sign
    finds the minimum without a step size to tune.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels).reshape(-1).astype(np.int64)
    if len(y) == 0:
        return 1.0
    lo, hi = np.log(1.0 / T_MAX), np.log(1.0 / T_MIN)  # in log beta
    if nll_slope(z, y, float(np.exp(lo))) >= 0.0:
        return T_MAX
    if nll_slope(z, y, float(np.exp(hi))) <= 0.0:
        return T_MIN
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        if nll_slope(z, y, float(np.exp(mid))) > 0.0:
            hi = mid
        else:
            lo = mid
    return float(1.0 / np.exp(0.5 * (lo + hi)))


def halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of range(n) into two halves (the first gets n // 2 rows)."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def cross_fitted(logits: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, tuple[float, float]]:
    """Probabilities (n, classes) with each half scaled by the temperature fitted on the other, and (T_a, T_b).

    T_a is fitted on half a (and scales half b), T_b on half b (and scales half a).
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels).reshape(-1)
    a, b = halves(len(z), seed)
    t_a, t_b = fit_temperature(z[a], y[a]), fit_temperature(z[b], y[b])
    probs = np.zeros_like(z)
    probs[b] = softmax(z[b] / t_a)
    probs[a] = softmax(z[a] / t_b)
    return probs, (t_a, t_b)
