"""Every number a run reports about its model: per-epoch losses, evaluation rounds and the probe."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from dropout_tui.engine.events import Event, ModeEvaluation, SampleProbe, Status
from dropout_tui.engine.run.preparation import Prepared
from dropout_tui.engine.run.progress import Progress


class Measurer:
    """Evaluates the model between epochs and on request, through one compiled Evaluator.

    The evaluator draws from its own random stream and writes none of the
    model's state, so a run trains identically whatever is evaluated, probed
    or re-drawn, and two runs with one --seed give the same numbers.
    """

    def __init__(
        self,
        prepared: Prepared,
        *,
        samples: int,
        repeats: int,
        probe_index: int,
        batch_size: int,
        seed: int,
        emit: Callable[[Event], None],
        progress: Progress,
        rates: Callable[[], dict[str, float]],
        should_cancel: Callable[[], bool],
        backend=None,
    ) -> None:
        from dropout_tui.engine.evaluation.evaluator import Evaluator

        self.prepared = prepared
        self.head = prepared.head
        self.samples = samples
        self.repeats = repeats
        self.probe_index = probe_index
        self.history: list[dict] = []
        self._rates = rates  # the rates in use, read when a round runs: every round carries its own setting
        self.seed = seed  # the bootstrap's resamples (uncertainty gaps): one seed, one answer
        self._emit = emit
        self._progress = progress
        self.evaluator = Evaluator(
            prepared.model,
            head=prepared.head,
            batch_size=batch_size,
            seed=seed,
            backend=backend,
            should_cancel=should_cancel,
        )

    @property
    def n_test(self) -> int:
        return len(self.prepared.x_test)

    @property
    def regression(self) -> bool:
        return self.head.task == "regression"

    def epoch_losses(self) -> dict:
        """EpochEnd's fields: the training and test sets at the end-of-epoch weights, dropout off and on.

        The loss is the one fit reports (cross-entropy as NLL for classifiers,
        squared error for regressors), so fit's number decomposes into clean
        training loss + dropout penalty + the drift of the weights over the epoch.
        """
        prepared, evaluator = self.prepared, self.evaluator
        train_out, dropout_on = evaluator.training_pass(prepared.x_train, prepared.y_train)
        test_out = evaluator.inference(prepared.x_test)
        count = train_out.size if self.regression else len(train_out)
        penalty_key = "squared" if self.regression else "nll"
        return {
            "train_loss_inference": self._loss(train_out, prepared.y_train),
            "test_loss_inference": self._loss(test_out, prepared.y_test),
            "train_accuracy_inference": self._accuracy(train_out, prepared.y_train),
            "test_accuracy_inference": self._accuracy(test_out, prepared.y_test),
            "train_loss_dropout": dropout_on[penalty_key] / max(count, 1),
        }

    def _loss(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        from dropout_tui.engine.evaluation import metrics, regression_metrics

        if self.regression:
            return regression_metrics.rmse(outputs, targets) ** 2
        return metrics.nll(self.head.probabilities_numpy(outputs), targets)

    def _accuracy(self, outputs: np.ndarray, targets: np.ndarray) -> float | None:
        from dropout_tui.engine.evaluation import metrics

        return None if self.regression else metrics.accuracy(self.head.probabilities_numpy(outputs), targets)

    def evaluate_round(self) -> None:
        """Every mode on the test set, then the probe; ModeEvaluation carries the wall time of both."""
        from dropout_tui.engine.evaluation.scoring import score_round

        epoch = self._progress.epochs_run
        self._emit(Status("evaluating", f"evaluating every mode after epoch {epoch}"))
        began = time.perf_counter()
        prepared = self.prepared
        passes = self.evaluator.evaluate(
            prepared.x_test, prepared.y_test, repeats=self.repeats, samples=self.samples, probe_row=self.probe_index
        )
        modes = score_round(passes, prepared.y_test, self.head, repeats=self.repeats, samples=self.samples)
        uncertainty = None if self.regression else self._uncertainty(passes)
        probe = self._probe_event(*passes.probe)
        self._progress.evaluated_at_step = self._progress.global_step
        evaluation = ModeEvaluation(
            epoch=epoch,
            modes=modes,
            seconds=time.perf_counter() - began,
            uncertainty=uncertainty,
            rates=self._rates(),
            samples=self.samples,
            repeats=self.repeats,
        )
        self.history.append(evaluation.history_entry())
        self._emit(evaluation)
        self._emit(probe)

    def _uncertainty(self, passes) -> dict:
        from dropout_tui.engine.evaluation.uncertainty import uncertainty_report

        inference, mc = self.head.probabilities_numpy(passes.inference), passes.mc
        ood = self._ood(inference, mc.mean, mc.expected_entropy)
        return uncertainty_report(inference, mc.mean, mc.expected_entropy, self.prepared.y_test, ood, seed=self.seed)

    def _ood(self, inference, mc_mean, expected_entropy) -> dict | None:
        """The scores on the test set against the same scores on the OOD inputs (OOD = positive)."""
        from dropout_tui.engine.evaluation.uncertainty import ood_gaps, ood_table, uncertainty_scores

        ood = self.prepared.ood
        if ood is None:
            return None
        far_outputs, far = self.evaluator.monte_carlo(ood.x, self.samples)
        inside = uncertainty_scores(inference, mc_mean, expected_entropy)
        outside = uncertainty_scores(self.head.probabilities_numpy(far_outputs), far.mean, far.expected_entropy)
        gaps = ood_gaps(inside, outside, self.seed)
        return {"source": ood.source, "n": len(ood.x), "scores": ood_table(inside, outside), "gaps": {"auroc": gaps}}

    def probe(self) -> None:
        """The probe on its own (another sample, a new T, a redraw): its passes drawn now."""
        index = self.probe_index
        inference, passes = self.evaluator.passes(self.prepared.x_test[index : index + 1], self.samples)
        self._emit(self._probe_event(inference[0], passes[:, 0]))

    def most_uncertain_index(self) -> int:
        """The test sample whose dropout passes disagree most: highest mutual information (regression: std)."""
        from dropout_tui.engine.evaluation.uncertainty import epistemic

        _, mc = self.evaluator.monte_carlo(self.prepared.x_test, self.samples)
        if self.regression:
            return int(np.argmax(mc.outputs.std(axis=0).mean(axis=-1)))
        return int(np.argmax(epistemic(mc.mean, mc.expected_entropy)))

    def _probe_event(self, inference: np.ndarray, passes: np.ndarray) -> SampleProbe:
        from dropout_tui.engine.evaluation.probe import probe_event

        prepared, index = self.prepared, self.probe_index
        return probe_event(
            self.head,
            index=index,
            target=prepared.y_test[index],
            image=prepared.images[index],
            inference=inference,
            passes=passes,
        )
