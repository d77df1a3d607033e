"""The Keras 3 backends a run can use, and choosing one before Keras is imported.

Keras reads ``KERAS_BACKEND`` once, at its first import, and keeps that backend
for the life of the process: ``activate`` must run before anything imports
Keras, and a second backend in the same process is refused (the sweep and
``explain --backend all`` start one process per backend instead).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass

from dropout_tui.engine.errors import ConfigError


@dataclass(frozen=True)
class Backend:
    name: str  # KERAS_BACKEND's value and --backend's
    label: str  # how the header and tables name it
    module: str  # what Keras imports for it
    distribution: str  # the package whose version runs report
    extra: str | None  # the dropout-tui extra that installs it (None: a dependency already)


BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend("tensorflow", "TensorFlow", "tensorflow", "tensorflow", None),
        Backend("jax", "JAX", "jax", "jax", "jax"),
        Backend("torch", "PyTorch", "torch", "torch", "torch"),
    )
}
DEFAULT = "tensorflow"
ALL = "all"  # explain only: every installed backend, each in its own process


def default() -> str:
    """KERAS_BACKEND when it names one of ours, else TensorFlow (what a Keras user expects)."""
    chosen = os.environ.get("KERAS_BACKEND", "")
    return chosen if chosen in BACKENDS else DEFAULT


def installed(name: str) -> bool:
    return importlib.util.find_spec(BACKENDS[name].module) is not None


def check(name: str) -> str:
    """``name`` if it is known and installed; otherwise the one line that says what to install."""
    if name == ALL:
        raise ConfigError("--backend all runs only with explain; a run uses one backend")
    if name not in BACKENDS:
        raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    backend = BACKENDS[name]
    if not installed(name):
        raise ConfigError(
            f"--backend {name} needs {backend.label}, which is not installed: "
            f"pip install 'dropout-tui[{backend.extra}]'"
        )
    return name


def activate(name: str) -> None:
    """Make ``name`` the backend Keras loads; refused once Keras runs another in this process."""
    check(name)
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        current = keras.backend.backend()
        if current != name:
            raise ConfigError(
                f"--backend {name}: Keras already runs on {current} in this process (one backend per process)"
            )
        return
    os.environ["KERAS_BACKEND"] = name


def version(name: str) -> str:
    from importlib import metadata  # ~30 ms: asked once per run, after the first frame, not at every start-up

    try:
        return metadata.version(BACKENDS[name].distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def label(name: str) -> str:
    return BACKENDS[name].label if name in BACKENDS else name
