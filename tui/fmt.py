"""Text formatting that never lets NaN/inf reach a widget as a number.

Widgets and plotting code crash or draw garbage on non-finite values, so every
number shown in the UI goes through here and comes out as plain text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

SPARK_CHARS = "▁▂▃▄▅▆▇█"


def finite(value: object) -> float | None:
    """The value as a float when it is a finite number, else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def num(value: object, spec: str = ".3f") -> str:
    """Format a number; None, NaN and inf become short words instead."""
    if value is None:
        return "-"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return format(number, spec)


def signed(value: object, spec: str = "+.3f") -> str:
    return num(value, spec)


def duration(seconds: object) -> str:
    """h:mm:ss or m:ss; '-' when unknown."""
    number = finite(seconds)
    if number is None or number < 0:
        return "-"
    whole = int(round(number))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def sparkline(
    values: Iterable[object], low: float | None = None, high: float | None = None, width: int | None = None
) -> str:
    """A one-line bar chart; non-finite values show as '·'.

    A fixed [low, high] keeps bars comparable between redraws (e.g. 0..1 for
    probabilities). With ``width``, longer series are averaged into bins.
    """
    points = [finite(v) for v in values]
    if width is not None and width > 0 and len(points) > width:
        points = _bin_means(points, width)
    good = [p for p in points if p is not None]
    if not good:
        return "·" * len(points)
    lo = min(good) if low is None else low
    hi = max(good) if high is None else high
    span = hi - lo
    chars = []
    for point in points:
        if point is None:
            chars.append("·")
            continue
        level = 0.5 if span <= 0 else (min(max(point, lo), hi) - lo) / span
        chars.append(SPARK_CHARS[min(len(SPARK_CHARS) - 1, int(level * len(SPARK_CHARS)))])
    return "".join(chars)


def _bin_means(points: list[float | None], bins: int) -> list[float | None]:
    out: list[float | None] = []
    for index in range(bins):
        start = index * len(points) // bins
        stop = max(start + 1, (index + 1) * len(points) // bins)
        chunk = [p for p in points[start:stop] if p is not None]
        out.append(sum(chunk) / len(chunk) if chunk else None)
    return out
