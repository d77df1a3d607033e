"""One run: load data and model, train with live controls, evaluate every mode, report events.

``Session.run()`` is safe to call from a worker thread and never raises for
run-time problems: they become a ``Failed`` event and ``run()`` returns None.
TensorFlow is imported inside ``run()``, after ``dropout_tui.engine.quiet`` has set the
log level and taken over logging and warnings, so importing this module is
cheap and UI-safe.

Evaluation and probing draw their dropout masks from a separate random stream
(dropout_tui.engine.evaluation.rng), so a run trains identically whatever is evaluated, probed or
re-drawn along the way, and two runs with one ``--seed`` agree exactly.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dropout_tui.engine import quiet
from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.events import (
    BatchLosses,
    EpochEnd,
    Event,
    Failed,
    Finished,
    LogRecord,
    ModeEvaluation,
    RateChanged,
    RunStarted,
    SamplesChanged,
    Status,
    Summary,
)
from dropout_tui.engine.run.controls import Command, Controls

BATCH_EVENT_INTERVAL = 0.05  # seconds: at most ~20 BatchLosses events per second


class _Diverged(Exception):
    """The loss became NaN/inf; the Failed event has already been sent."""


class _StopBeforeEpoch(Exception):
    """Stop was requested between epochs: leave fit without training another batch."""


@dataclass
class _Prepared:
    model: object
    outputs_are_logits: bool
    x_train: np.ndarray | None
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    images: np.ndarray  # test samples as stored, for the probe's picture
    dataset: str
    classes: int
    epochs: int
    notes: list


class Session:
    def __init__(
        self,
        config: RunConfig,
        sink: Callable[[Event], None],
        controls: Controls | None = None,
        *,
        serve: bool = False,
    ) -> None:
        self.config = config
        self.controls = controls or Controls()
        self.serve = serve
        self.user_error: ConfigError | None = None  # set when bad input ended the run (CLI: exit 2)
        self._sink = sink
        self.samples = config.mc_samples
        self.probe_index = config.probe_index
        self.history: list[dict] = []
        self._rate_layers: list = []
        self._pending_rate: float | None = None
        self._training = False
        self._stepping = False
        self._epoch = 0  # current (1-based) epoch while training
        self._epochs_run = 0
        self._global_step = 0
        self._evaluated_at_step = -1

    def emit(self, event: Event) -> None:
        self._sink(event)

    # --- the run -------------------------------------------------------
    def run(self) -> Summary | None:
        quiet.prepare_environment()
        try:
            with quiet.Capture(self._sink) as capture:
                return self._run(capture)
        except Cancelled:
            self.emit(Status("stopped", "cancelled"))
        except _Diverged:
            pass
        except ConfigError as error:
            self.user_error = error
            self.emit(Failed(message=str(error)))
        except Exception as error:  # any bug or library error: report it, never kill the caller's thread
            message = " ".join(f"{type(error).__name__}: {error}".split())
            self.emit(Failed(message=message, epoch=self._epoch or None, traceback=traceback.format_exc()))
        return None

    def _run(self, capture: quiet.Capture) -> Summary | None:
        from dropout_tui.engine.data.datasets import load_dataset

        # Data first: a bad --data file is reported without waiting for TensorFlow.
        self.emit(Status("loading", "loading data"))
        inspect = self.config.command == "inspect"
        dataset = load_dataset(
            self.config, require_train=not inspect or self.config.fine_tune > 0, scale_uint8=not inspect
        )
        if inspect:
            from dropout_tui.engine.model.loading import check_model_file

            check_model_file(self.config.model_path)
        if self.probe_index >= dataset.n_test:
            raise ConfigError(
                f"--probe-index {self.probe_index} is out of range: the test set has {dataset.n_test} samples"
            )
        self.emit(Status("loading", "loading TensorFlow"))
        import keras

        from dropout_tui.engine.evaluation import modes, rng
        from dropout_tui.engine.model import layers
        from dropout_tui.engine.run import versions

        capture.install_loggers()
        capture.drain_native()
        keras.config.disable_interactive_logging()  # Keras would otherwise print() to stdout
        self._check_cancel()
        keras.utils.set_random_seed(self.config.seed)

        self.emit(Status("loading", "building the model" if not inspect else "loading the model"))
        prepared = self._prepare(dataset)
        self.prepared = prepared
        model = prepared.model
        self.predictor = modes.Predictor(
            model,
            outputs_are_logits=prepared.outputs_are_logits,
            batch_size=self.config.batch_size,
            should_cancel=lambda: self.controls.cancelled,
        )
        self._stream = rng.EvaluationStream(model)
        self._rate_layers = [layer for layer in layers.stochastic_layers(model) if hasattr(layer, "rate")]
        keras_version, tf_version = versions.versions()
        stochastic = [layer.to_json() for layer in layers.describe_stochastic(model)]
        n_train = 0 if prepared.x_train is None else len(prepared.x_train)
        steps = math.ceil(n_train / self.config.batch_size) if prepared.epochs else 0
        self.emit(
            RunStarted(
                command=self.config.command,
                config=self.config.to_dict(),
                dataset=prepared.dataset,
                n_train=n_train,
                n_test=len(prepared.x_test),
                input_shape=[int(d) for d in prepared.x_test.shape[1:]],
                classes=prepared.classes,
                stochastic_layers=stochastic,
                normalization_layers=layers.describe_normalization(model),
                keras_version=keras_version,
                tensorflow_version=tf_version,
                devices=versions.devices(),
                steps_per_epoch=steps,
                notes=prepared.notes,
            )
        )
        capture.drain_native()

        started = time.perf_counter()
        if prepared.epochs:
            self._train(prepared)
        capture.drain_native()
        self._check_cancel()
        stopped = self.controls.stop_requested
        if stopped:
            self.emit(Status("stopped", "stopped by user; evaluating the model as it is"))
        if self._evaluated_at_step != self._global_step:
            self._evaluate_round()
        seconds = time.perf_counter() - started
        self.emit(Status("finished", f"{self._epochs_run} epoch(s) in {seconds:.1f} s"))
        self.emit(Finished(epochs_run=self._epochs_run, seconds=seconds, stopped_by_user=stopped))
        summary = Summary(
            dataset=prepared.dataset,
            n_train=n_train,
            n_test=len(prepared.x_test),
            epochs_run=self._epochs_run,
            seconds=seconds,
            stochastic_layers=stochastic,
            modes=self.history[-1]["modes"],
            history=list(self.history),
        )
        self.emit(summary)
        if self.serve:
            self._serve_until_cancelled()
        return summary

    def _prepare(self, dataset) -> _Prepared:
        from dropout_tui.engine.model.default import build_default_model, flatten

        config = self.config
        if config.command == "inspect":
            from dropout_tui.engine.model.loading import prepare_inspect

            target = prepare_inspect(config, dataset)
            notes = list(target.notes)
            if target.extra:
                notes.append("model details: " + ", ".join(f"{k}={v}" for k, v in target.extra.items()))
            return _Prepared(
                model=target.model,
                outputs_are_logits=target.outputs_are_logits,
                x_train=target.x_train,
                y_train=dataset.y_train,
                x_test=target.x_test,
                y_test=dataset.y_test,
                images=dataset.x_test,
                dataset=dataset.name,
                classes=target.classes,
                epochs=config.fine_tune,
                notes=notes,
            )
        x_train, x_test = flatten(dataset.x_train), flatten(dataset.x_test)
        model = build_default_model(
            x_train.shape[1], dataset.classes, config.hidden, config.rate, config.lr, config.seed
        )
        return _Prepared(
            model=model,
            outputs_are_logits=False,
            x_train=x_train,
            y_train=dataset.y_train,
            x_test=x_test,
            y_test=dataset.y_test,
            images=dataset.x_test,
            dataset=dataset.name,
            classes=dataset.classes,
            epochs=config.epochs,
            notes=["rate is 0: dropout never drops anything, so every mode must agree"] if config.rate == 0 else [],
        )

    # --- training ------------------------------------------------------
    def _train(self, prepared: _Prepared) -> None:
        from dropout_tui.engine.run.training import SessionCallback

        self._n_train = len(prepared.x_train)
        self._training = True
        self.emit(Status("running", f"training {prepared.epochs} epoch(s)"))
        try:
            prepared.model.fit(
                prepared.x_train,
                prepared.y_train,
                batch_size=self.config.batch_size,
                epochs=prepared.epochs,
                verbose=0,
                shuffle=True,
                callbacks=[SessionCallback(self)],
            )
        except _StopBeforeEpoch:
            pass
        finally:
            self._training = False

    def epoch_begin(self, epoch: int) -> None:
        controls = self.controls
        self._stepping = False
        self._epoch = epoch
        self._check_cancel()  # a quit is not a stop: no "evaluating the model as it is"
        if controls.take_step():
            self._stepping = True
        elif controls.paused:
            self._hold()
        if controls.stop_requested:
            raise _StopBeforeEpoch()
        if self._pending_rate is not None:
            self._apply_rate(self._pending_rate, epoch)
            self.prepared.model.make_train_function(force=True)
        self._step = 0
        self._prev_mean = 0.0
        self._losses: list[float] = []
        self._first_step = 1
        self._excluded = 0.0  # seconds paused or serving commands: not training time
        self._epoch_start = self._flush_time = time.perf_counter()
        self._flush_step = 0

    def batch_end(self, step: int, running_mean: float) -> None:
        # Keras 3 reports the epoch's running mean weighted by batch size; undo
        # it to get this batch's loss (only the last batch of an epoch is short).
        batch_size, n = self.config.batch_size, self._n_train
        seen, seen_before = min(step * batch_size, n), min((step - 1) * batch_size, n)
        loss = (seen * running_mean - seen_before * self._prev_mean) / max(seen - seen_before, 1)
        self._prev_mean = running_mean
        self._step = step
        self._global_step += 1
        self._losses.append(loss)
        if not math.isfinite(running_mean):
            self._flush_losses(time.perf_counter())
            self.emit(
                Failed(
                    message=f"the training loss became {running_mean} at epoch {self._epoch}, batch {step}; "
                    "training stopped (try a smaller --lr)",
                    epoch=self._epoch,
                    batch=step,
                )
            )
            raise _Diverged()
        now = time.perf_counter()
        if now - self._flush_time >= BATCH_EVENT_INTERVAL:
            self._flush_losses(now)
        self._batch_edge()

    def _batch_edge(self) -> None:
        controls = self.controls
        if controls.cancelled:
            raise Cancelled()
        if controls.stop_requested:
            self.prepared.model.stop_training = True
            return
        if controls.paused and not self._stepping:
            self._hold()
            if controls.stop_requested:
                self.prepared.model.stop_training = True
            return
        commands = controls.pending_commands()
        if commands:
            began = time.perf_counter()
            for command in commands:
                self._serve(command)
            self._excluded += time.perf_counter() - began

    def epoch_end(self, epoch: int, logs: dict) -> None:
        now = time.perf_counter()
        self._flush_losses(now)
        seconds = max(now - self._epoch_start - self._excluded, 1e-9)
        samples = min(self._step * self.config.batch_size, self._n_train)
        self._epochs_run = epoch
        prepared = self.prepared
        train_probs = self.predictor.inference_probs(prepared.x_train)
        test_probs = self.predictor.inference_probs(prepared.x_test)
        from dropout_tui.engine.evaluation import metrics

        self.emit(
            EpochEnd(
                epoch=epoch,
                train_loss_keras=float(logs.get("loss", float("nan"))),
                train_loss_inference=metrics.nll(train_probs, prepared.y_train),
                test_loss_inference=metrics.nll(test_probs, prepared.y_test),
                train_accuracy_inference=metrics.accuracy(train_probs, prepared.y_train),
                test_accuracy_inference=metrics.accuracy(test_probs, prepared.y_test),
                seconds=seconds,
                samples_per_second=samples / seconds,
                rate=self._current_rate(),
            )
        )
        if epoch % self.config.eval_every == 0 and not self.controls.stop_requested:
            self._evaluate_round()
            self.emit(Status("running", f"epoch {epoch} done"))

    def _flush_losses(self, now: float) -> None:
        if not self._losses:
            return
        steps = len(self._losses)
        samples = min(self._step * self.config.batch_size, self._n_train) - min(
            self._flush_step * self.config.batch_size, self._n_train
        )
        self.emit(
            BatchLosses(
                epoch=self._epoch,
                first_step=self._first_step,
                global_step=self._global_step - steps + 1,
                losses=self._losses,
                samples_per_second=samples / max(now - self._flush_time, 1e-9),
            )
        )
        self._losses = []
        self._first_step = self._step + 1
        self._flush_step = self._step
        self._flush_time = now

    def _hold(self) -> None:
        """Paused: serve commands until resume, step, stop or cancel."""
        controls = self.controls
        began = time.perf_counter()
        self.emit(Status("paused", f"paused in epoch {self._epoch}"))
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
            for command in controls.pending_commands():
                self._serve(command)
            controls.wait(0.1)
        if not controls.stop_requested:
            self.emit(Status("running", "stepping one epoch" if self._stepping else "resumed"))
        now = time.perf_counter()
        if hasattr(self, "_excluded"):
            self._excluded += now - began
            self._flush_time = now

    # --- evaluation, probing, commands ---------------------------------
    def _evaluate_round(self) -> None:
        from dropout_tui.engine.evaluation.predictor import evaluate_modes

        epoch = self._epochs_run
        self.emit(Status("evaluating", f"evaluating every mode after epoch {epoch}"))
        prepared = self.prepared
        with self._stream.active():
            modes = evaluate_modes(
                self.predictor, prepared.x_test, prepared.y_test, mc_samples=self.samples, repeats=self.config.repeats
            )
        self._evaluated_at_step = self._global_step
        self.history.append({"epoch": epoch, "modes": modes})
        self.emit(ModeEvaluation(epoch=epoch, modes=modes))
        self._probe()

    def _probe(self) -> None:
        from dropout_tui.engine.evaluation.probe import probe_sample

        prepared = self.prepared
        index = self.probe_index
        with self._stream.active():
            event = probe_sample(
                self.predictor,
                prepared.x_test[index],
                prepared.y_test[index],
                self.samples,
                index=index,
                image=prepared.images[index],
            )
        self.emit(event)

    def _serve(self, command: Command) -> None:
        name, value = command.name, command.value
        if name == "probe":
            self._serve_probe(value)
        elif name == "set_samples":
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                self._warn(f"ignored T={value!r}: the number of passes must be a positive integer")
                return
            self.samples = int(value)
            self.emit(SamplesChanged(samples=self.samples))
            if not self._training or self.controls.paused:
                self._probe()
        elif name == "set_rate":
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= float(value) < 1.0:
                self._warn(f"ignored rate {value!r}: the dropout rate must be in [0, 1)")
                return
            if not self._rate_layers:
                self._warn("the model has no layer with a dropout rate to change")
                return
            if self._training:
                self._pending_rate = float(value)  # applied when the next epoch begins
            else:
                self._apply_rate(float(value), self._epochs_run + 1)
        elif name == "evaluate":
            self._evaluate_round()
            self.emit(Status("finished" if not self._training else "paused" if self.controls.paused else "running"))
        else:
            self._warn(f"ignored unknown command {name!r}")

    def _serve_probe(self, value: object) -> None:
        from dropout_tui.engine.evaluation.probe import most_uncertain_index

        n_test = len(self.prepared.x_test)
        if value == "next":
            self.probe_index = (self.probe_index + 1) % n_test
        elif value == "prev":
            self.probe_index = (self.probe_index - 1) % n_test
        elif value == "most_uncertain":
            self.emit(Status("evaluating", f"finding the most uncertain of {n_test} test samples"))
            with self._stream.active():
                self.probe_index = most_uncertain_index(self.predictor, self.prepared.x_test, self.samples)
            self.emit(Status("finished" if not self._training else "paused" if self.controls.paused else "running"))
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if not 0 <= value < n_test:
                self._warn(f"ignored probe index {value}: the test set has {n_test} samples")
                return
            self.probe_index = int(value)
        elif value not in (None, "redraw"):
            self._warn(f"ignored probe request {value!r}")
            return
        self._probe()

    def _apply_rate(self, rate: float, epoch: int) -> None:
        for layer in self._rate_layers:
            layer.rate = rate
        self._pending_rate = None
        self.emit(RateChanged(epoch=epoch, global_step=self._global_step + 1, rate=rate))

    def _current_rate(self) -> float:
        return float(self._rate_layers[0].rate) if self._rate_layers else float("nan")

    def _serve_until_cancelled(self) -> None:
        controls = self.controls
        try:
            while not controls.cancelled:
                for command in controls.pending_commands():
                    self._serve(command)
                controls.wait(0.25)
        except Cancelled:
            pass

    def _warn(self, message: str) -> None:
        self.emit(LogRecord(level="warning", message=message))

    def _check_cancel(self) -> None:
        if self.controls.cancelled:
            raise Cancelled()
