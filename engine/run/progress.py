"""Where a run stands; shared by the fit loop, the command server and the measurements."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Progress:
    """Counters that several parts of a run read and the fit loop advances."""

    epoch: int = 0  # the current (1-based) epoch while training
    step: int = 0  # batches done in the current epoch
    epochs_run: int = 0
    global_step: int = 0
    training: bool = False
    evaluated_at_step: int = -1  # global step of the latest evaluation round

    @property
    def evaluated_now(self) -> bool:
        return self.evaluated_at_step == self.global_step

    @property
    def next_epoch(self) -> int:
        """The first epoch a change made now trains with: this one if none of its batches has run yet."""
        if not self.training:
            return self.epochs_run + 1
        return self.epoch if self.step == 0 else self.epoch + 1
