"""Loss pane: per-batch and per-epoch losses, and why they differ."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static

from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.export import with_rates
from dropout_tui.tui.fmt import finite, num, rates_text
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.panes.styles import LOSS_STYLES
from dropout_tui.tui.redraw import LOSS
from dropout_tui.tui.run_state import RunState

if TYPE_CHECKING:
    from dropout_tui.tui.panes.loss_chart import LossPlot

SHORT_HEIGHT = 16  # below this the chart's boxed legend would hide the curves: use one text line

# (attribute of EpochEnd, legend label, the short legend's word, marker, colour), top to bottom as the caption
# reads them: fit = train with dropout + drift, train with dropout = clean train + dropout. Markers keep the
# series apart under NO_COLOR; they and the colours are styles.LOSS_STYLES, which the sweep's chart shares.
EPOCH_SERIES = tuple(
    (attribute, label, word, *LOSS_STYLES[attribute])
    for attribute, label, word in (
        ("train_loss_keras", "fit (dropout on)", "fit"),
        ("train_loss_dropout", "train (dropout on)", "on"),
        ("train_loss_inference", "train (dropout off)", "train"),
        ("test_loss_inference", "test (dropout off)", "test"),
    )
)


class LossPane(DrawsFrom[RunState], Vertical):
    """The losses by epoch on a log axis, marks where the rate changed, and a caption that explains the gap.

    In inspect without training there is nothing to plot: the pane lists what was found in the model instead.
    """

    draws: ClassVar[frozenset[str]] = frozenset({LOSS})
    _short = False
    _has_data = False
    _plot: LossPlot | None = None

    def compose(self) -> ComposeResult:
        # The chart (textual-plot and NumPy, ~0.1 s to import) comes after the first frame: a blank slot until then.
        yield Static("", id="loss-plot")
        yield Static(_compact_legend(), id="loss-legend")
        yield Lines("", id="loss-caption")

    def on_mount(self) -> None:
        self.border_title = "Loss by epoch (log scale)"
        self.call_after_refresh(self._mount_chart)

    async def _mount_chart(self) -> None:
        from dropout_tui.tui.panes.loss_chart import LossPlot

        if not self.is_attached:  # the app quit before its first frame
            return
        slot = self.query_one("#loss-plot")
        plot = LossPlot(id="loss-plot", allow_pan_and_zoom=False)
        plot.display = slot.display
        await slot.remove()
        if not self.is_mounted:  # the app ended (a refusal, a quit) while the placeholder went
            return
        await self.mount(plot, before="#loss-legend")
        if not plot.is_mounted:
            return
        plot.set_up(short=self._short)
        self._plot = plot
        self.redraw()

    def on_resize(self, event: Resize) -> None:
        self._short = event.size.height < SHORT_HEIGHT
        self.set_class(self._short, "-short")
        if self._plot is not None:
            self._plot.fit(short=self._short, legend=self._has_data)

    def update_from(self, state: RunState) -> None:
        caption = self.query_one("#loss-caption", Lines)
        if state.inspect and state.total_epochs == 0:
            self.border_title = "Model (inspect)"
            self.query_one("#loss-plot").display = False
            self.query_one("#loss-legend").display = False
            caption.show(model_report(state))
            return
        caption.show(loss_caption(state))
        if self._plot is not None:
            self._has_data = self._plot.draw_run(state, EPOCH_SERIES, short=self._short)


def _compact_legend() -> Text:
    text = Text.assemble(("⠒", "grey50"), "batch")
    for _, _, word, marker, colour in EPOCH_SERIES:
        text.append(" ")
        text.append(marker, style=colour)
        text.append(word)
    text.append(" │", style="green")
    text.append("rate")
    return text


def model_report(state: RunState) -> str:
    """Inspect mode has no losses to plot: the pane says what was found in the model instead."""
    started = state.started
    if started is None:
        return "inspect: the run failed (the log has why)" if state.failed else "inspect: loading the model"
    layers = started.stochastic_layers
    if not layers:
        lines = ["stochastic layers: none"]
    elif len(layers) <= 3:
        lines = [f"stochastic: {', '.join(layer_text(layer, state.rates) for layer in layers)}"]
    else:
        counts = Counter(layer["class"] for layer in layers)
        kinds = ", ".join(f"{n} {cls}" for cls, n in counts.items())
        lines = [f"stochastic: {len(layers)} layers ({kinds}), {rates_text(state.rates)}"]
        # The layers a count hides the most: two rates each, or a layer of the user's own.
        special = [layer for layer in layers if layer.get("kind") in ("recurrent", "custom")]
        lines.extend(f"- {layer_text(layer, state.rates)}" for layer in special)
    always = [layer["name"] for layer in layers if layer.get("always_on")]
    if always:
        lines.append(f"always on, random in predict too: {', '.join(always)}")
    augmentation = started.augmentation_layers
    if augmentation:
        found = ", ".join(f"{layer['name']} ({layer['class']})" for layer in augmentation)
        lines.append(f"augmentation (on in the training mode only): {found}")
    lines.append(f"BatchNormalization layers: {len(started.normalization_layers)}")
    lines.extend(f"- {note}" for note in started.notes if not note.startswith("model details:"))
    lines.append("no training in inspect (--fine-tune N trains first); l: full log")
    return "\n".join(lines)


def layer_text(layer: dict, rates: dict[str, float]) -> str:
    """A layer with its rates now (the keys move them): both of a recurrent layer, a noise layer's stddev."""
    layer = with_rates(layer, rates)
    name, kind = layer["name"], layer.get("kind")
    shape = "" if layer.get("noise_shape") is None else f" noise_shape {tuple(layer['noise_shape'])}"
    if kind == "recurrent":
        dropout, recurrent = _amount(layer.get("dropout")), _amount(layer.get("recurrent_dropout"))
        return f"{name} ({layer['class']} dropout {dropout}, recurrent {recurrent})"
    rate = layer.get("rate")
    if rate is not None:
        amount = f"{rate:g}"
    elif layer.get("stddev") is not None:
        amount = f"stddev {layer['stddev']:g}"
    else:
        amount = "no rate"
    custom = "custom, " if kind == "custom" else ""
    always = ", always on" if layer.get("always_on") else ""
    return f"{name} ({layer['class']} {custom}{amount}{shape}{always})"


