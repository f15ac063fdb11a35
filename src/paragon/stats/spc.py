"""XmR (individuals) control charts following NHS England's "Making Data Count".

The reference implementation is the R package NHSRplotthedots; this module follows
its arithmetic and rules, including two details that are easy to get wrong:

* Limits are mean ± 2.66 × mean moving range. Before the mean moving range is used,
  moving ranges of 3.267 × the mean moving range or more are dropped and the mean
  is recomputed once (NHSRplotthedots' ``screen_outliers = TRUE``, its default).
  If every moving range is zero the mean moving range is zero.
* Special-cause rules, in priority order (a point takes the highest-priority rule
  it is part of, and every point of a triggering pattern is marked):

  1. ``outside_limits``: a point strictly above the upper or below the lower limit.
  2. ``trend``: 7 points in a row, each strictly higher (or each strictly lower)
     than the one before, i.e. 6 consecutive increases or decreases
     (NHSRplotthedots' ``ptd_seven_point_trend``). Equal consecutive values break
     a trend.
  3. ``two_of_three``: within 3 consecutive points all on the same side of the mean,
     at least 2 lie strictly between the near limit (two thirds of the way from
     the mean to the limit) and the limit. Only those near-limit points are marked.
     As in NHSRplotthedots, a point beyond the limit does not count towards this
     rule (it is already an ``outside_limits`` signal).
  4. ``shift``: 7 or more points in a row on the same side of the mean. A point
     exactly on the mean breaks the run.

Runs never cross a rebase: each segment is judged against its own limits, as in
NHSRplotthedots. A special cause is an improvement or a concern by its direction
(the side of the mean, or the direction of a trend) and the measure's ``better``
direction; a point on the turn between a rising and a falling trend takes the
direction of the later trend. (NHSRplotthedots instead takes the direction of the
next step whenever the next point is in any trend, which mislabels the last point of a
rise that is followed by a drop and then another rise; Paragon always uses the
direction of a trend the point is part of.) Neutral measures give ``"neither"``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Better = Literal["higher", "lower", "neutral"]
Signal = Literal["none", "outside_limits", "trend", "two_of_three", "shift"]
Variation = Literal["common", "improvement", "concern", "neither"]

LIMIT_FACTOR = 2.66
"""Process limits are this many mean moving ranges from the mean (3 sigma)."""
NEAR_FACTOR = 2.0 * LIMIT_FACTOR / 3.0
"""Near limits (2 sigma) are two thirds of the way from the mean to the limits."""
MR_SCREEN_FACTOR = 3.267
"""Moving ranges at or above this multiple of the mean moving range are screened out."""
TREND_POINTS = 7
"""Points in a trend: 7 points, i.e. 6 consecutive increases or decreases."""
SHIFT_POINTS = 7
"""Points in a shift: 7 consecutive points on one side of the mean."""
MIN_FULL_BASELINE = 12
"""A baseline of fewer points gives trial limits (NHSRplotthedots' warning threshold)."""


@dataclass(frozen=True)
class XmrPoint:
    """One point on an XmR chart, with the limits of the segment it belongs to."""

    period: str
    value: float
    centre: float
    lower_limit: float
    upper_limit: float
    moving_range: float | None
    """Absolute difference from the previous point; ``None`` at the start of a segment."""
    signal: Signal
    variation: Variation
    segment: int
    """0 for the first segment, then 1, 2, ... after each rebase."""


@dataclass(frozen=True)
class XmrChart:
    """An XmR chart. Headline limits are those of the latest segment."""

    centre: float
    lower_limit: float
    upper_limit: float
    lower_near: float
    upper_near: float
    trial_limits: bool
    """True if the latest segment's baseline has fewer than 12 points."""
    points: list[XmrPoint]

    def to_dict(self) -> dict[str, Any]:
        """Return the chart as plain JSON-serialisable Python objects."""
        return asdict(self)


@dataclass(frozen=True)
class _Limits:
    """Centre line and mean moving range of one segment's baseline."""

    centre: float
    mean_mr: float
    baseline_size: int

    @property
    def lower(self) -> float:
        """Lower process limit."""
        return self.centre - LIMIT_FACTOR * self.mean_mr

    @property
    def upper(self) -> float:
        """Upper process limit."""
        return self.centre + LIMIT_FACTOR * self.mean_mr

    @property
    def lower_near(self) -> float:
        """Lower near limit (two thirds of the way to the lower limit)."""
        return self.centre - NEAR_FACTOR * self.mean_mr

    @property
    def upper_near(self) -> float:
        """Upper near limit (two thirds of the way to the upper limit)."""
        return self.centre + NEAR_FACTOR * self.mean_mr


def mean_moving_range(values: Sequence[float]) -> float:
    """Mean moving range after NHSRplotthedots' outlier screen.

    Moving ranges at or above 3.267 times the first mean moving range are dropped
    and the mean recomputed once. Needs at least two values.
    """
    if len(values) < 2:
        raise ValueError("a moving range needs at least two values")
    mrs = [abs(b - a) for a, b in itertools.pairwise(values)]
    first = sum(mrs) / len(mrs)
    kept = [mr for mr in mrs if mr < MR_SCREEN_FACTOR * first]
    return sum(kept) / len(kept) if kept else 0.0


def _limits(segment: Sequence[float], baseline_points: int | None) -> _Limits:
    """Limits from the first ``baseline_points`` points of a segment (all by default)."""
    n = len(segment) if baseline_points is None else min(baseline_points, len(segment))
    base = segment[:n]
    if n < 2:
        raise ValueError("each segment needs at least 2 baseline points to set limits")
    return _Limits(centre=sum(base) / n, mean_mr=mean_moving_range(base), baseline_size=n)


def _sign(x: float) -> int:
    """-1, 0 or +1."""
    return (x > 0) - (x < 0)


def _trend_directions(y: Sequence[float]) -> list[int]:
    """+1/-1 for points in a rising/falling trend (later trend wins at a turn), else 0."""
    out = [0] * len(y)
    steps = [_sign(b - a) for a, b in itertools.pairwise(y)]
    for start in range(len(y) - TREND_POINTS + 1):
        window = steps[start : start + TREND_POINTS - 1]
        if window[0] != 0 and all(s == window[0] for s in window):
            for i in range(start, start + TREND_POINTS):
                out[i] = window[0]
    return out


def _two_of_three(sides: Sequence[int], near: Sequence[bool]) -> list[bool]:
    """Near-limit points in 3 same-side points with at least 2 near the limit."""
    out = [False] * len(sides)
    for start in range(len(sides) - 2):
        idx = range(start, start + 3)
        same_side = sides[start] != 0 and all(sides[i] == sides[start] for i in idx)
        if same_side and sum(near[i] for i in idx) >= 2:
            for i in idx:
                out[i] = out[i] or near[i]
    return out


def _shift(sides: Sequence[int]) -> list[bool]:
    """Points in a run of 7 or more on one side of the mean (0 breaks a run)."""
    out = [False] * len(sides)
    for start in range(len(sides) - SHIFT_POINTS + 1):
        first = sides[start]
        if first != 0 and all(s == first for s in sides[start : start + SHIFT_POINTS]):
            for i in range(start, start + SHIFT_POINTS):
                out[i] = True
    return out


def _variation(direction: int, better: Better) -> Variation:
    """Improvement or concern for a special cause in ``direction`` (+1 up, -1 down)."""
    if better == "neutral":
        return "neither"
    good = 1 if better == "higher" else -1
    return "improvement" if direction == good else "concern"


def _classify(y: Sequence[float], lim: _Limits, better: Better) -> list[tuple[Signal, Variation]]:
    """Signal and variation for each point of one segment."""
    n = len(y)
    return classify(y, lim.centre, [lim.lower] * n, [lim.upper] * n, [lim.lower_near] * n,
                    [lim.upper_near] * n, better)


def classify(
    y: Sequence[float],
    centre: float,
    lower: Sequence[float],
    upper: Sequence[float],
    lower_near: Sequence[float],
    upper_near: Sequence[float],
    better: Better,
) -> list[tuple[Signal, Variation]]:
    """Making Data Count signal and variation for each point of one segment.

    The limits and near limits are given per point, so charts whose limits vary with the
    denominator (Laney p′ and u′) use the same rules as the XmR chart.
    """
    sides = [_sign(v - centre) for v in y]
    outside = [v > hi or v < lo for v, lo, hi in zip(y, lower, upper, strict=True)]
    near = [
        not out and (v > hi or v < lo)
        for v, out, lo, hi in zip(y, outside, lower_near, upper_near, strict=True)
    ]
    trend = _trend_directions(y)
    two3 = _two_of_three(sides, near)
    shift = _shift(sides)
    result: list[tuple[Signal, Variation]] = []
    for i in range(len(y)):
        signal: Signal
        if outside[i]:
            signal, direction = "outside_limits", sides[i]
        elif trend[i]:
            signal, direction = "trend", trend[i]
        elif two3[i]:
            signal, direction = "two_of_three", sides[i]
        elif shift[i]:
            signal, direction = "shift", sides[i]
        else:
            result.append(("none", "common"))
            continue
        result.append((signal, _variation(direction, better)))
    return result


def _segment_starts(periods: Sequence[str], rebase_at: Sequence[str]) -> list[int]:
    """Index of the first point of each segment, starting with 0."""
    index = {p: i for i, p in enumerate(periods)}
    starts = {0}
    for period in rebase_at:
        if period not in index:
            raise ValueError(f"rebase period {period!r} is not among the periods")
        starts.add(index[period])
    return sorted(starts)


def _validate(values: Sequence[float], periods: Sequence[str], baseline: int | None) -> None:
    """Raise ``ValueError`` for mismatched, repeated or non-finite input."""
    if len(values) != len(periods):
        raise ValueError("values and periods must have the same length")
    if len(set(periods)) != len(periods):
        raise ValueError("periods must be unique")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("values must be finite numbers")
    if baseline is not None and baseline < 2:
        raise ValueError("baseline_points must be at least 2")


def xmr(
    values: Sequence[float],
    periods: Sequence[str],
    *,
    better: Better,
    baseline_points: int | None = None,
    rebase_at: Sequence[str] = (),
) -> XmrChart:
    """Build an XmR chart with Making Data Count signals.

    ``values`` and ``periods`` are in time order. ``baseline_points`` fixes the
    limits on the first that many points of each segment (later points are judged
    against them); by default every point of a segment is used. Each period in
    ``rebase_at`` starts a new segment with its own centre line and limits, for a
    change in recording practice; a rebase at the first period changes nothing.
    Raises ``ValueError`` if a segment's baseline has fewer than 2 points.
    """
    _validate(values, periods, baseline_points)
    starts = _segment_starts(periods, rebase_at)
    bounds = list(zip(starts, [*starts[1:], len(values)], strict=True))
    points: list[XmrPoint] = []
    for seg_no, (lo, hi) in enumerate(bounds):
        seg = [float(v) for v in values[lo:hi]]
        lim = _limits(seg, baseline_points)
        for j, (signal, variation) in enumerate(_classify(seg, lim, better)):
            points.append(
                XmrPoint(
                    period=periods[lo + j],
                    value=seg[j],
                    centre=lim.centre,
                    lower_limit=lim.lower,
                    upper_limit=lim.upper,
                    moving_range=abs(seg[j] - seg[j - 1]) if j else None,
                    signal=signal,
                    variation=variation,
                    segment=seg_no,
                )
            )
    return XmrChart(
        centre=lim.centre,
        lower_limit=lim.lower,
        upper_limit=lim.upper,
        lower_near=lim.lower_near,
        upper_near=lim.upper_near,
        trial_limits=lim.baseline_size < MIN_FULL_BASELINE,
        points=points,
    )
