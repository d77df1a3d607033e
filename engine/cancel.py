"""The quit signal as an exception (no TensorFlow here: the Session imports it before TF)."""


class Cancelled(Exception):
    """The user quit; raised from inside long loops so a run ends promptly."""
