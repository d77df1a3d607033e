"""The uncertainty block (docs/headless.md, "The uncertainty block") as typed structures, parsed once from its
JSON form (a mode_evaluation's or a summary's ``uncertainty``): readers get attributes, never ``.get`` chains.

Parsing is lenient where streams are: a missing or non-finite number is None, a missing part is empty, so a
stream recorded before a field existed still reads. The engine writes the JSON form (uncertainty.py); this
module only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dropout_tui.engine.evaluation.scores import ENTROPY, MUTUAL_INFORMATION
from dropout_tui.engine.events import finite


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class ReliabilityBin:
    lo: float
    hi: float
    count: int
    accuracy: float | None  # None: an empty bin
    confidence: float | None

    @property
    def middle(self) -> float:
        return (self.lo + self.hi) / 2


@dataclass(frozen=True)
class Reliability:
    """One prediction's reliability diagram (the dropout-off one, or MC's) and its calibration errors."""

    bins: tuple[ReliabilityBin, ...] = ()
    ece: float | None = None
    mce: float | None = None
    ace: float | None = None

    @classmethod
    def parse(cls, data: object) -> Reliability | None:
        if not isinstance(data, dict):
            return None
        bins = []
        for entry in data.get("bins") or []:
            entry = _dict(entry)
            lo, hi = finite(entry.get("lo")), finite(entry.get("hi"))
            if lo is None or hi is None:
                continue
            count = entry.get("count")
            bins.append(
                ReliabilityBin(
                    lo,
                    hi,
                    count if isinstance(count, int) and not isinstance(count, bool) else 0,
                    finite(entry.get("accuracy")),
                    finite(entry.get("confidence")),
                )
            )
        return cls(tuple(bins), finite(data.get("ece")), finite(data.get("mce")), finite(data.get("ace")))


@dataclass(frozen=True)
class ScoreResult:
    """How one score (max_prob, mc_max_prob, entropy, mutual_information) finds the errors."""

    auroc_error: float | None = None
    aurc: float | None = None
    accuracy_at_coverage: dict[str, float | None] = field(default_factory=dict)  # "0.5", "0.8", "0.9"
    curve: tuple[tuple[float, float], ...] = ()  # (coverage, risk), non-finite points left out

    def accuracy_at(self, coverage: str) -> float | None:
        return self.accuracy_at_coverage.get(coverage)

    @classmethod
    def parse(cls, data: object) -> ScoreResult:
        data = _dict(data)
        curve = []
        for point in data.get("curve") or []:
            pair = (finite(point[0]), finite(point[1])) if isinstance(point, (list, tuple)) and len(point) == 2 else ()
            if len(pair) == 2 and pair[0] is not None and pair[1] is not None:
                curve.append((pair[0], pair[1]))
        at = {str(key): finite(value) for key, value in _dict(data.get("accuracy_at_coverage")).items()}
        return cls(finite(data.get("auroc_error")), finite(data.get("aurc")), at, tuple(curve))


@dataclass(frozen=True)
class OodResult:
    """How one score separates the OOD inputs from the test set."""

    auroc: float | None = None
    aupr: float | None = None
    fpr95: float | None = None


@dataclass(frozen=True)
class Ood:
    source: str
    n: int | None
    scores: dict[str, OodResult]
    gaps: dict[str, Any] = field(default_factory=dict)  # metric -> score -> the bootstrap gap against max-prob


@dataclass(frozen=True)
class Decomposition:
    """Test-set means, in nats: entropy (total) = expected_entropy (aleatoric) + mutual_information (epistemic)."""

    entropy: float | None = None
    expected_entropy: float | None = None
    mutual_information: float | None = None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class MethodResult:
    """One method's row of a classifier's ``methods`` (engine/evaluation/methods.py): its figures and its cost."""

    accuracy: float | None = None
    nll: float | None = None
    ece: float | None = None
    brier: float | None = None
    auroc_error: float | None = None
    aurc: float | None = None
    passes: int | None = None  # forward passes per row

    @classmethod
    def parse(cls, data: object) -> MethodResult:
        data = _dict(data)
        return cls(
            finite(data.get("accuracy")),
            finite(data.get("nll")),
            finite(data.get("ece")),
            finite(data.get("brier")),
            finite(data.get("auroc_error")),
            finite(data.get("aurc")),
            _count(data.get("passes")),
        )


@dataclass(frozen=True)
class Comparison:
    """A paired-bootstrap verdict on one figure: is method ``a`` (the costlier) better than ``b``?"""

    a: str
    b: str
    metric: str  # "ece" or "nll": lower is better
    a_value: float | None
    b_value: float | None
    low: float | None  # the interval of a - b
    high: float | None
    verdict: str | None  # "better", "worse", "indistinguishable"; None without rows

    @classmethod
    def parse(cls, data: object) -> Comparison | None:
        data = _dict(data)
        a, b, metric, verdict = (data.get(key) for key in ("a", "b", "metric", "verdict"))
        if not (isinstance(a, str) and isinstance(b, str) and isinstance(metric, str)):
            return None
        a_value, b_value = finite(data.get("a_value")), finite(data.get("b_value"))
        low, high = finite(data.get("low")), finite(data.get("high"))
        return cls(a, b, metric, a_value, b_value, low, high, verdict if isinstance(verdict, str) else None)


@dataclass(frozen=True)
class UncertaintyBlock:
    scores: dict[str, ScoreResult]  # in the engine's SCORES order, as written
    reliability: dict[str, Reliability]  # "inference", "mc"
    decomposition: Decomposition
    ood: Ood | None
    gaps: dict[str, Any] = field(default_factory=dict)  # metric -> score -> the bootstrap gap against max-prob
    methods: dict[str, MethodResult] = field(default_factory=dict)  # as written (the engine's METHODS order)
    comparisons: tuple[Comparison, ...] = ()

    @classmethod
    def parse(cls, data: object) -> UncertaintyBlock | None:
        """The block of a round, or None where there is none (a regression run, an older stream)."""
        if not isinstance(data, dict):
            return None
        scores = {str(name): ScoreResult.parse(entry) for name, entry in _dict(data.get("scores")).items()}
        reliability = {
            str(name): parsed
            for name, entry in _dict(data.get("reliability")).items()
            if (parsed := Reliability.parse(entry)) is not None
        }
        parts = _dict(data.get("decomposition"))
        total, epistemic = parts.get(ENTROPY.name), parts.get(MUTUAL_INFORMATION.name)
        decomposition = Decomposition(finite(total), finite(parts.get("expected_entropy")), finite(epistemic))
        ood = None
        if isinstance(data.get("ood"), dict):
            raw = data["ood"]
            results = {
                str(name): OodResult(finite(entry.get("auroc")), finite(entry.get("aupr")), finite(entry.get("fpr95")))
                for name, entry in _dict(raw.get("scores")).items()
                if isinstance(entry, dict)
            }
            n = raw.get("n")
            ood = Ood(str(raw.get("source", "?")), n if isinstance(n, int) else None, results, _dict(raw.get("gaps")))
        methods = {str(name): MethodResult.parse(entry) for name, entry in _dict(data.get("methods")).items()}
        comparisons = tuple(
            compared for entry in data.get("comparisons") or [] if (compared := Comparison.parse(entry)) is not None
        )
        return cls(scores, reliability, decomposition, ood, _dict(data.get("gaps")), methods, comparisons)


@dataclass(frozen=True)
class Calibration:
    """A regression method's calibration curve: observed against expected coverage, and the area between."""

    expected: tuple[float, ...] = ()
    observed: tuple[float, ...] = ()
    miscalibration_area: float | None = None

    @classmethod
    def parse(cls, data: object) -> Calibration | None:
        if not isinstance(data, dict):
            return None  # a point prediction (dropout off) has no curve
        pairs = [(finite(e), finite(o)) for e, o in zip(data.get("expected") or [], data.get("observed") or [])]
        points = [(e, o) for e, o in pairs if e is not None and o is not None]  # non-finite points left out
        expected, observed = tuple(e for e, _ in points), tuple(o for _, o in points)
        return cls(expected, observed, finite(data.get("miscalibration_area")))


@dataclass(frozen=True)
class RegressionMethodResult:
    """One method's row of a regressor's ``methods``: None where it gives a point, not a distribution."""

    rmse: float | None = None
    nll: float | None = None
    coverage: dict[str, float | None] = field(default_factory=dict)  # nominal level ("0.9") -> observed
    calibration: Calibration | None = None
    sharpness: float | None = None
    passes: int | None = None

    @classmethod
    def parse(cls, data: object) -> RegressionMethodResult:
        data = _dict(data)
        coverage = {str(level): finite(value) for level, value in _dict(data.get("coverage")).items()}
        return cls(
            finite(data.get("rmse")),
            finite(data.get("nll")),
            coverage,
            Calibration.parse(data.get("calibration")),
            finite(data.get("sharpness")),
            _count(data.get("passes")),
        )


def regression_methods(data: object) -> dict[str, RegressionMethodResult]:
    """A regressor's block (``{"methods": ...}``) as typed rows, in the order written; empty without one."""
    methods = _dict(_dict(data).get("methods"))
    return {str(name): RegressionMethodResult.parse(entry) for name, entry in methods.items()}
