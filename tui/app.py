"""The Textual app: worker results drained into the states, panes drawn from them, keys sent to the engine.

Start-up imports nothing from TensorFlow: the engine's Session (and with it
Keras) is imported inside the thread worker, so the first frame shows the
layout and a "loading TensorFlow" status at once.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable
from pathlib import Path

from textual import on, work
from textual.app import SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import describe_error
from dropout_tui.engine.events import Event, Failed
from dropout_tui.engine.limits import LIMITS, SAMPLES_FACTOR, scaled_samples
from dropout_tui.engine.quiet import drain_native_stderr, native_level
from dropout_tui.engine.run.controls import Controls
from dropout_tui.tui import export as exporting
from dropout_tui.tui.explain_job import ExplainJob
from dropout_tui.tui.keys import COMMAND_PALETTE, EVERYWHERE, EXPLAIN, KEYS, UNCERTAINTY, bindings
from dropout_tui.tui.panes.log import LogPane
from dropout_tui.tui.redraw import LOG, LOSS, MODES_TABLE, PROBE, STATUS, RedrawPlanner
from dropout_tui.tui.replay import Replay, load_events
from dropout_tui.tui.run_state import AT_ONCE, ExplainFailed, ExplainFinished, ExplainNews, RunState, measures_at_once
from dropout_tui.tui.screens.main import MainScreen
from dropout_tui.tui.ticking import TickingApp


class KeyActions(TickingApp):
    """What each key of tui/keys.py does: a command to the engine, a screen, an export. DropoutApp's base: the
    keys apart from the layout, the workers and the fold."""

    state: RunState
    controls: Controls
    explain: ExplainJob
    main_screen: MainScreen

    def action_pause(self) -> None:
        if self.state.training_over:
            self.notify("training is over: nothing to pause")
            return
        self.state.paused = self.controls.toggle_pause()
        self.draw_now({STATUS})

    def action_step(self) -> None:
        if not self.state.paused:
            self.notify("step runs one epoch while paused: press space first")
            return
        self.controls.step()

    def action_stop(self) -> None:
        if self.state.training_over:
            self.notify("training already ended")
            return
        self.state.stopping = True
        self.controls.stop()
        self.draw_now({STATUS})

    def action_rate(self, direction: int) -> None:
        # The engine moves every layer's own rate and answers (RateScheduled, RateChanged or a Notice).
        if self.state.started is None:
            self.notify("the model is still loading: + and - work once it runs")
        elif not self.state.rates:
            self.notify("this model has no layer with a dropout rate: + and - change nothing", severity="warning")
        else:
            self.controls.shift_rate(direction)

    def action_samples(self, factor: float) -> None:
        current = self.state.samples
        samples = scaled_samples(current, SAMPLES_FACTOR if factor > 1 else 1 / SAMPLES_FACTOR)
        if samples is None:
            self.notify(f"T stays at {current}: it is {LIMITS['mc_samples'].describe()}")
            return
        # Shown at once: the engine checks T against the same limit, so it takes what the key asked for.
        self.state.samples = samples
        self.controls.set_samples(samples)
        self.planner.ask(MODES_TABLE)
        self.planner.ask(PROBE)
        self.draw_now({STATUS})
        when = AT_ONCE if measures_at_once(self.state) else "from the next evaluation"
        self.notify(f"MC samples T = {samples} {when}")

    def action_probe(self, which: str) -> None:
        self.planner.ask(PROBE)
        self.controls.probe(which)

    def action_export(self) -> None:
        self.export_results()

    def export_results(self, prefix: str = "dropout-tui") -> None:
        """The results JSON and an SVG of the screen on top (the main screen, or the Uncertainty screen)."""
        # The redraw throttle may hold the newest round back from the panes: draw it, so both files show one round.
        self.draw_now({LOSS, MODES_TABLE, PROBE, STATUS})
        self.write_export(lambda svg, directory: exporting.export(self.state, svg, directory, prefix=prefix))

    def action_uncertainty(self) -> None:
        # The screens are imported when first opened: nothing of them is on the first frame's path.
        from dropout_tui.tui.screens.uncertainty import UncertaintyScreen
        from dropout_tui.tui.screens.uncertainty_regression import RegressionUncertaintyScreen

        kind = RegressionUncertaintyScreen if self.state.regression else UncertaintyScreen
        if not any(
            isinstance(screen, (UncertaintyScreen, RegressionUncertaintyScreen)) for screen in self.screen_stack
        ):
            self.push_screen(kind(self.state))

    def action_explain(self) -> None:
        from dropout_tui.tui.screens.explain import ExplainScreen

        # One Explain screen at a time, one explain run at a time: the run starts on the first visit only.
        if any(isinstance(screen, ExplainScreen) for screen in self.screen_stack):
            return
        if self.explain.state.run == 0:
            self.explain.start()
        self.push_screen(ExplainScreen(self.explain))

    def action_toggle_log(self) -> None:
        self.main_screen.toggle_log()

    def action_help(self) -> None:
        from dropout_tui.tui.screens.help import HelpScreen

        if not any(isinstance(screen, HelpScreen) for screen in self.screen_stack):
            own = getattr(self.screen, "help_content", None)  # a screen with its own keys and terms shows those
            self.push_screen(HelpScreen(*own()) if own else HelpScreen())


class DropoutApp(KeyActions):
    """The main screen, the engine and explain workers, and what a tick folds: events into the RunState, explain
    news into the ExplainState (tui/ticking.py drains, plans and draws). The keys' actions are in KeyActions."""

    CSS_PATH = "app.tcss"
    TITLE = "dropout-tui"
    BINDINGS = bindings(EVERYWHERE)  # MAIN's are the main screen's

    def __init__(
        self, config: RunConfig, export_dir: str | Path = "dropout-tui-export", replay: Replay | None = None
    ) -> None:
        super().__init__(RedrawPlanner())
        self.config = config
        self.export_dir = Path(export_dir)
        self.controls = Controls()
        self.state = RunState(config)
        self.explain = ExplainJob(self, self._buffer.put, config.seed, config.backend)
        self._replay = None if replay is None else load_events(replay)
        self._announced: Failed | None = None
        self.main_screen = MainScreen(self.state)

    def get_default_screen(self) -> Screen:
        return self.main_screen

    def on_main_screen_ready(self) -> None:
        self.fit_terminal(self.size)
        self.begin_capture_print(self.main_screen.query_one(LogPane), stdout=True, stderr=True)
        if self._replay is not None:
            for event in self._replay:
                self._buffer.put(event)
        else:
            self.state.live = True
            # After the first frame is on screen: the worker's imports (NumPy, TensorFlow) hold the GIL for
            # seconds, and started before it they delayed the first paint.
            self.call_after_refresh(self._run_engine)
        # The first frame: an empty chart and the status, or the whole replayed run at once.
        self.start_ticking({LOSS, STATUS})

    @property
    def run_failed(self) -> bool:
        return self.state.failed is not None

    def stop_workers(self) -> None:
        # Wake a paused or serving engine so the worker returns within a batch.
        self.controls.cancel()
        self.explain.cancel()

    # --- workers -------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, name="engine")
    def _run_engine(self) -> None:
        from dropout_tui.engine.run.session import Session  # imports TensorFlow: never on the start path

        session = Session(self.config, self._buffer.put, self.controls, serve=True)
        session.run()
        self.refused = session.user_error

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.worker.name != "engine" or event.state != WorkerState.ERROR or error is None:
            return
        self._buffer.put(Failed(message=describe_error(error), traceback="".join(traceback.format_exception(error))))
        self._tick()

    # --- the tick's fold -----------------------------------------------------------
    def fold(self, items: list[object]) -> set[str]:
        dirty: set[str] = set()
        for item in items:
            if isinstance(item, ExplainNews):
                news = self.explain.state.apply(item, time.monotonic())
                if news and isinstance(item, (ExplainFinished, ExplainFailed)) and self.screen is self.main_screen:
                    done = "is done" if isinstance(item, ExplainFinished) else "failed"
                    self.notify(f"the explain run {done}: w shows it")
                dirty |= news
                continue
            if isinstance(item, Event):
                dirty |= self.state.apply(item)
        if self.state.live and self.state.started_at is None and self.state.started is not None:
            self.state.started_at = time.monotonic()
        if self._native_captured:
            for line in drain_native_stderr():
                dirty |= self.state.log(native_level(line), line)
        if self.state.failed is not None and LOG in dirty:
            self._announce_failure(self.state.failed)
        for notice in self.state.take_notices():
            self.notify(notice)
        return dirty

    @property
    def training(self) -> bool:
        return self.state.live and self.state.state == "running" and not self.state.paused

    @property
    def paused(self) -> bool:
        return self.state.paused and not self.state.training_over

    @property
    def key_owner(self) -> DOMNode:
        return self.main_screen

    def progress_marks(self) -> tuple[object, int]:
        return (self.state.state, self.state.message), len(self.state.epochs)

    def _announce_failure(self, failed: Failed) -> None:
        if self._announced is failed:
            return
        self._announced = failed
        # A NaN loss has no traceback: promise one only when the log holds it.
        where = " (traceback in the log)" if failed.traceback else ""
        self.notify(f"Run failed: {failed.message}{where}", severity="error", timeout=10)
        self.main_screen.show_log()

    # --- the command palette -------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        where = getattr(screen, "KEYS_WHERE", None)  # tui/keys.py's name for the screen's keys
        target = screen if where in (EXPLAIN, UNCERTAINTY) else self
        for key in KEYS:
            if key.where in (where, EVERYWHERE) and key.action != COMMAND_PALETTE:
                # Parentheses, not brackets: the palette reads titles as markup and "[e]" would vanish.
                name = key.footer if key.footer and not key.group else key.description[:1].upper() + key.description[1:]
                help_text = f"{key.description} ({key.where})"
                yield SystemCommand(f"{name} ({key.shown})", help_text, lambda a=key.action: target.run_action(a))


def create_app(
    config: RunConfig, export_dir: str | Path = "dropout-tui-export", replay: Replay | None = None
) -> DropoutApp:
    """The one app factory, shared by the CLI and the tests."""
    return DropoutApp(config, export_dir=export_dir, replay=replay)
