"""Hand-built engine events for UI tests that need a specific situation (NaN, failure, no dropout)."""

from __future__ import annotations

import dataclasses

from dropout_tui.engine.events import BatchLosses, EpochEnd, ModeEvaluation, RunStarted, SampleProbe

DROPOUT = [{"name": "dropout", "class": "Dropout", "kind": "dropout", "rate": 0.2, "noise_shape": None}]


def run_started(stochastic: list | None = None, steps: int = 4, shape: list | None = None, **fields) -> RunStarted:
    """A classifier's run_started; ``fields`` replace any other field (task, rates, augmentation_layers, notes)."""
    started = RunStarted(
        command="train",
        config={},
        dataset="digits",
        n_train=128,
        n_test=32,
        input_shape=shape or [8, 8],
        classes=10,
        stochastic_layers=DROPOUT if stochastic is None else stochastic,
        normalization_layers=[],
        keras_version="3",
        tensorflow_version="2",
        devices=["CPU"],
        steps_per_epoch=steps,
    )
    return dataclasses.replace(started, **fields)


def uncertainty(seed: int = 0, n: int = 60, classes: int = 4, ood: bool = True) -> dict:
    """A real uncertainty block (the engine's own report, engine/evaluation/uncertainty.py) on random predictions."""
    import numpy as np

    from dropout_tui.engine.evaluation.uncertainty import ood_table, uncertainty_report, uncertainty_scores

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 2.5 * np.eye(classes)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    mc = 0.8 * probs + 0.2 / classes
    expected = 0.9 * (-(mc * np.log(mc)).sum(axis=1))
    table = None
    if ood:
        inside = uncertainty_scores(probs, mc, expected)
        flat = np.full((n, classes), 1 / classes) * 0.5 + 0.5 * mc[::-1]
        table = {"source": "noise", "n": n, "scores": ood_table(inside, uncertainty_scores(flat, flat, expected * 0.8))}
    return uncertainty_report(probs, mc, expected, labels, table)


def modes(accuracy: float = 0.9, flag_diff: float = 0.0) -> dict:
    return {
        "inference": {"accuracy": accuracy, "loss": 0.3, "ece": 0.02, "brier": 0.1},
        "training": {"accuracy": accuracy - 0.05, "accuracy_std": 0.01, "loss": 0.5, "loss_std": 0.02, "repeats": 5},
        "trainable_flag": {"accuracy": accuracy, "loss": 0.3, "max_abs_diff_vs_inference": flag_diff},
        "dropout_only": {
            "accuracy": accuracy - 0.05,
            "accuracy_std": 0.01,
            "loss": 0.5,
            "loss_std": 0.02,
            "repeats": 5,
        },
        "mc": {"accuracy": accuracy + 0.01, "loss": 0.25, "ece": 0.01, "brier": 0.08, "samples": 30},
    }


SETTING = {"rates": {"dropout": 0.2}, "samples": 30, "repeats": 5}  # what modes() were measured at


def epoch(n: int, fit: float = 0.8, test: float = 0.5, dropout_on: float | None = 0.45, **evaluation) -> list:
    """One epoch's events; ``evaluation`` goes to its ModeEvaluation (e.g. uncertainty=uncertainty())."""
    return [
        BatchLosses(
            epoch=n,
            first_step=1,
            global_step=(n - 1) * 4 + 1,
            losses=[1.0, 0.9, float("nan"), 0.8],
            samples_per_second=1000.0,
        ),
        EpochEnd(
            epoch=n,
            train_loss_keras=fit,
            train_loss_inference=0.4,
            test_loss_inference=test,
            train_accuracy_inference=0.9,
            test_accuracy_inference=0.88,
            seconds=1.5,
            samples_per_second=1000.0,
            rate=0.2,
            train_loss_dropout=dropout_on,
        ),
        ModeEvaluation(epoch=n, modes=modes(0.8 + 0.05 * n), **{**SETTING, **evaluation}),
    ]


