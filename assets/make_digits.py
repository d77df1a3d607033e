"""Rebuild assets/digits.npz from the copy of the UCI digits that scikit-learn bundles.

scikit-learn is a tool for this script only, never a runtime dependency:
    python -m pip install scikit-learn && python assets/make_digits.py
Prints the SHA-256 that engine/data.py checks on load.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 42
TEST_FRACTION = 0.2


def main() -> None:
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # pixel values 0..16 -> [0, 1]
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, random_state=SEED, stratify=labels
    )
    buffer = io.BytesIO()
    # Uncompressed and written by numpy: byte-identical on every run, so the checksum holds.
    np.savez(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    target = Path(__file__).with_name("digits.npz")
    target.write_bytes(buffer.getvalue())
    print(f"{target}: train {x_train.shape}, test {x_test.shape}")
    print(f"sha256 {hashlib.sha256(buffer.getvalue()).hexdigest()}")


if __name__ == "__main__":
    main()
