"""Out-of-distribution inputs (``--ood FILE.npz|noise``): what MC dropout's uncertainty should flag.

``--ood FILE.npz``: its ``x_test`` (or ``x``), samples shaped like the test
inputs, checked like ``--data`` and scaled the way the test inputs were (uint8
divided by 255 for ``train``, kept as stored for ``inspect``). ``--ood noise``
(the word wins over a file of that name): a built-in shift, the test inputs
plus Gaussian noise of one standard deviation of the test inputs, seeded from
``--seed``; integer inputs are rounded and kept within the data's own range
(pixel values stay pixels, token ids stay ids). Nothing here imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import (
    DataError,
    Dataset,
    _check_inputs,
    _scaled,
    check_npz_file,
    keys_found,
    read_npz_arrays,
)
from dropout_tui.engine.limits import NOISE

OOD_KEYS = ("x_test", "x")
NOISE_STREAM = 0x00D  # mixed into the seed: the noise is not the stream of any other seeded draw


@dataclass(frozen=True)
class OodSet:
    source: str  # "noise" or the file's name
    x: np.ndarray  # samples shaped like the test inputs, in the same space (dtype, scaling) as Dataset.x_test
    note: str = ""  # one line for the notes: what the set is


def load_ood(config: RunConfig, dataset: Dataset, seed: int) -> OodSet | None:
    """The OOD inputs ``config.ood`` asks for (None without ``--ood``); a DataError line when they are bad."""
    if not config.ood:
        return None
    if config.ood == NOISE:
        return _noise(dataset, seed)
    return _from_file(config.ood, dataset)


def _noise(dataset: Dataset, seed: int) -> OodSet:
    base = dataset.x_test
    sigma = float(np.std(base, dtype=np.float64))
    if not sigma > 0:
        raise DataError("--ood noise: the test inputs are constant (standard deviation 0), so the noise would be 0")
    rng = np.random.default_rng([seed, NOISE_STREAM])
    shifted = base.astype(np.float64) + rng.normal(0.0, sigma, size=base.shape)
    if np.issubdtype(base.dtype, np.integer) or base.dtype == np.bool_:
        low, high = float(np.min(base)), float(np.max(base))
        shifted = np.clip(np.rint(shifted), low, high)
    x = shifted.astype(base.dtype)
    return OodSet(
        NOISE, x, f"OOD inputs: the {len(x)} test inputs plus Gaussian noise (sigma {sigma:.4g}, seed {seed})"
    )


def _from_file(path_text: str, dataset: Dataset) -> OodSet:
    option = f"--ood {path_text}"
    path = check_npz_file("--ood", path_text, "key x_test or x", " (give a .npz with x_test or x, or the word noise)")

    def choose(present: set[str]) -> list[str]:
        key = next((key for key in OOD_KEYS if key in present), None)
        if key is None:
            raise DataError(f"{option}: no key x_test or x (found: {keys_found(present)})")
        return [key]

    [(key, x)] = read_npz_arrays(option, path, choose).items()
    _check_inputs(option, key, x)
    expected = dataset.x_test.shape[1:]
    if x.shape[1:] != expected:
        raise DataError(
            f"{option}: {key} samples have shape {tuple(x.shape[1:])} but the test inputs have shape {tuple(expected)}"
        )
    return OodSet(path.name, _scaled(x, dataset.scale_uint8), f"OOD inputs: {len(x)} samples from {path.name} ({key})")