def regression_modes(rmse: float = 1.5) -> dict:
    return {
        "inference": {"rmse": rmse, "mae": rmse * 0.8},
        "training": {
            "rmse": rmse + 0.1,
            "rmse_std": 0.02,
            "mae": rmse * 0.85,
            "repeats": 5,
            "bn_moving_stats_shift": 0.0,
        },
        "trainable_flag": {"rmse": rmse, "mae": rmse * 0.8, "max_abs_diff_vs_inference": 0.0},
        "dropout_only": {"rmse": rmse + 0.05, "rmse_std": 0.03, "mae": rmse * 0.82, "repeats": 5},
        "mc": {"rmse": rmse - 0.02, "mae": rmse * 0.79, "std": 0.25, "nll": 2.1, "coverage_90": 0.42, "samples": 30},
    }


def regression_run(epochs: int = 2) -> list:
    """A regression run's events: run_started (task regression, no classes), epochs, evaluations, a probe."""
    events: list = [run_started(shape=[8], classes=0, task="regression", rates={"dropout": 0.2})]
    for n in range(1, epochs + 1):
        batches, end, _ = epoch(n, fit=3.0 / n, test=2.0 / n, dropout_on=2.4 / n)
        end = dataclasses.replace(end, train_loss_inference=2.2 / n, train_accuracy_inference=None)
        end = dataclasses.replace(end, test_accuracy_inference=None)
        events += [batches, end, ModeEvaluation(epoch=n, modes=regression_modes(2.0 / n), uncertainty=None, **SETTING)]
    events.append(regression_probe())
    return events


def regression_probe() -> SampleProbe:
    return SampleProbe(
        index=0,
        label=None,
        image=[i / 7 for i in range(8)],
        image_shape=[8],
        inference_probs=[],
        predicted=None,
        pass_probs=[],
        votes=[],
        mean=0.5,
        std=0.1,
        predictive_entropy=None,
        mutual_information=None,
        samples=4,
        task="regression",
        target=[0.9],
        inference_outputs=[0.52],
        pass_values=[0.4, 0.5, float("nan"), 0.6],
    )


def probe(index: int = 7, image: list | None = None, shape: list | None = None) -> SampleProbe:
    return SampleProbe(
        index=index,
        label=3,
        image=image if image is not None else [i / 63 for i in range(64)],
        image_shape=shape or [8, 8],
        inference_probs=[0.01] * 3 + [0.91] + [0.01] * 6,
        predicted=3,
        pass_probs=[0.9, 0.5, float("nan"), 0.7],
        votes=[0, 0, 0, 3, 0, 1, 0, 0, 0, 0],
        mean=0.7,
        std=0.2,
        predictive_entropy=0.6,
        mutual_information=0.2,
        samples=4,
    )


def screen_text(app) -> str:
    """What the terminal shows now (the active screen, children and all), as plain lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class FakeExplain:
    """A stand-in for tui.screens.explain.measure: every claim "measured" at once, or held until ``release``.

    Counts the runs and the most that were going on at once; ``fail`` makes each run raise it instead.
    """

    def __init__(self, hold: bool = False, fail: Exception | None = None) -> None:
        import threading

        self.gate = threading.Event()
        if not hold:
            self.gate.set()
        self.fail = fail
        self.runs = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def release(self) -> None:
        self.gate.set()

    def __call__(self, seed, backend, on_start, on_result, should_stop):
        from dropout_tui.engine.explain.claims import claims_on
        from dropout_tui.engine.explain.report import ClaimResult, ExplainReport

        with self._lock:
            self.runs += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            results = []
            for claim in claims_on(backend):
                on_start(claim.id)
                if claim.id == 2:  # one claim measured, the rest wait for the gate
                    while not self.gate.wait(0.01):
                        if should_stop():
                            return None
                if self.fail is not None:
                    raise self.fail
                result = ClaimResult(claim.id, claim.text, "false" if claim.id % 2 else "true", {"x": 1.0}, "because")
                results.append(result)
                on_result(result)
            return ExplainReport(keras="3.test", tensorflow="2.test", claims=tuple(results))
        finally:
            with self._lock:
                self.running -= 1
