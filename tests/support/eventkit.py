"""Hand-built engine events for UI tests that need a specific situation (NaN, failure, no dropout)."""

from __future__ import annotations

from dropout_tui.engine.events import BatchLosses, EpochEnd, ModeEvaluation, RunStarted, SampleProbe

DROPOUT = [{"name": "dropout", "class": "Dropout", "rate": 0.2, "noise_shape": None}]


def run_started(stochastic: list | None = None, steps: int = 4, shape: list | None = None) -> RunStarted:
    return RunStarted(
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


def epoch(n: int, fit: float = 0.8, test: float = 0.5) -> list:
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
        ),
        ModeEvaluation(epoch=n, modes=modes(0.8 + 0.05 * n)),
    ]


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

    def __call__(self, seed, on_start, on_result, should_stop):
        from dropout_tui.engine.explain.claims import CLAIMS
        from dropout_tui.engine.explain.report import ClaimResult, ExplainReport

        with self._lock:
            self.runs += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            results = []
            for claim in CLAIMS:
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
