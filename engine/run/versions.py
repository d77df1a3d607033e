"""What the run executes on: Keras/TensorFlow versions and the devices TensorFlow uses."""

from __future__ import annotations


def versions() -> tuple[str, str]:
    import keras
    import tensorflow as tf

    return keras.__version__, tf.__version__


def devices() -> list[str]:
    """["GPU: <name>", ...] for visible GPUs, else ["CPU"]."""
    import tensorflow as tf

    described = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            name = tf.config.experimental.get_device_details(gpu).get("device_name") or gpu.name
        except (RuntimeError, ValueError):
            name = gpu.name
        described.append(f"GPU: {name}")
    return described or ["CPU"]
