"""Peak memory of a whole headless run at T=30 vs T=10,000 MC passes over the full test set.

Each T runs `dropout-tui train --headless` in its own process (1 epoch, every
mode evaluated once over all 360 digits test samples, plus the probe), so
the peak RSS of each is its own, not a high-water mark left by the other.
The vectorised sampler chunks by rows x T, so T=10,000 should cost time, not
memory. Target: peak RSS at T=10,000 within 1.25x of T=30 (holding every
pass at once would add ~1 GiB, about 2.3x).
Run: .venv/bin/python bench/bench_extremes.py
"""

from __future__ import annotations

import sys

import _common

SAMPLES = (30, 10_000)


def peak_rss(samples: int) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of one headless run with T=samples."""
    argv = [
        sys.executable,
        "-m",
        "dropout_tui.tui.cli",
        "train",
        "--headless",
        "--epochs",
        "1",
        "--mc-samples",
        samples,
    ]
    run = _common.ChildRun(argv).check()
    return run.peak_rss_mib, run.wall


def main() -> int:
    _common.header("peak memory of whole headless runs by MC samples T")
    results = {samples: peak_rss(samples) for samples in SAMPLES}
    print("   dropout-tui train --headless --epochs 1 on digits (360 test samples), one process per T")
    for samples, (mib, seconds) in results.items():
        print(
            f"   T={samples:>6,}: peak RSS {mib:6.0f} MiB, {seconds:5.1f} s wall "
            f"({samples * 360:,} forward rows for the mc mode)"
        )
    low, high = results[SAMPLES[0]][0], results[SAMPLES[-1]][0]
    # 64 input values and 10 probabilities per row, float32.
    naive = SAMPLES[-1] * 360 * (64 + 10) * 4 / 2**20
    print(f"   +{high - low:.0f} MiB at T={SAMPLES[-1]:,}; all its passes held at once would add ~{naive:.0f} MiB")
    _common.verdict(f"peak RSS T={SAMPLES[-1]:,} / T={SAMPLES[0]}", high / low, 1.25, at_least=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
