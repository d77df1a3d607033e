"""The sweep app: a table with one row per rate and a chart of the chosen metric against the rate.

`dropout-tui sweep` runs the rates in a thread worker (engine.sweep: one Session per rate, or
child processes with --jobs); the worker only appends tagged events to a buffer that a timer drains
into the SweepState, and the panes draw from that. TensorFlow loads inside the worker, so the first
frame comes at once. `dropout-tui compare` opens the same app on runs read from files, with nothing
running. Keys come from tui/keys.py (where = SWEEP).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.events import Resize
from textual.worker import Worker, WorkerState

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import describe_error
from dropout_tui.engine.events import Event
from dropout_tui.engine.sweep.controls import SweepControls
from dropout_tui.engine.sweep.plan import DEFAULT_RATES, check_rates, effective_jobs
from dropout_tui.engine.sweep.runner import Sweep, Tagged, sweep_item_from_json
from dropout_tui.tui.cli.child_command import train_command
from dropout_tui.tui.glossary import SWEEP_TERMS
from dropout_tui.tui.keys import EVERYWHERE, SWEEP, bindings, keys_for
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.redraw import RedrawPlanner
from dropout_tui.tui.replay import load_events
from dropout_tui.tui.screens.help import HelpScreen
from dropout_tui.tui.sweep import export as exporting
from dropout_tui.tui.sweep.metrics import Metric, metrics_for
from dropout_tui.tui.sweep.panes import ChartPane, SweepStatus, TablePane, chosen_metric
from dropout_tui.tui.sweep.state import CHART, STATUS, TABLE, RateRun, SweepState
from dropout_tui.tui.terminal import TerminalApp, too_small_notice
from dropout_tui.tui.ticking import TickingApp

# The train app's intervals (tui/redraw.py): the chart at most every policy.chart, the table every policy.status
# (the status line's own throttle, and at least every policy.clock: its elapsed time moves).
THROTTLES = {CHART: "chart", TABLE: "status"}
RUN_KEYS = frozenset({"pause", "stop"})  # meaningless in compare: off there, and out of the footer

CSS = """
Screen { layout: vertical; }
SweepStatus { height: 2; padding: 0 1; background: $panel; }
#sweep-config, #sweep-status { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
#sweep-config { color: $text-muted; }
TablePane, ChartPane { border: round $primary; border-title-color: $text; border-subtitle-color: $text-muted; }
TablePane { height: auto; max-height: 45%; }
#sweep-header { height: 2; text-wrap: nowrap; }
#sweep-rows { height: auto; max-height: 100%; scrollbar-size-vertical: 1; }
#sweep-body { height: auto; text-wrap: nowrap; }
ChartPane { height: 1fr; min-height: 8; }
#sweep-plot { height: 1fr; }
#sweep-legend { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
Screen.-too-small SweepStatus, Screen.-too-small TablePane, Screen.-too-small ChartPane,
Screen.-too-small Footer { display: none; }
"""

COLUMN_WORDS = (
    "fit: what fit reports (dropout on, epoch mean) · clean: training set, dropout off, end weights · "
    "drop pen.: train loss dropout on - off, same weights · acc% inf/training/MC: test accuracy with "
    "dropout off, every layer training (mean ± std of R), MC mean of T · NLL, ECE: inference and MC · "
    "AURC, AUROC: how well MC's mutual information ranks the errors"
)


class SweepHelp(HelpScreen):
    """The sweep's keys and what its columns mean, in the help box that fits 80x24."""

    def __init__(self) -> None:
        super().__init__("dropout-tui sweep / compare: keys and columns", help_content(), SWEEP_TERMS)


def help_content() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key in (*keys_for(SWEEP), *keys_for(EVERYWHERE)):
        table.add_row(key.shown, key.description)
    table.add_row("", "")
    table.add_row("columns", COLUMN_WORDS)
    return table