def _amount(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:g}"


def loss_caption(state: RunState) -> str:
    if not state.epochs:
        if state.batch_loss:
            return f"batch loss {num(state.batch_loss[-1])} (dropout on); epoch losses after epoch 1"
        return "waiting for the first batch"
    last = state.epochs[-1]
    return decomposition_text(
        last.train_loss_keras, last.train_loss_inference, last.train_loss_dropout, last.test_loss_inference
    )


def decomposition_text(fit: object, clean: object, dropout_on: object, test: object) -> str:
    """fit = clean train + dropout + drift; test - clean train = the generalisation gap (README, "The app").

    dropout = the training set's loss with dropout on minus with it off (both at the epoch's end weights);
    drift = fit minus the dropout-on loss: fit averages over an epoch while the weights improve.
    A stream without the dropout-on loss (recorded before it existed) gets one term for both.
    """
    shown = f"fit {num(fit)} = clean train {num(clean)}"  # NaN and inf shown as such, never computed with
    fit, clean, dropout_on, test_value = finite(fit), finite(clean), finite(dropout_on), finite(test)
    if dropout_on is None:
        terms = [_term("dropout and drift", fit, clean)]
    else:
        terms = [_term("dropout", dropout_on, clean), _term("drift", fit, dropout_on)]
    gap = None if test_value is None or clean is None else test_value - clean
    return f"{shown} {' '.join(terms)}; test {num(test)}: generalisation gap {num(gap)}"


def _term(name: str, high: float | None, low: float | None) -> str:
    value = None if high is None or low is None else high - low
    sign = "-" if value is not None and value < 0 else "+"
    return f"{sign} {name} {num(None if value is None else abs(value))}"
