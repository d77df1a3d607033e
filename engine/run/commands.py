"""The user's commands, served between batches, while paused and after training: one handler per name."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.events import Event, Notice, RateChanged, RateScheduled, SamplesChanged, Status
from dropout_tui.engine.limits import LIMITS
from dropout_tui.engine.run.controls import Command, Controls
from dropout_tui.engine.run.measurement import Measurer
from dropout_tui.engine.run.progress import Progress
from dropout_tui.engine.run.rates import RateControl

PROBE_MOVES = {"next": 1, "prev": -1}


class CommandServer:
    """Turns Commands into changes and answers with events; a command that changes nothing gets a Notice."""

    def __init__(
        self,
        *,
        emit: Callable[[Event], None],
        controls: Controls,
        progress: Progress,
        rates: RateControl,
        measurer: Measurer,
    ) -> None:
        self._emit = emit
        self._controls = controls
        self._progress = progress
        self._rates = rates
        self._measurer = measurer
        self._due: Callable[[], None] | None = None
        self._handlers: dict[str, Callable[[object], None]] = {
            "shift_rate": self._shift_rate,
            "set_samples": self._set_samples,
            "probe": self._probe,
            "evaluate": self._evaluate,
        }

    def serve_pending(self) -> None:
        self.serve(self._controls.pending_commands())

    def serve(self, commands: list[Command]) -> None:
        """Each command in order; the measurement they ask for runs once, after the last of them.

        Keys pressed while a measurement runs queue up: eight `+` on an idle inspect then wait for one
        evaluation at the final rates, not for eight (an LSTM's retrace and evaluation take 1-2 s each).
        """
        self._due = None
        for command in commands:
            handler = self._handlers.get(command.name)
            if handler is None:
                self._emit(Notice(f"ignored unknown command {command.name!r}"))
                continue
            handler(command.value)
        if self._due is not None:
            self._due()

    def _measure_after(self, measurement: Callable[[], None]) -> None:
        # An evaluation round ends with the probe, so it covers a probe asked for in the same batch.
        if self._due != self._evaluate_round:
            self._due = measurement

    def apply_pending_rates(self) -> bool:
        """At an epoch's start: a scheduled change takes effect; True when the train step must be rebuilt."""
        if self._rates.pending is None:
            return False
        self._apply_rates(self._rates.pending)
        return True

    def settled_status(self) -> Status:
        """What the status line says once a command's work is done."""
        if not self._progress.training:
            return Status("finished")
        return Status("paused" if self._controls.paused else "running")

    # --- handlers ---------------------------------------------------------
    def _shift_rate(self, direction: object) -> None:
        if direction not in (1, -1):
            self._emit(Notice(f"ignored rate step {direction!r}: expected +1 or -1"))
            return
        if not self._rates.adjustable:
            self._emit(Notice("the model has no layer with a dropout rate to change"))
            return
        rates = self._rates.stepped(int(direction))
        if rates is None:
            self._emit(Notice(self._rates.refusal(int(direction))))
            return
        if not self._progress.training:
            self._apply_rates(rates)
            self._measure_after(self._evaluate_round)  # nothing trains any more: measure the new rates now
            return
        current = self._rates.current()
        withdrawn = rates == current
        self._rates.pending = None if withdrawn else rates
        first = next(iter(rates.values()))
        self._emit(RateScheduled(epoch=self._progress.next_epoch, rate=first, rates=rates, withdrawn=withdrawn))

    def _apply_rates(self, rates: dict[str, float]) -> None:
        self._rates.apply(rates)
        progress = self._progress
        self._emit(
            RateChanged(
                epoch=progress.next_epoch, global_step=progress.global_step + 1, rate=self._rates.first(), rates=rates
            )
        )

    def _set_samples(self, value: object) -> None:
        try:
            samples = LIMITS["mc_samples"].check(value)
        except ConfigError as error:
            self._emit(Notice(f"ignored T={value!r}: {error}"))
            return
        self._measurer.samples = int(samples)
        self._emit(SamplesChanged(samples=self._measurer.samples))
        if not self._progress.training:
            self._measure_after(self._evaluate_round)  # nothing trains any more: measure the new T now, as a rate
        elif self._controls.paused:
            self._measure_after(self._measurer.probe)  # the modes follow at the next epoch's round

    def _probe(self, value: object) -> None:
        measurer, n_test = self._measurer, self._measurer.n_test
        if value in PROBE_MOVES:
            measurer.probe_index = (measurer.probe_index + PROBE_MOVES[value]) % n_test
        elif value == "most_uncertain":
            self._emit(Status("evaluating", f"finding the most uncertain of {n_test} test samples"))
            measurer.probe_index = measurer.most_uncertain_index()
            self._emit(self.settled_status())
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if not 0 <= value < n_test:
                self._emit(Notice(f"ignored probe index {value}: the test set has {n_test} samples"))
                return
            measurer.probe_index = int(value)
        elif value not in (None, "redraw"):
            self._emit(Notice(f"ignored probe request {value!r}"))
            return
        self._measure_after(measurer.probe)

    def _evaluate(self, value: object) -> None:
        self._measure_after(self._evaluate_round)

    def _evaluate_round(self) -> None:
        self._measurer.evaluate_round()
        self._emit(self.settled_status())
