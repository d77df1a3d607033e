"""Silence TensorFlow, absl and Python warnings for a command whose only output is its result.

Lives in the engine so the UI layer never imports a TensorFlow-family module
(absl included) itself. Call it before TensorFlow is imported: its import
writes warnings and log lines of its own.
"""

from __future__ import annotations

import logging
import warnings

from dropout_tui.engine.quiet import redirect_native_stderr


def silence_libraries() -> None:
    """Python warnings and the TensorFlow/absl loggers off; TensorFlow's C++ lines on fd 2 into a private file.

    Afterwards ``sys.stderr`` is a duplicate of the original stderr, which is
    where anything meant for the user must go.
    """
    warnings.simplefilter("ignore")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    import absl.logging  # a dependency of TensorFlow, imported here rather than anywhere in the UI

    absl.logging.set_verbosity(absl.logging.ERROR)
    # TensorFlow's C++ start-up lines ignore TF_CPP_MIN_LOG_LEVEL and write straight to fd 2.
    redirect_native_stderr()
