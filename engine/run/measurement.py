"""Every number a run reports about its model: per-epoch losses, evaluation rounds and the probe."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dropout_tui.engine.evaluation.modes import INFERENCE, MC
from dropout_tui.engine.evaluation.results import MonteCarlo, Round
from dropout_tui.engine.events import EnsembleMember, Event, ModeEvaluation, SampleProbe, Status
from dropout_tui.engine.run.ensemble import Member
from dropout_tui.engine.run.preparation import Prepared
from dropout_tui.engine.run.progress import Progress

if TYPE_CHECKING:
    from dropout_tui.engine.evaluation.backend import EvaluationBackend


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
        backend: EvaluationBackend | None = None,
    ) -> None:
        from dropout_tui.engine.evaluation.evaluator import Evaluator

        self.prepared = prepared
        self.head = prepared.head
        self.samples = samples
        self.repeats = repeats
        self.probe_index = probe_index
        self.seed = seed
        self._last: tuple = ({}, None, None)  # the last round's predictions, OOD table and OOD predictions
        self._members: tuple | None = None  # MemberTotals on the test set and on the OOD inputs
        self.history: list[dict] = []
        self._rates = rates  # the rates in use, read when a round runs: every round carries its own setting
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
        x_train, y_train = prepared.training_split()
        train_out, dropout_on = evaluator.training_pass(x_train, y_train)
        test_out = evaluator.inference(prepared.x_test)
        count = train_out.size if self.regression else len(train_out)
        penalty_key = "squared" if self.regression else "nll"
        return {
            "train_loss_inference": self._loss(train_out, y_train),
            "test_loss_inference": self._loss(test_out, prepared.y_test),
            "train_accuracy_inference": self._accuracy(train_out, y_train),
            "test_accuracy_inference": self._accuracy(test_out, prepared.y_test),
            "train_loss_dropout": dropout_on[penalty_key] / max(count, 1),
        }

    def _loss(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        from dropout_tui.engine.evaluation import metrics, regression_metrics

        if self.regression:
            error = regression_metrics.rmse(outputs, targets)
            return math.nan if error is None else error**2  # not finite, as a classifier's NLL then is
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
        uncertainty = self._regression_uncertainty(passes) if self.regression else self._uncertainty(passes)
        assert passes.probe is not None, "evaluate() was given probe_row: it returns that row's passes"
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

    def _uncertainty(self, passes: Round) -> dict:
        predictions = self._predictions(passes.inference, passes.mc)
        ood, far = self._ood(predictions)
        self._last = (predictions, ood, far)
        return self._report()

    def _report(self) -> dict:
        """The last round's uncertainty block, with the ensemble's members so far when there are two or more."""
        from dropout_tui.engine.evaluation.methods import classification_report, regression_report

        predictions, ood, far = self._last
        if self._members is not None:
            predictions = {**predictions, "ensemble": self._members[0].prediction()}
            far = None if far is None else {**far, "ensemble": self._members[1].prediction()}
        if self.regression:
            return regression_report(predictions, self.prepared.y_test)
        ood = None if ood is None else {key: value for key, value in ood.items() if key != "methods"}
        return classification_report(predictions, self.prepared.y_test, ood, far, seed=self.seed)

    def add_member(self, member: Member, members: int) -> None:
        """One more ensemble member: the last round's block now holds the ensemble so far (the run's model first)."""
        from dropout_tui.engine.evaluation.methods import MemberTotals

        predictions, _, far = self._last
        if self._members is None:
            self._members = (MemberTotals(self.regression), MemberTotals(self.regression))
            self._members[0].add(self._member_outputs(predictions[INFERENCE.name]))
            if far is not None:
                self._members[1].add(self._member_outputs(far[INFERENCE.name]))
        self._members[0].add(self._member_outputs(member.test))
        if far is not None:
            self._members[1].add(self._member_outputs(member.ood))
        uncertainty = self._report()
        self.history[-1] = {**self.history[-1], "uncertainty": uncertainty}
        self._emit(EnsembleMember(self._members[0].count, members, member.seed, member.seconds, uncertainty))

    def _member_outputs(self, source: Any) -> np.ndarray:
        """What the totals add: a member's probabilities (or regression outputs), from raw outputs or a prediction."""
        # Any: an np.ndarray, or the Prediction / RegressionPrediction that self.regression implies, which mypy
        # cannot tie to the flag; a member's OOD outputs arrive typed Optional but are set whenever far is.
        if isinstance(source, np.ndarray):
            return source if self.regression else self.head.probabilities_numpy(source)
        return source.mean if self.regression else source.probs

    def _regression_uncertainty(self, passes: Round) -> dict:
        from dropout_tui.engine.evaluation.methods import RegressionPrediction

        assert passes.mc.outputs is not None, "a regression round keeps every pass's outputs"
        predictions = {
            INFERENCE.name: RegressionPrediction(passes.inference, None, 1),
            MC.name: RegressionPrediction.from_samples(passes.mc.outputs),
        }
        self._last = (predictions, None, None)
        return self._report()

    def _predictions(
        self, outputs: np.ndarray, mc: MonteCarlo, temperatures: tuple[float, float] | None = None
    ) -> dict:
        """Every method's prediction from one round's passes: the test set's, or (with its temperatures) OOD inputs'.

        On the test set each half is scaled by the temperature fitted on the other; inputs without
        labels (OOD) are scaled by the mean of the two.
        """
        from dropout_tui.engine.evaluation import temperature
        from dropout_tui.engine.evaluation.methods import Prediction

        inference = self.head.probabilities_numpy(outputs)
        logits = self.head.logits_numpy(outputs)
        if temperatures is None:
            scaled, temperatures = temperature.cross_fitted(logits, self.prepared.y_test, self.seed)
        else:
            scaled = temperature.softmax(logits / float(np.mean(temperatures)))
        extra = {"temperature": float(np.mean(temperatures)), "temperatures": [float(t) for t in temperatures]}
        assert mc.mean is not None, "a classification round keeps the MC mean"
        return {
            INFERENCE.name: Prediction(inference, 1),
            "temperature_scaled": Prediction(scaled, 1, predicted=np.argmax(inference, axis=-1), extra=extra),
            MC.name: Prediction(mc.mean, mc.samples, expected_entropy=mc.expected_entropy),
        }

    def _ood(self, predictions: dict) -> tuple[dict | None, dict | None]:
        """The scores on the test set against the same scores on the OOD inputs (OOD = positive), and each method's."""
        from dropout_tui.engine.evaluation.uncertainty import ood_gaps, ood_table, uncertainty_scores

        ood = self.prepared.ood
        if ood is None:
            return None, None
        far_outputs, far_mc = self.evaluator.monte_carlo(ood.x, self.samples)
        far = self._predictions(far_outputs, far_mc, tuple(predictions["temperature_scaled"].extra["temperatures"]))
        inference, mc = predictions[INFERENCE.name], predictions[MC.name]
        inside = uncertainty_scores(inference.probs, mc.probs, mc.expected_entropy)
        outside = uncertainty_scores(far[INFERENCE.name].probs, far[MC.name].probs, far[MC.name].expected_entropy)
        gaps = {"auroc": ood_gaps(inside, outside, self.seed)}  # each score against max-prob, beyond noise or not
        return {"source": ood.source, "n": len(ood.x), "scores": ood_table(inside, outside), "gaps": gaps}, far

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
            assert mc.outputs is not None, "a regression round keeps every pass's outputs"
            return int(np.argmax(mc.outputs.std(axis=0).mean(axis=-1)))
        assert mc.mean is not None and mc.expected_entropy is not None, "a classification round keeps the MC moments"
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
