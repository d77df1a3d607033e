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

from collections.abc import Iterable
from dataclasses import dataclass

# What a pane draws; RunState.apply() returns these for each event.
LOSS, MODES_TABLE, PROBE, STATUS, LOG, EXPLAIN = "loss", "modes", "probe", "status", "log", "explain"
HEAVY = frozenset({LOSS, MODES_TABLE, PROBE})


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

    def __init__(self, policy: RedrawPolicy | None = None) -> None:
        self.policy = policy or RedrawPolicy()
        self._pending: set[str] = set()
        self._pending_since: dict[str, float] = {}
        self._asked: set[str] = set()
        self._last: dict[str, float] = {pane: float("-inf") for pane in (LOSS, MODES_TABLE, PROBE, STATUS)}
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
        throttled = [(LOSS, policy.chart)] + [
            (pane, policy.heavy) for pane in (MODES_TABLE, PROBE) if pane not in self._asked
        ]
        if status_key == self._status_key:  # a new run state shows at once
            throttled.append((STATUS, status_interval))
        for pane, interval in throttled:
            if pane in wanted and now - self._last[pane] < interval:
                self._hold(pane, wanted)
        if training:
            for pane in HEAVY & wanted - self._asked:
                since = self._pending_since.setdefault(pane, now)
                new_epoch = pane == LOSS and epochs != self._epochs_drawn
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
        for pane in panes & HEAVY:
            self._last[pane] = now
        if LOSS in panes:
            self._epochs_drawn = epochs
        if STATUS in panes:
            self._last[STATUS] = now
            self._status_key = status_key

    def _hold(self, pane: str, wanted: set[str]) -> None:
        self._pending.add(pane)
        wanted.discard(pane)
