"""The Textual app: engine events in, panes out, controls back to the engine.

Start-up imports nothing from TensorFlow: the engine's Session (and with it
Keras) is imported inside the thread worker, so the first frame shows the
layout and a "loading TensorFlow" status at once.
"""

from __future__ import annotations

import asyncio
import signal
import time
import traceback
from collections.abc import Iterable
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import Failed
from dropout_tui.engine.quiet import drain_native_stderr, redirect_native_stderr
from dropout_tui.engine.run.controls import Controls
from dropout_tui.tui import export as exporting
from dropout_tui.tui.bridge import EventBuffer
from dropout_tui.tui.panes.loss import LossPane
from dropout_tui.tui.panes.modes import ModesPane
from dropout_tui.tui.panes.probe import ProbePane
from dropout_tui.tui.panes.status import LogPane, StatusBar, status_line
from dropout_tui.tui.replay import Replay, load_events
from dropout_tui.tui.run_state import LOG, LOSS, MODES, PROBE, STATUS, RunState

TICK_SECONDS = 0.1  # drain events and redraw at most 10 times a second
# Rebuilding the chart is the costliest redraw and competes with training for the
# GIL (short epochs end several times a second): at most twice a second.
CHART_SECONDS = 0.5
STATUS_SECONDS = 0.25  # a step counter that moves faster than this cannot be read anyway
TRAINING_STATUS_SECONDS = 0.5  # while training, each frame (however small) takes GIL time from the engine
# While the engine trains, every millisecond the main thread holds the GIL is taken from it. The
# chart, the modes table and the probe change mostly between epochs, while the engine evaluates:
# they are drawn then, and during training only once their news is this old (a slow epoch's
# batch curve still moves).
TRAINING_DEFER_SECONDS = 2.0
EPOCH_DEFER_SECONDS = 1.0  # a new epoch's losses wait less: with rare evaluations there is no gap to wait for
HEAVY_PANES = (LOSS, MODES, PROBE)
NARROW_WIDTH = 120  # below this the log pane shares the bottom row with the modes table
RATE_STEP, RATE_MAX = 0.05, 0.95
MAX_SAMPLES = 1024
MIN_WIDTH, MIN_HEIGHT = 80, 24  # below this the panes clip: say so instead of drawing them
EXIT_INTERRUPTED = 128 + signal.SIGINT


class DropoutApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "dropout-tui"

    # Footer order: 80 columns show only the first few, so how to quit and where the help is come first.
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("space", "pause", "Pause"),
        Binding("s", "step", "Step"),
        Binding("x", "stop", "Stop"),
        Binding("plus", "rate(1)", "Rate+"),
        Binding("minus", "rate(-1)", "Rate-"),
        Binding("t", "samples(0.5)", "T/2"),
        Binding("T", "samples(2)", "T×2"),
        Binding("e", "export", "Export"),
        Binding("w", "explain", "Why?"),
        Binding("n", "probe('next')", "Next"),
        Binding("p", "probe('prev')", "Prev"),
        Binding("u", "probe('most_uncertain')", "Uncertain"),
        Binding("r", "probe('redraw')", "Redraw"),
        Binding("l", "toggle_log", "Log"),
        Binding("d", "toggle_theme", "Theme"),
        # Textual 8 binds ctrl+c to a "press q to quit" hint; here it quits like a shell's Ctrl+C (exit 130),
        # from every screen, the command palette included.
        Binding("ctrl+c", f"quit({EXIT_INTERRUPTED})", "Quit", show=False, priority=True),
    ]

    # Descriptions for the command palette, in binding order.
    COMMANDS_HELP = {
        "pause": "Pause or resume training",
        "step": "Step one epoch while paused",
        "stop": "Stop training (evaluation and probing keep working)",
        "rate(1)": "Dropout rate +0.05 from the next epoch",
        "rate(-1)": "Dropout rate -0.05 from the next epoch",
        "samples(0.5)": "Halve the MC samples T",
        "samples(2)": "Double the MC samples T",
        "probe('next')": "Probe the next test sample",
        "probe('prev')": "Probe the previous test sample",
        "probe('most_uncertain')": "Probe the most uncertain test sample (highest MI)",
        "probe('redraw')": "Draw the T stochastic passes again",
        "export": "Export results JSON and an SVG screenshot",
        "explain": "Why? Explain every common claim about test-time dropout",
        "toggle_log": "Show the log pane / the modes table (narrow terminals)",
        "toggle_theme": "Toggle light/dark theme",
        "help": "Show keys and what each pane means",
        "quit": "Quit (stops the engine cleanly)",
    }

    def __init__(
        self, config: RunConfig, export_dir: str | Path = "dropout-tui-export", replay: Replay | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.export_dir = Path(export_dir)
        self.controls = Controls()
        self.state = RunState(config)
        self._buffer = EventBuffer()
        self._replay = None if replay is None else load_events(replay)
        self._native_captured = False  # fd 2 goes to a file only under run(), not run_test()
        self._live = False  # driven by a real engine, not a replay
        self._started_at: float | None = None  # when RunStarted arrived: the engine's clock starts there too
        self._paused = False
        self._stopping = False
        self._requested_rate = config.rate
        self._last_status = 0.0
        self._last_chart = 0.0
        self._pending: set[str] = set()
        self._pending_since: dict[str, float] = {}  # heavy panes held back while the engine trains
        self._asked: set[str] = set()  # panes a key asked for: drawn as soon as their answer arrives
        self._epochs_drawn = 0
        self._status_text = ""
        self._announced: Failed | None = None
        self._shown_state: tuple[str, str] = ("", "")
        self._signalled: int | None = None

    # --- layout ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(self.config, id="status-bar")
        with Horizontal(id="top"):
            yield LossPane(id="loss-pane")
            yield ProbePane(id="probe-pane")
        with Horizontal(id="bottom"):
            yield ModesPane(id="modes-pane")
            yield LogPane(id="log-pane")
        yield Footer()
        yield Static("", id="too-small")

    def on_mount(self) -> None:
        self.begin_capture_print(self.query_one(LogPane), stdout=True, stderr=True)
        if self._native_captured:  # a real terminal (run(), not run_test()): own SIGINT/SIGTERM
            loop = asyncio.get_running_loop()
            for number in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(number, self._on_signal, number)
        self.set_interval(TICK_SECONDS, self._tick)
        if self._replay is not None:
            for event in self._replay:
                self._buffer.put(event)
        else:
            self._live = True
            self._run_engine()
        # The first frame: an empty chart and the status, or the whole replayed run at once.
        self._pending = {LOSS, STATUS}
        self._tick()

    def on_unmount(self) -> None:
        # However the app ends (quit, crash, a test's teardown), the engine thread must not outlive it:
        # a serving Session would keep the interpreter from exiting.
        self.controls.cancel()

    def on_resize(self, event: Resize) -> None:
        width, height = event.size
        self.query_one("#bottom").set_class(width < NARROW_WIDTH, "-narrow")
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small:
            self.query_one("#too-small", Static).update(
                # Short lines: centred text that wraps on its own reads badly at 40 columns.
                f"dropout-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT};\nthis terminal is {width}x{height}.\n\n"
                "Training goes on; enlarge the\nwindow to see it (q quits)."
            )
        # The class lives on the main screen so the panes come back as soon as the terminal is large enough.
        self.screen_stack[0].set_class(small, "-too-small")

    def _on_signal(self, signum: int) -> None:
        # Runs on the event loop, so the normal exit path restores the terminal; dropout_tui.tui.cli then
        # leaves without TensorFlow's slow interpreter teardown.
        self._signalled = signum
        self.controls.cancel()
        self.exit(128 + signum, return_code=128 + signum)

    def run(self, *args, **kwargs):  # type: ignore[override]
        # Native TensorFlow logging writes to fd 2 and would tear the screen; the
        # CLI does this already, other callers (bench scripts) get it here. Idempotent.
        redirect_native_stderr()
        self._native_captured = True
        return super().run(*args, **kwargs)

    # --- engine ------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, name="engine")
    def _run_engine(self) -> None:
        from dropout_tui.engine.run.session import Session  # imports TensorFlow: never on the start path

        Session(self.config, self._buffer.put, self.controls, serve=True).run()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        trace = "".join(traceback.format_exception(error))
        self._buffer.put(Failed(message=message, traceback=trace))
        self._tick()

    def _tick(self) -> None:
        dirty: set[str] = set()
        for event in self._buffer.drain():
            dirty |= self.state.apply(event)
        if self._live and self._started_at is None and self.state.started is not None:
            self._started_at = time.monotonic()
        if self._native_captured:
            for line in drain_native_stderr():
                self.state.pending_logs.append(("", line))
                dirty.add(LOG)
        if self.state.failed is not None and LOG in dirty:
            self._announce_failure(self.state.failed)
        # Elapsed time moves on its own: refresh the status once a second anyway.
        now = time.monotonic()
        if now - self._last_status >= 1.0:
            dirty.add(STATUS)
        dirty |= self._pending
        self._pending = set()
        training = self._engine_training()
        throttled = [(LOSS, self._last_chart, CHART_SECONDS)]
        if (self.state.state, self.state.message) == self._shown_state:  # a new state shows at once
            throttled.append((STATUS, self._last_status, TRAINING_STATUS_SECONDS if training else STATUS_SECONDS))
        for pane, last, interval in throttled:
            if pane in dirty and now - last < interval:
                self._pending.add(pane)
                dirty.discard(pane)
        if training:
            self._hold_heavy(dirty, now)
        self._redraw(dirty)

    def _engine_training(self) -> bool:
        return self._replay is None and self.state.state == "running" and not self._paused

    def _hold_heavy(self, dirty: set[str], now: float) -> None:
        for pane in HEAVY_PANES:
            if pane not in dirty or pane in self._asked:
                continue
            since = self._pending_since.setdefault(pane, now)
            new_epoch = pane == LOSS and len(self.state.epochs) != self._epochs_drawn
            if now - since < (EPOCH_DEFER_SECONDS if new_epoch else TRAINING_DEFER_SECONDS):
                self._pending.add(pane)
                dirty.discard(pane)

    def _announce_failure(self, failed: Failed) -> None:
        if self._announced is failed:
            return
        self._announced = failed
        self.notify(failed.message, title="Run failed (traceback in the log)", severity="error", timeout=10)
        self.query_one("#bottom").add_class("-show-log")

    def _redraw(self, dirty: set[str]) -> None:
        for pane in dirty:
            self._pending_since.pop(pane, None)
        self._asked -= dirty
        if LOSS in dirty:
            self._last_chart = time.monotonic()
            self._epochs_drawn = len(self.state.epochs)
            self.query_one(LossPane).update_from(self.state)
        if MODES in dirty:
            self.query_one(ModesPane).update_from(self.state)
        if PROBE in dirty:
            self.query_one(ProbePane).update_from(self.state)
        if LOG in dirty:
            log = self.query_one(LogPane)
            for level, text in self.state.pending_logs:
                log.add(level, text)
            self.state.pending_logs.clear()
        if STATUS in dirty:
            self._last_status = time.monotonic()
            self._shown_state = (self.state.state, self.state.message)
            text = status_line(self.state, self._elapsed(), self._paused, self._stopping)
            if text != self._status_text:
                self._status_text = text
                self.query_one(StatusBar).show(text)

    def _elapsed(self) -> float | None:
        if self.state.finished is not None:
            return self.state.finished.seconds
        if not self._live:  # a replay: only what the events say, so frames are deterministic
            return sum(e.seconds for e in self.state.epochs)
        # Counted like Finished.seconds (from the run's start, loading excluded), so it never jumps back.
        return 0.0 if self._started_at is None else time.monotonic() - self._started_at

    # --- actions -----------------------------------------------------------
    @property
    def _training_over(self) -> bool:
        return self.state.finished is not None or self.state.failed is not None

    def action_pause(self) -> None:
        if self._training_over:
            self.notify("training is over: nothing to pause")
            return
        self._paused = self.controls.toggle_pause()
        self._redraw({STATUS})

    def action_step(self) -> None:
        if not self._paused:
            self.notify("step runs one epoch while paused: press space first")
            return
        self.controls.step()

    def action_stop(self) -> None:
        if self._training_over:
            self.notify("training already ended")
            return
        self._stopping = True
        self.controls.stop()
        self._redraw({STATUS})

    def action_rate(self, direction: int) -> None:
        if self.state.stochastic is False:
            self.notify("this model has no stochastic layers: the rate changes nothing", severity="warning")
            return
        rate = round(min(RATE_MAX, max(0.0, self._requested_rate + direction * RATE_STEP)), 2)
        if rate == self._requested_rate:
            self.notify(f"rate stays at {rate:.2f} (allowed: 0 to {RATE_MAX})")
            return
        self._requested_rate = rate
        self.controls.set_rate(rate)
        self.notify(f"dropout rate {rate:.2f} from the next epoch")

    def action_samples(self, factor: float) -> None:
        samples = int(min(MAX_SAMPLES, max(1, round(self.state.samples * factor))))
        if samples == self.state.samples:
            self.notify(f"T stays at {samples} (allowed: 1 to {MAX_SAMPLES})")
            return
        self.controls.set_samples(samples)
        self._asked.add(MODES)
        self.state.samples = samples
        self.notify(f"MC samples T = {samples}")
        self._redraw({STATUS})

    def action_probe(self, which: str) -> None:
        self._asked.add(PROBE)
        self.controls.probe(which)

    def action_export(self) -> None:
        try:
            result = exporting.export(self.state, self.export_screenshot(), self.export_dir)
        except OSError as error:
            self.notify(
                f"export failed: {error.strerror or error} ({error.filename or self.export_dir})",
                title="Export",
                severity="error",
                timeout=8,
            )
            return
        self.notify(f"wrote {result.results} and {result.screenshot.name}", title="Export")

    def action_explain(self) -> None:
        try:
            from dropout_tui.tui.screens.explain import ExplainScreen
        except ImportError:
            self.notify("the explain screen is not available in this build", severity="warning")
            return
        self.push_screen(ExplainScreen())

    def action_toggle_log(self) -> None:
        # Classes live on the bottom row so a toggle restyles two panes, not the screen.
        self.query_one("#bottom").toggle_class("-show-log")

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        from dropout_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    async def action_quit(self, code: int = 0) -> None:
        # Wake a paused or serving engine so the worker returns within a batch.
        self.controls.cancel()
        self.exit(code, return_code=code)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if not binding.show:
                continue
            help_text = self.COMMANDS_HELP[binding.action]
            # Parentheses, not brackets: the palette reads titles as markup and "[e]" would vanish.
            yield SystemCommand(
                f"{binding.description} ({binding.key})",
                help_text,
                lambda action=binding.action: self.run_action(action),
            )


def create_app(
    config: RunConfig, export_dir: str | Path = "dropout-tui-export", replay: Replay | None = None
) -> DropoutApp:
    """The one app factory, shared by the CLI and the tests."""
    return DropoutApp(config, export_dir=export_dir, replay=replay)
