"""What happens at fit's batch and epoch edges: losses out, controls in, evaluation between epochs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.events import BatchLosses, EpochEnd, Event, Failed, Status
from dropout_tui.engine.run.commands import CommandServer
from dropout_tui.engine.run.controls import Controls
from dropout_tui.engine.run.measurement import Measurer
from dropout_tui.engine.run.progress import Progress
from dropout_tui.engine.run.rates import RateControl

BATCH_EVENT_INTERVAL = 0.05  # seconds: at most ~20 BatchLosses events per second


class Diverged(Exception):
    """The loss became NaN/inf; the Failed event has already been sent."""


class StopBeforeEpoch(Exception):
    """Stop was requested between epochs: leave fit without training another batch."""


class EpochMeter:
    """One epoch's batch losses and its training time (time paused or serving commands excluded).

    Keras 3 reports the epoch's running mean weighted by batch size; each
    batch's own loss is recovered from two consecutive means (only an epoch's
    last batch is short).
    """

    def __init__(self, batch_size: int, n_train: int) -> None:
        self._batch_size = batch_size
        self._n_train = n_train
        self.start(0)

    def start(self, step: int) -> None:
        self.step = step
        self.excluded = 0.0
        self._previous_mean = 0.0
        self._losses: list[float] = []
        self._first_step = 1
        self._flush_step = 0
        self.began = self._flush_time = time.perf_counter()

    def _seen(self, step: int) -> int:
        return min(step * self._batch_size, self._n_train)

    def add(self, step: int, running_mean: float) -> None:
        seen, seen_before = self._seen(step), self._seen(step - 1)
        self._losses.append((seen * running_mean - seen_before * self._previous_mean) / max(seen - seen_before, 1))
        self._previous_mean = running_mean
        self.step = step

    def due(self, now: float) -> bool:
        return now - self._flush_time >= BATCH_EVENT_INTERVAL

    def flush(self, epoch: int, global_step: int, now: float) -> BatchLosses | None:
        """The losses since the last flush as one event, or None when there are none."""
        if not self._losses:
            return None
        event = BatchLosses(
            epoch=epoch,
            first_step=self._first_step,
            global_step=global_step - len(self._losses) + 1,
            losses=self._losses,
            samples_per_second=(self._seen(self.step) - self._seen(self._flush_step))
            / max(now - self._flush_time, 1e-9),
        )
        self._losses = []
        self._first_step = self.step + 1
        self._flush_step = self.step
        self._flush_time = now
        return event

    def exclude_since(self, began: float, now: float) -> None:
        self.excluded += now - began
        self._flush_time = now

    def seconds(self, now: float) -> float:
        return max(now - self.began - self.excluded, 1e-9)

    def samples(self) -> int:
        return self._seen(self.step)


class FitLoop:
    """The hooks the Keras callback calls; one fit() call runs the whole training."""

    def __init__(
        self,
        *,
        model: Any,
        batch_size: int,
        n_train: int,
        eval_every: int,
        controls: Controls,
        progress: Progress,
        commands: CommandServer,
        rates: RateControl,
        measurer: Measurer,
        emit: Callable[[Event], None],
    ) -> None:
        self._rates = rates
        self._model = model
        self._eval_every = eval_every
        self._controls = controls
        self._progress = progress
        self._commands = commands
        self._measurer = measurer
        self._emit = emit
        self._meter = EpochMeter(batch_size, n_train)
        self._stepping = False

    def epoch_begin(self, epoch: int) -> None:
        controls, progress = self._controls, self._progress
        self._stepping = False
        progress.epoch, progress.step = epoch, 0
        if controls.cancelled:  # a quit is not a stop: no "evaluating the model as it is"
            raise Cancelled()
        if controls.take_step():
            self._stepping = True
        elif controls.paused:
            self.hold()
        if controls.stop_requested:
            raise StopBeforeEpoch()
        # Keys pressed while the last epoch was evaluated belong to this epoch, not the next one.
        self._commands.serve_pending()
        if self._commands.apply_pending_rates():
            self._model.make_train_function(force=True)  # the rate is baked into the traced train step
        self._meter.start(0)  # after any pause: paused time is not training time

    def batch_end(self, step: int, running_mean: float) -> None:
        progress = self._progress
        self._meter.add(step, running_mean)
        progress.step = step
        progress.global_step += 1
        now = time.perf_counter()
        if not math.isfinite(running_mean):
            self._flush(now)
            self._emit(
                Failed(
                    message=f"the training loss became {running_mean} at epoch {progress.epoch}, batch {step}; "
                    "training stopped (try a smaller --lr)",
                    epoch=progress.epoch,
                    batch=step,
                )
            )
            raise Diverged()
        if self._meter.due(now):
            self._flush(now)
        self._batch_edge()

    def epoch_end(self, epoch: int, logs: dict) -> None:
        now = time.perf_counter()
        self._flush(now)
        seconds = self._meter.seconds(now)
        self._progress.epochs_run = epoch
        self._emit(
            EpochEnd(
                epoch=epoch,
                train_loss_keras=float(logs.get("loss", float("nan"))),
                **self._measurer.epoch_losses(),
                seconds=seconds,
                samples_per_second=self._meter.samples() / seconds,
                rate=self._rates.first(),
            )
        )
        if epoch % self._eval_every == 0 and not self._controls.stop_requested:
            self._measurer.evaluate_round()
            self._emit(Status("running", f"epoch {epoch} done"))

    def hold(self) -> None:
        """Paused: serve commands until resume, step, stop or cancel."""
        controls = self._controls
        began = time.perf_counter()
        self._emit(Status("paused", f"paused in epoch {self._progress.epoch}"))
        while True:
            if controls.cancelled:
                raise Cancelled()
            if controls.stop_requested:
                break
            if controls.take_step():
                self._stepping = True
                break
            if not controls.paused:
                break
            self._commands.serve_pending()
            controls.wait(0.1)
        if not controls.stop_requested:
            self._emit(Status("running", "stepping one epoch" if self._stepping else "resumed"))
        self._meter.exclude_since(began, time.perf_counter())

    def _batch_edge(self) -> None:
        controls = self._controls
        if controls.cancelled:
            raise Cancelled()
        if controls.stop_requested:
            self._model.stop_training = True
            return
        if controls.paused and not self._stepping:
            self.hold()
            if controls.stop_requested:
                self._model.stop_training = True
            return
        commands = controls.pending_commands()
        if commands:
            began = time.perf_counter()
            self._commands.serve(commands)
            self._meter.exclude_since(began, time.perf_counter())

    def _flush(self, now: float) -> None:
        event = self._meter.flush(self._progress.epoch, self._progress.global_step, now)
        if event is not None:
            self._emit(event)
