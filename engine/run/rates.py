"""The user's + and - keys: each stochastic layer's own rate moves one step, now or from the next epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dropout_tui.engine.limits import LIMITS, stepped_rate

if TYPE_CHECKING:  # layers imports Keras; the Session module must stay cheap to import
    from dropout_tui.engine.model.layers import RateHandle


class RateControl:
    """The rates in use and a change waiting for the next epoch.

    Layers keep their own rates (an inspected model may use 0.1 and 0.5): a
    step moves each one, never flattens them into one value, and never moves
    a rate the other way (a layer that cannot step keeps its rate).
    """

    def __init__(self, handles: list[RateHandle]) -> None:
        self._handles = handles
        self.pending: dict[str, float] | None = None

    @property
    def adjustable(self) -> bool:
        return bool(self._handles)

    def current(self) -> dict[str, float]:
        return {handle.name: handle.get() for handle in self._handles}

    def first(self) -> float:
        return self._handles[0].get() if self._handles else float("nan")

    def stepped(self, direction: int) -> dict[str, float] | None:
        """Rates one step from the pending ones (or those in use); None when no layer can move that way."""
        base = self.pending or self.current()
        moved = {name: stepped_rate(rate, direction) for name, rate in base.items()}
        if all(rate is None for rate in moved.values()):
            return None
        return {name: base[name] if rate is None else rate for name, rate in moved.items()}

    def refusal(self, direction: int) -> str:
        rates = ", ".join(f"{rate:g}" for rate in (self.pending or self.current()).values())
        edge = f"a step up would reach {LIMITS['rate'].high:g}" if direction > 0 else "it is already 0"
        return f"rate stays at {rates}: {edge}"

    def apply(self, rates: dict[str, float]) -> None:
        for handle in self._handles:
            handle.set(rates[handle.name])
        self.pending = None