class SweepApp(TickingApp):
    """Layout, the sweep worker, and what a tick folds: its events into the SweepState (tui/ticking.py draws)."""

    CSS = TerminalApp.CSS + CSS
    TITLE = "dropout-tui sweep"
    BINDINGS = bindings(SWEEP, EVERYWHERE)
    GOES_ON = "The sweep goes on"

    def __init__(
        self,
        config: RunConfig | None = None,
        *,
        rates: Sequence[float] = DEFAULT_RATES,
        jobs: int = 1,
        export_dir: str | Path = "dropout-tui-export",
        replay: str | Path | Iterable[Tagged | Event] | None = None,
        compare: list[RateRun] | None = None,
    ) -> None:
        super().__init__(RedrawPlanner(throttles=THROTTLES))
        self.config = config or RunConfig()
        self.export_dir = Path(export_dir)
        self.controls = SweepControls()
        self._jobs = jobs
        if compare is not None:
            files = list(dict.fromkeys(run.label for run in compare))
            self.state = SweepState(config=self.config, runs=list(compare), compare=files)
            self._rates = None
        else:
            self._rates = check_rates(rates)
            self.state = SweepState.planned(self.config, self._rates, effective_jobs(jobs, len(self._rates))[0])
        self._replay = replay
        self._announced: set[float | None] = set()

    # --- layout --------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SweepStatus(self.state)
        yield TablePane(self.state)
        yield ChartPane(self.state)
        yield Footer()
        yield too_small_notice()

    def on_mount(self) -> None:
        super().on_mount()
        if self.state.is_compare:
            self.title = "dropout-tui compare"
        if self._replay is not None:
            for item in load_events(self._replay, sweep_item_from_json):
                self._buffer.put(item)
        elif not self.state.is_compare:
            self.state.live = True
            self.state.began_at = time.monotonic()
            self._run_sweep()
        self.start_ticking({CHART, TABLE, STATUS})

    @property
    def run_failed(self) -> bool:
        return self.state.failed is not None or any(run.state == "failed" for run in self.state.runs)

    def stop_workers(self) -> None:
        self.controls.cancel()  # no worker, and no child process, outlives the app

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        self.call_after_refresh(self.draw_now, {CHART, TABLE})

    # --- the worker ----------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, name="sweep")
    def _run_sweep(self) -> None:
        assert self._rates is not None  # a sweep, not compare: it has its rates
        sweep = Sweep(self.config, self._rates, self._buffer.put, self.controls, jobs=self._jobs, command=train_command)
        sweep.run()
        self.refused = sweep.user_error

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.worker.name == "sweep" and event.state == WorkerState.ERROR and error is not None:
            self._buffer.put(SweepError(describe_error(error), "".join(traceback.format_exception(error))))

    # --- the tick's fold -------------------------------------------------------------------------------
    @property
    def metric(self) -> Metric:
        return chosen_metric(self.state)[0]

    @property
    def paused(self) -> bool:
        return self.state.paused and not self.state.over

    def progress_marks(self) -> tuple[object, int]:
        state = self.state
        return (state.over, state.paused, state.stopping, state.failed), 0

    def fold(self, items: list[object]) -> set[str]:
        state = self.state
        dirty: set[str] = set()
        for item in items:
            if isinstance(item, SweepError):
                state.failed = item.message
                self.notify(f"the sweep failed: {item.message}", severity="error", timeout=10)
                dirty.add(STATUS)
                continue
            dirty |= state.apply(item)
        if state.live and state.over and state.ended_at is None:
            state.ended_at = time.monotonic()
            state.paused = state.stopping = False
        for notice in state.take_notices():
            self.notify(notice)
        for run in state.runs:
            if run.failed is not None and run.rate not in self._announced:
                self._announced.add(run.rate)
                self.notify(f"rate {run.rate:g} failed: {run.failed.message}", severity="error", timeout=10)
        return dirty

    # --- keys ------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.state.is_compare and action in RUN_KEYS:
            return False
        return True

    def action_pause(self) -> None:
        if self.state.over or not self.state.live:
            self.notify("the sweep is over: nothing to pause")
            return
        self.state.paused = self.controls.toggle_pause()
        self.notify("paused: space resumes" if self.state.paused else "resumed")
        self.draw_now({STATUS})

    def action_stop(self) -> None:
        if self.state.over or not self.state.live:
            self.notify("the sweep is over: nothing to stop")
            return
        self.state.stopping = True
        self.controls.stop()
        self.notify("stopping: the run in progress is evaluated as it is; the other rates are skipped")
        self.draw_now({STATUS})

    def action_metric(self, step: int) -> None:
        self.state.metric = (self.state.metric + step) % len(metrics_for(self.state.task))
        self.draw_now({CHART, TABLE})

    def action_scroll(self, rows: int) -> None:
        self.query_one(TablePane).scroll_rows(rows)

    def action_export(self) -> None:
        self.write_export(lambda svg, directory: exporting.export(self.state, svg, directory))

    def action_help(self) -> None:
        if not any(isinstance(screen, SweepHelp) for screen in self.screen_stack):
            self.push_screen(SweepHelp())


class SweepError:
    """The sweep itself could not go on (a user error every rate would share, or a crash of the worker)."""

    def __init__(self, message: str, traceback_text: str = "") -> None:
        self.message, self.traceback = message, traceback_text
