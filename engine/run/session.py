"""One run: load data and model, train with live controls, evaluate every mode, report events.

``Session.run()`` is safe to call from a worker thread and never raises for
run-time problems: they become a ``Failed`` event and ``run()`` returns None.
TensorFlow is imported inside ``run()``, after ``dropout_tui.engine.quiet`` has
set the log level and taken over logging and warnings, so importing this
module is cheap and UI-safe.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from dropout_tui.engine import quiet
from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError, describe_error
from dropout_tui.engine.events import Event, Failed, Finished, Status, Summary
from dropout_tui.engine.run import reports
from dropout_tui.engine.run.controls import Controls
from dropout_tui.engine.run.fit_loop import Diverged, StopBeforeEpoch
from dropout_tui.engine.run.progress import Progress

if TYPE_CHECKING:  # the parts import Keras and NumPy: imported when a run assembles them, never on import
    from dropout_tui.engine.data.datasets import Dataset
    from dropout_tui.engine.data.ood import OodSet
    from dropout_tui.engine.run.cluster import Cluster
    from dropout_tui.engine.run.commands import CommandServer
    from dropout_tui.engine.run.devices import Devices
    from dropout_tui.engine.run.measurement import Measurer
    from dropout_tui.engine.run.preparation import Prepared
    from dropout_tui.engine.run.rates import RateControl
    from dropout_tui.engine.run.workers import Workers


class _Parts(NamedTuple):
    measurer: Measurer
    rates: RateControl
    commands: CommandServer


class Session:
    """The lifecycle of one run; the fit loop, the measurements and the command server do the work.

    ``serve=True`` keeps answering commands (probe, T, rate, evaluate) after the
    summary until the controls are cancelled: the app needs that, headless not.
    """

    def __init__(
        self,
        config: RunConfig,
        sink: Callable[[Event], None],
        controls: Controls | None = None,
        *,
        serve: bool = False,
        cluster: Cluster | None = None,
    ) -> None:
        self.config = config
        self.controls = controls or Controls()
        self.serve = serve
        self.user_error: ConfigError | None = None  # set when bad input ended the run (CLI: exit 2)
        self.progress = Progress()
        self.prepared: Prepared | None = None  # the model and arrays, once loaded
        self._sink = sink
        self.cluster = cluster  # this run spans several worker processes
        self.workers: Workers | None = None  # once the cluster's strategy is up

    def emit(self, event: Event) -> None:
        self._sink(event)

    def run(self) -> Summary | None:
        quiet.prepare_environment()
        try:
            with quiet.Capture(self._sink) as capture:
                return self._run(capture)
        except Cancelled:
            self.emit(Status("stopped", "cancelled"))
        except Diverged:
            pass
        except ConfigError as error:
            self.user_error = error
            self.emit(Failed(message=str(error)))
        except Exception as error:  # any bug or library error: report it, never kill the caller's thread
            message = describe_error(error) if self.workers is None else self.workers.describe(error)
            self.emit(Failed(message=message, epoch=self.progress.epoch or None, traceback=traceback.format_exc()))
        return None

    def _run(self, capture: quiet.Capture) -> Summary | None:
        self.config.validate()  # the command line validated it already; programmatic callers may not have
        dataset, ood = self._load_data()
        from dropout_tui.engine import backends

        backends.activate(self.config.backend)  # before Keras is imported: it keeps its first backend
        self.emit(Status("loading", f"loading {backends.label(self.config.backend)}"))
        import keras

        capture.install_loggers()
        capture.drain_native()
        keras.config.disable_interactive_logging()  # Keras would otherwise print() to stdout
        self._check_cancel()
        from dropout_tui.engine.run.devices import for_backend

        # Before anything runs on a device.
        devices = for_backend(self.config.backend, self.config.devices, self.cluster)
        keras.utils.set_random_seed(self.config.seed)

        from dropout_tui.engine.run.preparation import prepare

        self.emit(Status("loading", "loading the model" if self.config.command == "inspect" else "building the model"))
        with devices.strategy.scope():  # variables made here are mirrored on every replica
            prepared = self.prepared = prepare(self.config, dataset, ood)
        if devices.replicas > 1:
            from dropout_tui.engine.run.devices import replica_aware_seeds

            replica_aware_seeds(prepared.model)
        described: dict = {}
        if self.cluster is not None:
            from dropout_tui.engine.run.workers import Workers

            workers = self.workers = Workers(self.cluster, devices)
            described = workers.introduce(self.config, prepared)
        parts = self._assemble(prepared, devices)
        self.emit(reports.run_started(self.config, prepared, devices, parts.rates.current(), **described))
        capture.drain_native()

        started = time.perf_counter()
        if prepared.epochs:
            self._train(prepared, parts)
        capture.drain_native()
        self._check_cancel()
        stopped = self.controls.stop_requested
        if stopped:
            self.emit(Status("stopped", "stopped by user; evaluating the model as it is"))
        measurer = parts.measurer
        if not self.progress.evaluated_now:
            measurer.evaluate_round()
        members = self.config.ensemble
        if members and self.config.command == "train" and not stopped:
            self._ensemble(prepared, measurer, devices.strategy, members)
        seconds = time.perf_counter() - started
        epochs_run = self.progress.epochs_run
        self.emit(Status("finished", f"{epochs_run} epoch(s) in {seconds:.1f} s"))
        self.emit(Finished(epochs_run=epochs_run, seconds=seconds, stopped_by_user=stopped))
        summary = reports.summary(prepared, epochs_run, seconds, measurer.history, self.config.backend)
        self.emit(summary)
        if self.serve:
            self._serve_until_cancelled(parts.commands)
        return summary

    def _load_data(self) -> tuple[Dataset, OodSet | None]:
        """The data, the OOD inputs and the files named on the command line, checked before TensorFlow loads."""
        from dropout_tui.engine.run import inputs

        # Data first: a bad --data, --ood or --model file is reported without waiting for TensorFlow.
        self.emit(Status("loading", "loading data"))
        loaded = inputs.take(self.config) or inputs.check_inputs(self.config)
        return loaded.dataset, loaded.ood

    def _assemble(self, prepared: Prepared, devices: Devices) -> _Parts:
        """The parts that do the work, wired to this session's controls, progress and sink."""
        from dropout_tui.engine.evaluation.backend import for_keras
        from dropout_tui.engine.model.layers import rate_handles
        from dropout_tui.engine.run.commands import CommandServer
        from dropout_tui.engine.run.measurement import Measurer
        from dropout_tui.engine.run.rates import RateControl

        config = self.config
        rates = RateControl(rate_handles(prepared.model))
        measurer = Measurer(
            prepared,
            samples=config.mc_samples,
            repeats=config.repeats,
            probe_index=config.probe_index,
            batch_size=config.batch_size,
            seed=config.seed,
            emit=self.emit,
            progress=self.progress,
            rates=rates.current,
            should_cancel=lambda: self.controls.cancelled,
            backend=for_keras(devices.strategy),
        )
        commands = CommandServer(
            emit=self.emit, controls=self.controls, progress=self.progress, rates=rates, measurer=measurer
        )
        return _Parts(measurer, rates, commands)

    def _train(self, prepared: Prepared, parts: _Parts) -> None:
        from dropout_tui.engine.run.fit_loop import FitLoop
        from dropout_tui.engine.run.training import SessionCallback, fit_data

        loop = FitLoop(
            model=prepared.model,
            batch_size=self.config.batch_size,
            n_train=prepared.n_train,
            eval_every=self.config.eval_every,
            controls=self.controls,
            progress=self.progress,
            commands=parts.commands,
            rates=parts.rates,
            measurer=parts.measurer,
            emit=self.emit,
        )
        self.progress.training = True
        self.emit(Status("running", f"training {prepared.epochs} epoch(s)"))
        try:
            data = fit_data(prepared.model, *prepared.training_split(), self.config.batch_size, self.config.seed)
            prepared.model.fit(**data, epochs=prepared.epochs, verbose=0, callbacks=[SessionCallback(loop)])
        except StopBeforeEpoch:
            pass
        finally:
            self.progress.training = False

    def _ensemble(self, prepared: Prepared, measurer: Measurer, strategy: Any, members: int) -> None:
        """`--ensemble K`: K-1 more members after the main run, each reported as it finishes."""
        from dropout_tui.engine.run.ensemble import train_members

        self.emit(Status("running", f"training {members - 1} more ensemble member(s)"))
        for member in train_members(self.config, prepared, strategy, lambda: self.controls.cancelled):
            measurer.add_member(member, members)

    def _serve_until_cancelled(self, commands: CommandServer) -> None:
        controls = self.controls
        try:
            while not controls.cancelled:
                commands.serve_pending()
                controls.wait(0.25)
        except Cancelled:
            pass

    def _check_cancel(self) -> None:
        if self.controls.cancelled:
            raise Cancelled()
