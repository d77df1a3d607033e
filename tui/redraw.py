"""When to redraw what: the app's redraw policy, without Textual (unit-tested in tests/tui/test_redraw.py).

While the engine trains, every millisecond the UI thread holds the GIL is taken
from it. So the planner throttles the costly panes: the chart, the modes table and the
probe at most twice a second, the status a few times a second, and the chart, the modes table and the
probe (which change mostly between epochs, while the engine evaluates) only once
their news is a second or two old. A pane a key asked for (a new probe, a new T)
is drawn as soon as its answer arrives, and a new run state ("paused",
"failed") shows at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# What a pane draws; RunState.apply() returns these for each event (the sweep's state its own, STATUS shared).
LOSS, MODES_TABLE, PROBE, STATUS, LOG, EXPLAIN = "loss", "modes", "probe", "status", "log", "explain"
# The train app's costly panes and the policy interval (a RedrawPolicy field) each is throttled to; while training
# they also wait for the gap between epochs. A pane that is not named here is drawn at every tick it is dirty.
TRAIN_THROTTLES: Mapping[str, str] = {LOSS: "chart", MODES_TABLE: "heavy", PROBE: "heavy"}


@dataclass(frozen=True)
class RedrawPolicy:
    """The intervals, in seconds (defaults measured on a 2-core box, see bench/README.md)."""

    tick: float = 0.1  # drain events and redraw at most 10 times a second
    chart: float = 0.5  # rebuilding the chart is the costliest redraw
    heavy: float = 0.5  # the modes table and the probe: short epochs would otherwise redraw them ten times a second
    status: float = 0.25  # a step counter that moves faster cannot be read anyway
    training_status: float = 0.5  # while training, each frame takes GIL time from the engine
    clock: float = 1.0  # elapsed time moves on its own: the status is redrawn this often anyway
    training_defer: float = 2.0  # heavy panes wait this long while training...
    epoch_defer: float = 1.0  # ...a new epoch's losses less: with rare evaluations there is no gap to wait for


class RedrawPlanner:
    """Decides, once a tick, which of the dirty panes to draw now and which to keep for later."""

    def __init__(self, policy: RedrawPolicy | None = None, throttles: Mapping[str, str] = TRAIN_THROTTLES) -> None:
        self.policy = policy or RedrawPolicy()
        self._intervals = {pane: getattr(self.policy, name) for pane, name in throttles.items()}
        self._charts = frozenset(pane for pane, name in throttles.items() if name == "chart")
        self._pending: set[str] = set()
        self._pending_since: dict[str, float] = {}
        self._asked: set[str] = set()
        self._last: dict[str, float] = dict.fromkeys((*throttles, STATUS), float("-inf"))
        self._epochs_drawn = 0
        self._status_key: object = None

    def ask(self, pane: str) -> None:
        """A key asked for this pane's news: draw it as soon as it is dirty, even while training."""
        self._asked.add(pane)

    def request(self, panes: Iterable[str]) -> None:
        """Draw these at the next plan, throttles permitting (the first frame, a resize)."""
        self._pending.update(panes)

    def plan(self, dirty: Iterable[str], now: float, *, training: bool, status_key: object, epochs: int) -> set[str]:
        """The panes to draw now. ``status_key`` changes when the run state does; ``epochs``: epochs so far.

        The caller draws exactly what is returned: the planner books it as drawn.
        """
        policy = self.policy
        wanted = set(dirty) | self._pending
        self._pending = set()
        if now - self._last[STATUS] >= policy.clock:
            wanted.add(STATUS)
        status_interval = policy.training_status if training else policy.status
        throttled = [(pane, interval) for pane, interval in self._intervals.items() if pane not in self._asked]
        if status_key == self._status_key:  # a new run state shows at once
            throttled.append((STATUS, status_interval))
        for pane, interval in throttled:
            if pane in wanted and now - self._last[pane] < interval:
                self._hold(pane, wanted)
        if training:
            for pane in self._intervals.keys() & wanted - self._asked:
                since = self._pending_since.setdefault(pane, now)
                new_epoch = pane in self._charts and epochs != self._epochs_drawn
                if now - since < (policy.epoch_defer if new_epoch else policy.training_defer):
                    self._hold(pane, wanted)
        self.drawn(wanted, now, status_key=status_key, epochs=epochs)
        return wanted

    def drawn(self, panes: Iterable[str], now: float, *, status_key: object, epochs: int) -> None:
        """Book panes as drawn now (``plan`` does; a key that redraws at once calls it itself)."""
        panes = set(panes)
        for pane in panes:
            self._pending_since.pop(pane, None)
        self._asked -= panes
        for pane in panes & self._intervals.keys():
            self._last[pane] = now
        if panes & self._charts:
            self._epochs_drawn = epochs
        if STATUS in panes:
            self._last[STATUS] = now
            self._status_key = status_key

    def _hold(self, pane: str, wanted: set[str]) -> None:
        self._pending.add(pane)
        wanted.discard(pane)
