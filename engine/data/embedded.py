"""The embedded digits file as shipped (assets/digits.npz): its bytes, its checksum, and its size read without
NumPy, for the command line's checks before the app's first frame."""

from __future__ import annotations

import ast
import io
import zipfile
from importlib import resources

DIGITS_SHA256 = "fbd65a4d87c161152f7eeb856cc5aaa769a87fc560d41211710540db6c8cf2bd"


def digits_bytes() -> bytes:
    return (resources.files("dropout_tui.assets") / "digits.npz").read_bytes()


def digits_test_rows() -> int:
    """How many test samples the embedded digits hold, from y_test.npy's header: no NumPy, no array read.

    The file is the one load_digits verifies by its sha256, so its header is what loading would find.
    """
    with zipfile.ZipFile(io.BytesIO(digits_bytes())) as archive, archive.open("y_test.npy") as member:
        head = member.read(512)
    # .npy: magic (6 bytes), version (2), header length (2 bytes in version 1, else 4), then a dict literal.
    start = 10 if head[6] == 1 else 12
    header = head[start : start + int.from_bytes(head[8:start], "little")].decode("latin1")
    return int(ast.literal_eval(header)["shape"][0])
