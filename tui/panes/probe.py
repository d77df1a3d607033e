"""Sample probe: one test input predicted T times with dropout on, once with it off."""

from __future__ import annotations

import math
import os
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from dropout_tui.engine.events import SampleProbe
from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.fmt import finite, num, sparkline
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.redraw import PROBE
from dropout_tui.tui.run_state import RunState, inference_label

MAX_IMAGE_COLS = 16
MAX_IMAGE_ROWS = 8  # terminal rows; each holds two pixel rows
SHADES = " ░▒▓█"


class ProbePane(DrawsFrom[RunState], Vertical):
    """One test sample: its picture, the dropout-off prediction and the spread of T dropout-on passes."""

    draws: ClassVar[frozenset[str]] = frozenset({PROBE})

    def compose(self) -> ComposeResult:
        with Horizontal(id="probe-top"):
            yield Lines("", id="probe-image")
            yield Lines("", id="probe-facts")
        yield Lines("", id="probe-detail")

    def on_mount(self) -> None:
        self.border_title = "Sample probe"
        self.update_from(None)

    def update_from(self, state: RunState | None) -> None:
        probe = state.probe if state else None
        image, facts, detail = (
            self.query_one("#probe-image", Lines),
            self.query_one("#probe-facts", Lines),
            self.query_one("#probe-detail", Lines),
        )
        if probe is None:
            image.display = False
            facts.show("waiting for the first probe")
            detail.show("n/p: next/previous sample\nu: most uncertain  r: redraw")
            return
        self.border_title = f"Sample probe: test #{probe.index}"
        picture = render_image(probe.image, probe.image_shape, no_color=bool(os.environ.get("NO_COLOR")))
        image.display = picture is not None
        image.show(picture or "")
        width = max(10, self.content_size.width or 30)
        stochastic = state.stochastic if state else None
        off = inference_label(state)  # an always-on layer: training=False is random too
        if probe.task == "regression":
            facts.show(regression_facts(probe, off))
            detail.show(regression_detail(probe, stochastic, width))
            return
        facts.show(probe_facts(probe, picture is None, off))
        detail.show(probe_detail(probe, stochastic, width, off))


def _predicted_probability(probe: SampleProbe) -> float | None:
    probs, predicted = probe.inference_probs, probe.predicted
    return probs[predicted] if predicted is not None and 0 <= predicted < len(probs) else None


def probe_facts(probe: SampleProbe, no_picture: bool, off: str = "dropout off") -> str:
    confidence = _predicted_probability(probe)
    verdict = "right" if probe.predicted == probe.label else "wrong"
    lines = [
        f"label {probe.label}",
        f"{off}: {probe.predicted}",
        f"  p={num(confidence)} ({verdict})",
        f"T={probe.samples} dropout-on passes",
    ]
    if no_picture:
        lines.insert(0, f"(non-image input, {len(probe.image)} values)")
    return "\n".join(lines)


def probe_detail(probe: SampleProbe, stochastic: bool | None, width: int, off: str = "dropout off") -> str:
    reference = _predicted_probability(probe)
    spark = sparkline(probe.pass_probs, 0.0, 1.0, max(4, width - 2))
    votes = sorted(((count, cls) for cls, count in enumerate(probe.votes) if count), reverse=True)
    vote_text = " ".join(f"{cls}:{count}" for count, cls in votes) or "-"
    lines = [
        f"p({probe.predicted}) per pass, 0..1:",
        spark,
        f"{off} {sparkline([reference], 0.0, 1.0)} {num(reference)}",  # "·" when unknown
        f"mean {num(probe.mean)} ± {num(probe.std)}",
        f"votes {vote_text}",
        f"entropy {num(probe.predictive_entropy)}  MI {num(probe.mutual_information)}",
    ]
    return _detail_text(lines, stochastic)


def _first(values: list | None) -> float | None:
    return finite(values[0]) if values else None


def regression_facts(probe: SampleProbe, off: str = "dropout off") -> str:
    target, value = _first(probe.target), _first(probe.inference_outputs)
    outputs = len(probe.inference_outputs or [])
    lines = [
        f"target {num(target, '.4g')}" + (f" (output 1 of {outputs})" if outputs > 1 else ""),
        f"{off}: {num(value, '.4g')}",
        f"MC mean {num(probe.mean, '.4g')} ± {num(probe.std, '.3g')}",
        f"T={probe.samples} dropout-on passes",
    ]
    return "\n".join(lines)


def regression_detail(probe: SampleProbe, stochastic: bool | None, width: int) -> str:
    """The T predictions as a sparkline on one scale with the target and their mean; the target in stds."""
    values = [finite(v) for v in probe.pass_values or []]
    target, mean, std = _first(probe.target), finite(probe.mean), finite(probe.std)
    known = [v for v in [*values, target, mean] if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    spark = sparkline(values, low, high, max(4, width - 2))
    z = None if target is None or mean is None or not std else (target - mean) / std
    lines = [
        f"per pass, {num(low, '.3g')}..{num(high, '.3g')}:",
        spark,
        f"target {sparkline([target], low, high)} {num(target, '.4g')}",  # "·" when unknown
        f"mean   {sparkline([mean], low, high)} {num(mean, '.4g')}",
        f"target = mean {num(z, '+.2f')} std",
    ]
    return _detail_text(lines, stochastic)


def _detail_text(lines: list[str], stochastic: bool | None) -> str:
    """The detail lines, and why the passes agree when the model has no stochastic layer."""
    if stochastic is False:
        lines.append("no stochastic layers: every pass is identical")
    return "\n".join(lines)


def render_image(pixels: list, shape: list, no_color: bool = False) -> Text | None:
    """Greyscale half-block picture of an image input; None for non-image inputs."""
    if len(shape) < 2 or shape[0] < 2 or shape[1] < 2:
        return None
    height, width = int(shape[0]), int(shape[1])
    channels = int(math.prod(shape[2:])) if len(shape) > 2 else 1
    if height * width * channels != len(pixels):
        return None
    grey = [[_mean_channel(pixels, (r * width + c) * channels, channels) for c in range(width)] for r in range(height)]
    factor = max(1, math.ceil(width / MAX_IMAGE_COLS), math.ceil(height / (2 * MAX_IMAGE_ROWS)))
    grey = _block_mean(grey, factor)
    if len(grey) % 2:
        grey.append([0.0] * len(grey[0]))
    text = Text()
    for top, bottom in zip(grey[0::2], grey[1::2]):
        for upper, lower in zip(top, bottom):
            if no_color:
                text.append(SHADES[min(len(SHADES) - 1, int((upper + lower) / 2 * len(SHADES)))])
            else:
                text.append("▀", style=f"{_rgb(upper)} on {_rgb(lower)}")
        text.append("\n")
    text.rstrip()
    return text


def _mean_channel(pixels: list, start: int, channels: int) -> float:
    values = [finite(v) for v in pixels[start : start + channels]]
    good = [min(1.0, max(0.0, v)) for v in values if v is not None]
    return sum(good) / len(good) if good else 0.0


def _block_mean(grey: list[list[float]], factor: int) -> list[list[float]]:
    if factor == 1:
        return grey
    rows, cols = len(grey) // factor, len(grey[0]) // factor
    return [
        [
            sum(grey[r * factor + i][c * factor + j] for i in range(factor) for j in range(factor)) / factor**2
            for c in range(cols)
        ]
        for r in range(rows)
    ]


def _rgb(value: float) -> str:
    level = int(round(255 * value))
    return f"rgb({level},{level},{level})"
