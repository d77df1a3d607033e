"""Every number a run reports about its model: per-epoch losses, evaluation rounds and the probe."""

from __future__ import annotations

import time
from collections.abc import Callable

from dropout_tui.engine.events import Event, ModeEvaluation, SampleProbe, Status
from dropout_tui.engine.run.preparation import Prepared
from dropout_tui.engine.run.progress import Progress


class Measurer:
    """Evaluates the model between epochs and on request, drawing from its own random stream.

    Evaluation and probing use a separate seed stream (engine.evaluation.rng),
    so a run trains identically whatever is evaluated, probed or re-drawn.
    """

    def __init__(
        self,
        prepared: Prepared,
        *,
        samples: int,
        repeats: int,
        probe_index: int,
        batch_size: int,
        emit: Callable[[Event], None],
        progress: Progress,
        should_cancel: Callable[[], bool],
    ) -> None:
        from dropout_tui.engine.evaluation import rng
        from dropout_tui.engine.evaluation.predictor import Predictor

        self.prepared = prepared
        self.samples = samples
        self.repeats = repeats
        self.probe_index = probe_index
        self.history: list[dict] = []
        self._emit = emit
        self._progress = progress
        self._predictor = Predictor(
            prepared.model,
            outputs_are_logits=prepared.outputs_are_logits,
            batch_size=batch_size,
            should_cancel=should_cancel,
        )
        self._stream = rng.EvaluationStream(prepared.model)

    @property
    def n_test(self) -> int:
        return len(self.prepared.x_test)

    def epoch_losses(self) -> dict:
        """The training and test sets with dropout off, at the end-of-epoch weights (EpochEnd's fields)."""
        from dropout_tui.engine.evaluation import metrics

        prepared = self.prepared
        train = self._predictor.inference_probs(prepared.x_train)
        test = self._predictor.inference_probs(prepared.x_test)
        return {
            "train_loss_inference": metrics.nll(train, prepared.y_train),
            "test_loss_inference": metrics.nll(test, prepared.y_test),
            "train_accuracy_inference": metrics.accuracy(train, prepared.y_train),
            "test_accuracy_inference": metrics.accuracy(test, prepared.y_test),
        }

    def evaluate_round(self) -> None:
        """Every mode on the test set, then the probe; ModeEvaluation carries the wall time of both."""
        from dropout_tui.engine.evaluation.predictor import evaluate_modes

        epoch = self._progress.epochs_run
        self._emit(Status("evaluating", f"evaluating every mode after epoch {epoch}"))
        began = time.perf_counter()
        prepared = self.prepared
        with self._stream.active():
            modes = evaluate_modes(
                self._predictor, prepared.x_test, prepared.y_test, mc_samples=self.samples, repeats=self.repeats
            )
        probe = self._probe_event()
        self._progress.evaluated_at_step = self._progress.global_step
        self.history.append({"epoch": epoch, "modes": modes})
        self._emit(ModeEvaluation(epoch=epoch, modes=modes, seconds=time.perf_counter() - began))
        self._emit(probe)

    def probe(self) -> None:
        self._emit(self._probe_event())

    def most_uncertain_index(self) -> int:
        from dropout_tui.engine.evaluation.probe import most_uncertain_index

        with self._stream.active():
            return most_uncertain_index(self._predictor, self.prepared.x_test, self.samples)

    def _probe_event(self) -> SampleProbe:
        from dropout_tui.engine.evaluation.probe import probe_sample

        prepared, index = self.prepared, self.probe_index
        with self._stream.active():
            return probe_sample(
                self._predictor,
                prepared.x_test[index],
                prepared.y_test[index],
                self.samples,
                index=index,
                image=prepared.images[index],
            )
