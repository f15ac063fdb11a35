"""Hit rate, PAI and PEI against cases worked by hand: ties, empty months, cells outside the area,
the coverage rounding and the t-interval over months."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paragon.tasking.metrics import cells_for, ranking, score_month, summarise

ALL = np.ones((2, 2), dtype=bool)


def test_hit_rate_pai_pei_by_hand() -> None:
    scores = np.array([[3.0, 1.0], [2.0, 0.0]])
    actual = np.array([[1.0, 0.0], [2.0, 1.0]])  # 4 events
    order = ranking(scores, ALL)
    assert order.tolist() == [0, 2, 1, 3]
    s = score_month(order, actual, ALL, coverages=(25, 50, 100))
    # 25% of 4 cells = 1 cell (index 0): 1 of 4 events; the best single cell holds 2.
    assert s.hit_rate[25] == 0.25 and s.pai[25] == 1.0 and s.pei[25] == 0.5
    # 50% = cells 0 and 2: 3 of 4 events over half the area; the best two cells hold 3.
    assert s.hit_rate[50] == 0.75 and s.pai[50] == 1.5 and s.pei[50] == 1.0
    assert s.hit_rate[100] == 1.0 and s.pai[100] == 1.0 and s.events == 4


def test_ties_go_to_the_lower_cell_index() -> None:
    scores = np.array([[1.0, 1.0], [1.0, 0.0]])
    assert ranking(scores, ALL).tolist() == [0, 1, 2, 3]
    actual = np.array([[0.0, 5.0], [0.0, 0.0]])
    s = score_month(ranking(scores, ALL), actual, ALL, coverages=(25,))
    assert s.hit_rate[25] == 0.0  # cell 0 wins the tie; the events were in cell 1
    # Scores equal but for floating-point rounding are ties too.
    noisy = np.array([[0.1 + 0.2, 0.3], [0.0, 0.0]])
    assert noisy[0, 0] != noisy[0, 1]
    assert ranking(noisy, ALL).tolist()[:2] == [0, 1]
    assert ranking(noisy[:, ::-1].copy(), ALL).tolist()[:2] == [0, 1]


def test_empty_month_has_no_score_and_is_left_out_of_the_mean() -> None:
    s = score_month(ranking(np.ones((2, 2)), ALL), np.zeros((2, 2)), ALL, coverages=(50,))
    assert s.events == 0
    assert math.isnan(s.hit_rate[50]) and math.isnan(s.pai[50]) and math.isnan(s.pei[50])
    summary = summarise([2.0, s.pai[50], 4.0])
    assert summary.months == 2 and summary.mean == 3.0


def test_cells_outside_the_area_are_neither_ranked_nor_counted() -> None:
    mask = np.array([[False, True], [True, True]])
    scores = np.array([[9.0, 1.0], [2.0, 0.0]])
    actual = np.array([[7.0, 1.0], [1.0, 2.0]])  # the 7 events outside the area do not count
    order = ranking(scores, mask)
    assert order.tolist() == [2, 1, 3]
    s = score_month(order, actual, mask, coverages=(34, 67))
    # 3 cells in the area, 4 events in them. 34% of 3 = 1 cell (index 2): 1 event.
    assert s.events == 4
    assert s.hit_rate[34] == 0.25
    assert s.pai[34] == pytest.approx(0.25 / (1 / 3))
    assert s.pei[34] == 0.5  # the best single cell in the area (index 3) holds 2
    # 67% of 3 = 2 cells (2 and 1): 2 events; the best two hold 3.
    assert s.hit_rate[67] == 0.5 and s.pei[67] == pytest.approx(2 / 3)


def test_coverage_rounds_to_the_nearest_cell_and_takes_at_least_one() -> None:
    assert cells_for(5, 30) == 2  # 1.5 rounds half up
    assert cells_for(1, 30) == 1  # 0.3 would be none
    assert cells_for(5, 20997) == 1050
    assert cells_for(100, 7) == 7
    with pytest.raises(ValueError):
        cells_for(0, 10)


def test_t_interval_over_months() -> None:
    s = summarise([1.0, 2.0, 3.0])
    half = 4.302652729749464 / math.sqrt(3)  # t(0.975, 2) x sd 1 / sqrt(3)
    assert s.mean == 2.0 and s.months == 3
    assert s.lower == pytest.approx(2.0 - half) and s.upper == pytest.approx(2.0 + half)
    one = summarise([5.0])
    assert one.mean == 5.0 and math.isnan(one.lower)
    assert summarise([]).months == 0
