"""Text formatting that never lets NaN/inf reach a widget as a number.

Widgets and plotting code crash or draw garbage on non-finite values, so every
number shown in the UI goes through here and comes out as plain text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from dropout_tui.engine.evaluation.noise import standard_error
from dropout_tui.engine.events import finite  # re-exported: the UI formats what the engine parses

SPARK_CHARS = "▁▂▃▄▅▆▇█"


def ranked_spec(values: Iterable[float | None], least: int = 3, most: int = 8) -> str:
    """A fixed-point spec for numbers shown side by side: ``least`` decimals, more until the smallest non-zero one
    keeps two significant digits and numbers that differ read differently (at most ``most``): AURCs of 0.0011
    and 0.0014 must not both read "0.001"."""
    known = sorted({float(v) for v in values if v is not None and math.isfinite(v)})
    decimals = least
    nonzero = [abs(v) for v in known if v != 0]
    if nonzero:
        decimals = max(decimals, min(most, 1 - math.floor(math.log10(min(nonzero)))))
    while decimals < most and len({format(v, f".{decimals}f") for v in known}) < len(known):
        decimals += 1
    return f".{decimals}f"


def num(value: object, spec: str = ".3f") -> str:
    """Format a number; None, NaN and inf become short words instead."""
    if value is None:
        return "-"
    try:
        number = float(value)  # type: ignore[arg-type]  # any object: what float() refuses is caught below
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return format(number, spec)


def rate(value: float) -> str:
    """A dropout rate: two decimals, more only where they matter (0.125)."""
    return f"{value:.2f}" if abs(value - round(value, 2)) < 1e-9 else f"{value:.4g}"


def rates_text(rates: dict[str, float], label: bool = True) -> str:
    """Every layer's rate in one short phrase: "rate 0.20", "rates 0.50/0.30", "rates 0.10-0.50 (5 layers)"."""
    values = list(dict.fromkeys(round(value, 6) for value in rates.values()))  # distinct, in layer order
    if not values:
        return "no dropout rate"
    if len(values) <= 3:
        text = "/".join(rate(value) for value in values)
    else:
        text = f"{rate(min(values))}-{rate(max(values))} ({len(rates)} layers)"
    if not label:
        return text
    return f"{'rate' if len(values) == 1 else 'rates'} {text}"


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


# TensorFlow's C++ log prefix, absl ("I0000 00:00:1795.906204   16425 port.cc:153] ") or glog style
# ("2024-05-01 12:00:00.123456: I tensorflow/core/util/port.cc:113] ").
_NATIVE_PREFIX = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+\s+|\d{4}-\d\d-\d\d \d\d:\d\d:[\d.]+: [IWEF] )\S+?:\d+\] "
)
# TensorFlow's start-up notices, said once in plain words (None: nothing a user can act on, not shown).
STARTUP = "startup"  # the level of such a line
_STARTUP_LINES: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"All log messages before absl::InitializeLog", None),
        (r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered", None),
        (r"TF-TRT Warning: Could not find TensorRT", None),
        (
            r"oneDNN custom operations are on",
            "TensorFlow uses oneDNN: numbers may differ in the last digits (TF_ENABLE_ONEDNN_OPTS=0 turns it off)",
        ),
        (r"Could not find cuda drivers|Cannot dlopen some GPU libraries", "TensorFlow found no GPU: it uses the CPU"),
        (
            r"binary is optimized to use available CPU instructions",
            "TensorFlow could use more of this CPU's instructions if rebuilt (it runs, a little slower)",
        ),
    )
)


def tidy_log(level: str, text: str) -> tuple[str, str] | None:
    """A log line as the log pane shows it: TensorFlow's start-up notices in plain words (level STARTUP),
    its C++ prefix (time stamp, thread, source file) cut; None for start-up noise nobody can act on."""
    for pattern, plain in _STARTUP_LINES:
        if pattern.search(text):
            return None if plain is None else (STARTUP, plain)
    return level, _NATIVE_PREFIX.sub("", text, count=1)


def on_backend(backend: str) -> str:
    """ " on JAX" after what a header says runs, where the backend is not TensorFlow (the default, left unsaid)."""
    from dropout_tui.engine import backends

    return "" if backend == backends.DEFAULT else f" on {backends.label(backend)}"


def fit_line(parts: list[tuple[str, int]], width: int, separator: str) -> str:
    """A status line of ``parts`` (text, drop order: 0 never, higher first) that fits ``width`` cells: the
    separator loses its spaces first, then the parts that matter least go, so none is cut in the middle."""
    kept = list(parts)
    while True:
        for joiner in (separator, separator.strip() or separator):
            line = joiner.join(text for text, _ in kept)
            if len(line) <= width:
                return line
        droppable = [part for part in kept if part[1]]
        if not droppable:
            return line  # the widget's ellipsis cuts what still does not fit
        worst = max(order for _, order in droppable)
        kept.remove(next(part for part in reversed(kept) if part[1] == worst))


def accuracy_with_error(metrics: dict) -> str:
    """A mode's accuracy in % and, for a repeated mode, ± the standard error of its mean over the R passes (the
    noise of the figure shown, not the spread of one pass): the same text in the modes table, sweep and compare."""
    accuracy = finite(metrics.get("accuracy"))
    error = standard_error(finite(metrics.get("accuracy_std")), metrics.get("repeats"))
    text = num(None if accuracy is None else 100 * accuracy, ".1f")
    return text + (f"±{100 * error:.1f}" if error is not None and accuracy is not None else "")
