"""The `?` screen: every key and what each pane shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
[b]Keys[/b]
  space   pause / resume training (at the next batch)
  s       step one epoch while paused
  x       stop training; evaluation and probing keep working
  + / -   dropout rate +/- 0.05, from the next epoch
  t / T   halve / double the MC samples T
  n / p   probe the next / previous test sample
  u       probe the test sample with the highest mutual information
  r       draw the T stochastic passes again
  e       export results JSON + SVG screenshot to the export dir
  w       why? explain every common claim about test-time dropout
  l       show the log (narrow terminals) / back to the modes table
  d       light / dark theme
  ctrl+p  command palette (every action is there too)
  ?       this help
  q       quit
  ctrl+c  quit from any screen (exit code 130, like a shell's Ctrl+C)

[b]Loss[/b]
  fit = what Keras reports: dropout on, averaged over the epoch while the
  weights improve. train/test = end-of-epoch weights, dropout off. The gap
  between them is why the training loss sits above the test loss.

[b]Modes[/b]
  inference: training=False, what evaluate/predict do.
  training: every layer in training mode, mean±std over R repeats.
  trainable_flag: dropout layers set trainable=True, then evaluate; it
  changes nothing. dropout_only: dropout on, normalisation in inference
  mode. mc: mean of T dropout_only passes.

[b]Probe[/b]
  One test sample predicted T times with dropout on; the spread of
  p(class) is what MC dropout measures. MI = mutual information (BALD).

Press escape, ? or q to close."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP_TEXT, id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "dropout-tui help"
