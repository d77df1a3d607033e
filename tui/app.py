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
from textual.app import ComposeResult, SystemCommand
from textual.command import CommandPalette
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import describe_error
from dropout_tui.engine.events import Failed
from dropout_tui.engine.limits import LIMITS, SAMPLES_FACTOR, scaled_samples
from dropout_tui.engine.quiet import drain_native_stderr, native_level
from dropout_tui.engine.run.controls import Controls
from dropout_tui.tui import export as exporting
from dropout_tui.tui.bridge import EventBuffer
from dropout_tui.tui.keys import (
    COMMAND_PALETTE,
    EVERYWHERE,
    EXPLAIN,
    KEYS,
    MAIN,
    UNCERTAINTY,
    bindings,
    main_only_actions,
)
from dropout_tui.tui.panes.loss import LossPane
from dropout_tui.tui.panes.modes import ModesPane
from dropout_tui.tui.panes.probe import ProbePane
from dropout_tui.tui.panes.status import LogPane, StatusBar
from dropout_tui.tui.redraw import EXPLAIN as EXPLAIN_PANE
from dropout_tui.tui.redraw import LOG, LOSS, MODES, PROBE, STATUS, RedrawPlanner
from dropout_tui.tui.replay import Replay, load_events
from dropout_tui.tui.run_state import AT_ONCE, ExplainFailed, ExplainFinished, ExplainNews, RunState
from dropout_tui.tui.screens.explain import ExplainJob, ExplainScreen
from dropout_tui.tui.screens.uncertainty import REGRESSION_NOTE, UncertaintyScreen
from dropout_tui.tui.terminal import TerminalApp

NARROW_WIDTH = 120  # below this the log pane shares the bottom row with the modes table
MAIN_ONLY = main_only_actions()


class KeyActions:
    """What each key of tui/keys.py does: a command to the engine, a screen, an export. Mixed into DropoutApp."""

    state: RunState
    controls: Controls
    explain: ExplainJob
    export_dir: Path
    planner: RedrawPlanner

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
        self.planner.ask(MODES)
        self.planner.ask(PROBE)
        self.draw_now({STATUS})
        when = AT_ONCE if self.state.measures_at_once else "from the next evaluation"
        self.notify(f"MC samples T = {samples} {when}")

    def action_probe(self, which: str) -> None:
        self.planner.ask(PROBE)
        self.controls.probe(which)

    def action_export(self) -> None:
        self.export_results()

    def export_results(self, prefix: str = "dropout-tui") -> None:
        """The results JSON and an SVG of the screen on top (the main screen, or the Uncertainty screen)."""
        # The redraw throttle may hold the newest round back from the panes: draw it, so both files show one round.
        self.draw_now({LOSS, MODES, PROBE, STATUS})
        self.write_export(lambda svg, directory: exporting.export(self.state, svg, directory, prefix=prefix))

    def action_uncertainty(self) -> None:
        if self.state.regression:
            self.notify(REGRESSION_NOTE)
            return
        if not any(isinstance(screen, UncertaintyScreen) for screen in self.screen_stack):
            self.push_screen(UncertaintyScreen(self.state))

    def action_explain(self) -> None:
        # One Explain screen at a time, one explain run at a time: the run starts on the first visit only.
        if any(isinstance(screen, ExplainScreen) for screen in self.screen_stack):
            return
        if self.explain.state.run == 0:
            self.explain.start()
        self.push_screen(ExplainScreen(self.explain))

    def action_toggle_log(self) -> None:
        # Classes live on the bottom row so a toggle restyles two panes, not the screen.
        self.query_one("#bottom").toggle_class("-show-log")

    def action_help(self) -> None:
        from dropout_tui.tui.screens.help import HelpScreen

        if not any(isinstance(screen, HelpScreen) for screen in self.screen_stack):
            self.push_screen(HelpScreen())


