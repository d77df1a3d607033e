"""Chart y ticks sit on the row of their value and are evenly spaced (tui/panes/chart.py even_ticks), checked with
textual-plot's own value-to-row mapping on fixed ranges and heights, edge cases included."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual_plot.plot_widget import map_coordinate_to_pixel

from dropout_tui.tui.panes.chart import MIN_TICK_ROWS, even_ticks

CASES = [
    (0.147, 0.436, 8),  # compare's Brier chart of issue 17: was labelled 0.45, 0.35, 0.30, 0.25, 0.15
    (0.80, 0.94, 8),  # the accuracy chart: was 94, 92, 88, 84, 80
    (0.0, 0.3, 11),  # a prime height
    (87.0, 91.0, 9),
    (0.5, 0.5, 6),  # one value: a range is made around it
    (-2.0, 3.0, 7),
    (0.0, 0.0123, 12),
    (0.0, 1.0, 3),
]


def _row(value: float, low: float, high: float, rows: int) -> int:
    return map_coordinate_to_pixel(0.0, value, 0.0, 1.0, low, high, Region(1, 1, 10, rows))[1]


@pytest.mark.parametrize(("data_low", "data_high", "rows"), CASES)
def test_ticks_sit_on_their_rows_evenly_and_the_data_fits(data_low, data_high, rows):
    low, high, ticks = even_ticks(data_low, data_high, rows)
    assert len(ticks) >= 2
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1  # one step between neighbouring ticks
    tick_rows = [_row(tick, low, high, rows) for tick in ticks]
    gaps = {a - b for a, b in zip(tick_rows, tick_rows[1:])}
    assert len(gaps) == 1 and min(gaps) >= MIN_TICK_ROWS  # evenly spaced, never on adjacent rows
    assert all(0 <= row <= rows for row in tick_rows)  # rows 1..rows inside the frame; 0: the top frame row
    assert tick_rows[0] == rows  # the lowest tick is on the bottom row, with the data of its value
    assert low <= data_low and high >= data_high
    assert _row(data_high, low, high, rows) >= 1  # the highest point stays off the top frame
    # a plain recomputation: a tick's row is the one its value falls in, counted from the bottom
    for tick, row in zip(ticks, tick_rows):
        assert row == rows - round((tick - low) / (high - low) * rows)


def test_not_finite_or_tiny_heights_still_give_two_ticks():
    assert even_ticks(float("nan"), 1.0, 8)[2][0] == 0.0
    assert len(even_ticks(0.0, 1.0, 1)[2]) == 2


def test_a_short_chart_still_gets_three_labels():
    # compare's NLL chart at 80x24 (7 rows, data 0.543..0.809) showed one label, 0.5
    assert even_ticks(0.543, 0.809, 7)[2] == [0.4, 0.6, 0.8, 1.0]
    assert len(even_ticks(0.0, 0.11, 5)[2]) == 3