class DropoutApp(KeyActions, TerminalApp):
    """Layout, the engine and explain workers, and the tick that drains their results and redraws.

    Workers only append to one EventBuffer; every tick (tui/redraw.py decides
    what to draw when) folds the buffer into the RunState and the ExplainState,
    and each pane that declares a changed part of the state (``draws``) draws
    itself from it. The keys' actions are in KeyActions, above.
    """

    CSS_PATH = "app.tcss"
    TITLE = "dropout-tui"
    BINDINGS = bindings(MAIN, EVERYWHERE)

    def __init__(
        self, config: RunConfig, export_dir: str | Path = "dropout-tui-export", replay: Replay | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.export_dir = Path(export_dir)
        self.controls = Controls()
        self.state = RunState(config)
        self._buffer: EventBuffer[object] = EventBuffer()
        self.explain = ExplainJob(self, self._buffer.put, config.seed)
        self.planner = RedrawPlanner()
        self._replay = None if replay is None else load_events(replay)
        self._announced: Failed | None = None

    # --- layout ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="top"):
            yield LossPane(id="loss-pane")
            yield ProbePane(id="probe-pane")
        with Horizontal(id="bottom"):
            yield ModesPane(id="modes-pane")
            yield LogPane(id="log-pane")
        yield Footer()
        yield self.too_small_notice()

    def on_mount(self) -> None:
        super().on_mount()
        self._panes = [StatusBar, LossPane, ProbePane, ModesPane, LogPane]
        self._panes = [self.query_one(kind) for kind in self._panes]
        self.begin_capture_print(self.query_one(LogPane), stdout=True, stderr=True)
        self.set_interval(self.planner.policy.tick, self._tick)
        if self._replay is not None:
            for event in self._replay:
                self._buffer.put(event)
        else:
            self.state.live = True
            self._run_engine()
        # The first frame: an empty chart and the status, or the whole replayed run at once.
        self.planner.request({LOSS, STATUS})
        self._tick()

    def stop_workers(self) -> None:
        # Wake a paused or serving engine so the worker returns within a batch.
        self.controls.cancel()
        self.explain.cancel()

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        self.query_one("#bottom").set_class(event.size.width < NARROW_WIDTH, "-narrow")

    # --- workers -------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, name="engine")
    def _run_engine(self) -> None:
        from dropout_tui.engine.run.session import Session  # imports TensorFlow: never on the start path

        Session(self.config, self._buffer.put, self.controls, serve=True).run()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.worker.name != "engine" or event.state != WorkerState.ERROR or error is None:
            return
        self._buffer.put(Failed(message=describe_error(error), traceback="".join(traceback.format_exception(error))))
        self._tick()

    # --- the tick: drain, fold, draw ---------------------------------------------
    def _tick(self) -> None:
        if self.closing:
            return
        dirty = self._fold(self._buffer.drain())
        if self._native_captured:
            for line in drain_native_stderr():
                dirty |= self.state.log(native_level(line), line)
        if self.state.failed is not None and LOG in dirty:
            self._announce_failure(self.state.failed)
        for notice in self.state.take_notices():
            self.notify(notice)
        training = self.state.live and self.state.state == "running" and not self.state.paused
        self._draw(self.planner.plan(dirty, time.monotonic(), training=training, **self._progress_marks()))

    def _fold(self, items: list[object]) -> set[str]:
        dirty: set[str] = set()
        for item in items:
            if isinstance(item, ExplainNews):
                news = self.explain.state.apply(item, time.monotonic())
                if news and isinstance(item, (ExplainFinished, ExplainFailed)) and self._on_main_screen():
                    done = "is done" if isinstance(item, ExplainFinished) else "failed"
                    self.notify(f"the explain run {done}: w shows it")
                dirty |= news
                continue
            dirty |= self.state.apply(item)
        if self.state.live and self.state.started_at is None and self.state.started is not None:
            self.state.started_at = time.monotonic()
        return dirty

    def _draw(self, panes: set[str]) -> None:
        for pane in self._panes:
            if pane.draws & panes:
                pane.update_from(self.state)
        if EXPLAIN_PANE in panes and isinstance(self.screen, ExplainScreen):
            self.screen.update_from(self.explain.state)
        if isinstance(self.screen, UncertaintyScreen) and self.screen.draws & panes:
            self.screen.update_from(self.state)

    def draw_now(self, panes: set[str]) -> None:
        """Draw at once (a key's own effect), past the planner's throttles."""
        self.planner.drawn(panes, time.monotonic(), **self._progress_marks())
        self._draw(panes)

    def _progress_marks(self) -> dict:
        """What the planner compares with the last frame: the status line's state and the epochs evaluated."""
        return {"status_key": (self.state.state, self.state.message), "epochs": len(self.state.epochs)}

    def _announce_failure(self, failed: Failed) -> None:
        if self._announced is failed:
            return
        self._announced = failed
        self.notify(f"Run failed: {failed.message} (traceback in the log)", severity="error", timeout=10)
        self.query_one("#bottom").add_class("-show-log")

    # --- keys --------------------------------------------------------------------
    def _on_main_screen(self) -> bool:
        stack = [screen for screen in self.screen_stack if not isinstance(screen, CommandPalette)]
        return stack[-1] is stack[0]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The main screen's keys are off (and out of the footer) while another screen covers the panes.
        return self._on_main_screen() or action not in MAIN_ONLY

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        screens = {ExplainScreen: EXPLAIN, UncertaintyScreen: UNCERTAINTY}
        where = next((name for kind, name in screens.items() if isinstance(screen, kind)), None)
        where = where or (MAIN if screen is self.screen_stack[0] else None)
        target = screen if where in screens.values() else self
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
