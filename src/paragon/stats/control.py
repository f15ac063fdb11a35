"""Control charts that survive real data: the one place Paragon turns a monthly series into a chart.

* :func:`count_chart` — monthly counts. An XmR chart (limits from the moving range, so they carry
  the series' real month-to-month variation, overdispersion included) of **seasonally adjusted**
  counts when every calendar month appears at least twice (:mod:`.seasonal`), of raw counts with a
  caveat otherwise. Breaks in recording practice start a new segment with its own limits; a
  baseline period fixes the limits of the segment it lies in. When a segment averages fewer than
  :data:`RARE_MEAN` events a month the XmR chart is not used: no verdict is given (see
  :func:`g_chart` for dated events).
* :func:`proportion_chart` — Laney's p′ chart (``kind="proportion"``: survey shares) or u′ chart
  (``kind="rate"``: detections per recorded offence, which can exceed 100%), for varying
  denominators. Points below a minimum denominator are suppressed: shown, never judged, and kept
  out of the limits.
* :func:`g_chart` — Benneyan's g chart of the number of days (or opportunities) between rare
  events.

Every chart uses the same Making Data Count rules (:func:`paragon.stats.spc.classify`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from paragon.stats.seasonal import (
    MIN_YEARS,
    SeasonalProfile,
    calendar_month,
    month_number,
    seasonal_profile,
)
from paragon.stats.spc import (
    LIMIT_FACTOR,
    MIN_FULL_BASELINE,
    NEAR_FACTOR,
    Better,
    Signal,
    Variation,
    _variation,
    classify,
    mean_moving_range,
)

Method = Literal["xmr", "xmr_seasonal", "p_prime", "u_prime", "g", "none"]
RARE_MEAN = 4.0
"""Below this many events a month on average, an XmR chart of counts is not used."""
D2 = 1.128
"""Bias constant of a moving range of two: σ ≈ mean moving range ÷ 1.128 (Laney's σz)."""
MIN_AUTOCORRELATION_MONTHS = 24
"""Seasonally adjusted months needed before a count chart estimates their autocorrelation."""
SAY_AUTOCORRELATION_SE = 2.0
"""A count chart says its months move together when their estimated autocorrelation is at least
this many standard errors (1/√months) above 0."""


@dataclass(frozen=True)
class ChartPoint:
    """One period on a control chart."""

    period: str
    value: float
    """The figure as measured (the raw count, or the rate/proportion in %)."""
    plotted: float | None
    """The figure on the chart: the seasonally adjusted count, or the value; None if suppressed."""
    seasonal_index: float | None
    centre: float | None
    lower_limit: float | None
    upper_limit: float | None
    moving_range: float | None
    signal: Signal
    variation: Variation
    segment: int
    suppressed: str | None = None
    """Why this point is shown but not judged (too few responses or offences that month, or
    too few events or months in its segment to set limits), else None."""


@dataclass(frozen=True)
class ControlChart:
    """A control chart. The headline limits are those of the latest judged point."""

    method: Method
    centre: float | None
    lower_limit: float | None
    upper_limit: float | None
    trial_limits: bool
    points: list[ChartPoint]
    breaks: list[str] = field(default_factory=list)
    """Periods where a new segment (rebased limits) starts."""
    baseline: tuple[str, str] | None = None
    seasonal: SeasonalProfile | None = None
    caveats: list[str] = field(default_factory=list)
    autocorrelation: float | None = None
    """Lag-1 autocorrelation of the seasonally adjusted months about a straight line
    (:func:`adjusted_autocorrelation`; None when not estimated). The limits do not allow for
    it: when it is clearly above 0 a caveat says the chart cannot claim its usual false-signal
    rate."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        out = asdict(self)
        out["seasonal"] = self.seasonal.to_dict() if self.seasonal else None
        out["baseline"] = list(self.baseline) if self.baseline else None
        return out


# --- validation and segments -----------------------------------------------------------------


def _check_periods(periods: Sequence[str]) -> None:
    for p in periods:
        calendar_month(p)
    if list(periods) != sorted(periods) or len(set(periods)) != len(periods):
        raise ValueError("periods must be unique months in time order")


def _check_baseline(baseline: tuple[str, str] | None) -> None:
    if baseline is None:
        return
    start, end = baseline
    calendar_month(start)
    calendar_month(end)
    if start > end:
        raise ValueError(f"baseline {start}:{end} ends before it starts")


def _segments(periods: Sequence[str], breaks: Sequence[str]) -> tuple[list[int], list[str]]:
    """Segment number of each period, and the breaks that fall inside the series.

    A break is the first month of the new recording practice; a break at or before the first
    period, or after the last, changes nothing. A break in a gap starts at the next month shown.
    """
    for b in breaks:
        calendar_month(b)
    inside = sorted({b for b in breaks if periods and periods[0] < b <= periods[-1]})
    return [sum(1 for b in inside if b <= p) for p in periods], inside


def _moving_ranges(y: Sequence[float]) -> list[float | None]:
    return [None, *(abs(b - a) for a, b in itertools.pairwise(y))]


def adjusted_autocorrelation(
    adjusted: Sequence[float], periods: Sequence[str], segments: Sequence[int]
) -> float | None:
    """Lag-1 autocorrelation of seasonally adjusted monthly counts about a straight line.

    Within each segment the adjusted counts are fitted by least squares on the month number
    (the level and trend the seasonal model also allows for), and the residuals of
    neighbouring months (consecutive months of one segment) are correlated: ``r = Σ e_t e_t−1 /
    Σ e_t²``. With ``n`` residuals it is bias-corrected as ``(r n + 1) / (n − 3)`` (Kendall)
    and kept in ``[-1, 1]``; with fewer than :data:`MIN_AUTOCORRELATION_MONTHS` months it is
    None.
    """
    resid: list[tuple[int, int, float]] = []
    for seg in sorted(set(segments)):
        idx = [i for i, s in enumerate(segments) if s == seg]
        if len(idx) < 3:
            continue
        t = [float(month_number(periods[i])) for i in idx]
        y = [float(adjusted[i]) for i in idx]
        tm, ym = sum(t) / len(t), sum(y) / len(y)
        stt = sum((a - tm) ** 2 for a in t)
        slope = sum((a - tm) * (b - ym) for a, b in zip(t, y, strict=True)) / stt if stt else 0.0
        resid += [(seg, int(a), b - ym - slope * (a - tm)) for a, b in zip(t, y, strict=True)]
    n = len(resid)
    ss = sum(e * e for _, _, e in resid)
    if n < MIN_AUTOCORRELATION_MONTHS or ss <= 0:
        return None
    lag = sum(e1 * e2 for (s1, t1, e1), (s2, t2, e2) in itertools.pairwise(resid)
              if s1 == s2 and t2 == t1 + 1)
    return max(-1.0, min(1.0, (lag / ss * n + 1.0) / (n - 3.0)))


# --- counts --------------------------------------------------------------------------------


def count_chart(
    values: Sequence[float],
    periods: Sequence[str],
    *,
    better: Better,
    breaks: Sequence[str] = (),
    baseline: tuple[str, str] | None = None,
    seasonal: bool = True,
    show_from: str | None = None,
) -> ControlChart:
    """Control chart of monthly counts, the chart the product shows for every count measure.

    ``values`` are counts for the ``YYYY-MM`` ``periods`` in time order; missing months are
    simply absent (a gap, never a zero). The seasonal profile is estimated from every month given
    (pass a longer history than you chart), and only months from ``show_from`` on are charted and
    judged. ``breaks`` are months where recording practice changed: each starts a segment with
    its own limits. ``baseline`` (first and last month, inclusive) fixes the limits of the segment
    it lies in on those months. ``seasonal=False`` charts raw counts (for comparison only).
    """
    if len(values) != len(periods):
        raise ValueError("values and periods must have the same length")
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError("counts must be finite and not negative")
    _check_periods(periods)
    _check_baseline(baseline)
    if show_from is not None:
        calendar_month(show_from)
    segs, inside = _segments(periods, breaks)
    caveats: list[str] = []
    profile = seasonal_profile(values, periods, segs) if seasonal else None
    if seasonal and profile is None:
        caveats.append(
            f"Seasonality not removed: fewer than {MIN_YEARS} years of data for some calendar "
            "month (or a month with no events), so part of the variation may be seasonal."
        )
    keep = [i for i, p in enumerate(periods) if show_from is None or p >= show_from]
    rho = None
    if profile is not None:
        adjusted = [v / profile.of(p) for v, p in zip(values, periods, strict=True)]
        rho = adjusted_autocorrelation(adjusted, periods, segs)
    if rho is not None and rho >= SAY_AUTOCORRELATION_SE / math.sqrt(len(values)):
        caveats.append(
            f"Neighbouring months move together here (correlation {rho:.2f} once the season "
            "and trend are taken out), so runs on one side of the average and months near the "
            "limits come more often than in a steady series: a signal shows a real movement "
            "of the level, but not necessarily a lasting one."
        )
    plotted = [values[i] / profile.of(periods[i]) if profile else float(values[i]) for i in keep]
    shown = [periods[i] for i in keep]
    raw = [float(values[i]) for i in keep]
    seg_shown = [segs[i] for i in keep]
    method: Method = "xmr_seasonal" if profile else "xmr"
    points: list[ChartPoint] = []
    judged_any = False
    headline: tuple[float | None, float | None, float | None] = (None, None, None)
    trial = False
    for seg_no in sorted(set(seg_shown)):
        idx = [j for j, s in enumerate(seg_shown) if s == seg_no]
        y = [plotted[j] for j in idx]
        per = [shown[j] for j in idx]
        index = [profile.of(p) if profile else None for p in per]
        base = _baseline_of(per, baseline)
        mean_raw = sum(raw[j] for j in idx) / len(idx)
        reason = None
        if len(base) < 2:
            reason = "fewer than 2 months to set limits in this segment"
        elif mean_raw < RARE_MEAN:
            reason = (f"too few events for a control chart (average {mean_raw:.1f} a month, "
                      f"below {RARE_MEAN:g})")
        if reason:
            caveats.append(f"Months {per[0]} to {per[-1]}: {reason}; no signals are shown.")
            for j, p, ix in zip(idx, per, index, strict=True):
                points.append(ChartPoint(p, raw[j], plotted[j], ix, None, None, None, None,
                                         "none", "common", seg_no, reason))
            continue
        yb = [y[k] for k in base]
        centre = sum(yb) / len(yb)
        mr = mean_moving_range(yb)
        lo, hi = max(0.0, centre - LIMIT_FACTOR * mr), centre + LIMIT_FACTOR * mr
        lo_near, hi_near = centre - NEAR_FACTOR * mr, centre + NEAR_FACTOR * mr
        n = len(y)
        signals = classify(y, centre, [lo] * n, [hi] * n, [lo_near] * n, [hi_near] * n, better)
        mrs = _moving_ranges(y)
        for k, (j, p, ix) in enumerate(zip(idx, per, index, strict=True)):
            points.append(ChartPoint(p, raw[j], y[k], ix, centre, lo, hi,
                                     mrs[k], *signals[k], seg_no, None))
        judged_any = True
        headline = (centre, lo, hi)
        trial = len(base) < MIN_FULL_BASELINE
    if not judged_any:
        method = "none"
        caveats = [c for c in caveats if not c.startswith("Seasonality not removed")]
    return ControlChart(method, *headline, trial, points, inside, baseline, profile, caveats,
                        rho if judged_any else None)


def _baseline_of(periods: Sequence[str], baseline: tuple[str, str] | None) -> list[int]:
    """Positions (in one segment) whose values set the limits: the baseline months if the baseline
    lies in this segment, else every month."""
    if baseline is None:
        return list(range(len(periods)))
    inside = [k for k, p in enumerate(periods) if baseline[0] <= p <= baseline[1]]
    return inside or list(range(len(periods)))


# --- Laney p′ and u′ ------------------------------------------------------------------------


def proportion_chart(
    events: Sequence[float],
    sizes: Sequence[float],
    periods: Sequence[str],
    *,
    better: Better,
    kind: Literal["proportion", "rate"],
    min_size: float,
    breaks: Sequence[str] = (),
    baseline: tuple[str, str] | None = None,
    size_name: str = "responses",
) -> ControlChart:
    """Laney's p′ (``kind="proportion"``) or u′ (``kind="rate"``) chart, values in percent.

    ``events`` / ``sizes`` is each period's figure (positive answers over effective responses, or
    offences detected over offences recorded). Per segment, the centre p̄ = Σevents ÷ Σsizes over
    the baseline; each point's binomial (p′) or Poisson (u′) standard error σᵢ = √(p̄(1−p̄)/nᵢ) or
    √(p̄/nᵢ) is scaled by σz, the spread of the z-scores (pᵢ − p̄)/σᵢ measured by their mean moving
    range ÷ 1.128 (Laney 2002). Limits p̄ ± 3σᵢσz (near limits ± 2σᵢσz), never below 0, and
    never above 100% for a true proportion. Periods with ``sizes`` below ``min_size`` are shown
    but suppressed: not judged and kept out of the limits.
    """
    n_all = len(periods)
    if len(events) != n_all or len(sizes) != n_all:
        raise ValueError("events, sizes and periods must have the same length")
    if any(not math.isfinite(v) or v < 0 for v in [*events, *sizes]):
        raise ValueError("events and sizes must be finite and not negative")
    if kind == "proportion" and any(e > s for e, s in zip(events, sizes, strict=True)):
        raise ValueError("a proportion's events cannot exceed its size")
    _check_periods(periods)
    _check_baseline(baseline)
    segs, inside = _segments(periods, breaks)
    method: Method = "p_prime" if kind == "proportion" else "u_prime"
    caveats: list[str] = []
    points: list[ChartPoint] = []
    headline: tuple[float | None, float | None, float | None] = (None, None, None)
    judged_any, trial = False, False
    small = [s < min_size or s <= 0 for s in sizes]
    if any(small):
        caveats.append(f"{sum(small)} of {n_all} months have fewer than {min_size:g} "
                       f"{size_name}: shown, but not judged and not used for the limits.")

    def value(i: int) -> float:
        return 100.0 * events[i] / sizes[i] if sizes[i] > 0 else math.nan

    for seg_no in sorted(set(segs)):
        idx = [i for i in range(n_all) if segs[i] == seg_no]
        ok = [i for i in idx if not small[i]]
        base_pos = _baseline_of([periods[i] for i in ok], baseline)
        base = [ok[k] for k in base_pos]
        suppressed = f"fewer than {min_size:g} {size_name}"
        total = sum(sizes[i] for i in base)
        pbar = sum(events[i] for i in base) / total if total > 0 else math.nan
        if len(base) < 2 or not 0 < pbar < (1 if kind == "proportion" else math.inf):
            if ok:
                caveats.append(f"Months {periods[idx[0]]} to {periods[idx[-1]]}: too few months "
                               "with enough data to set limits; no signals are shown.")
            for i in idx:
                points.append(ChartPoint(periods[i], value(i), None if small[i] else value(i),
                                         None, None, None, None, None, "none", "common", seg_no,
                                         suppressed if small[i] else
                                         "too few months with enough data to set limits"))
            continue
        sigma = {i: math.sqrt((pbar * (1 - pbar) if kind == "proportion" else pbar) / sizes[i])
                 for i in ok}
        z = [(events[i] / sizes[i] - pbar) / sigma[i] for i in base]
        sigma_z = (sum(abs(b - a) for a, b in itertools.pairwise(z)) / (len(z) - 1)) / D2
        cap = 100.0 if kind == "proportion" else math.inf
        lims = {}
        for i in ok:
            s = 100.0 * sigma[i] * sigma_z
            lims[i] = (max(0.0, 100 * pbar - 3 * s), min(cap, 100 * pbar + 3 * s),
                       100 * pbar - 2 * s, 100 * pbar + 2 * s)
        y = [value(i) for i in ok]
        signals = classify(y, 100 * pbar, [lims[i][0] for i in ok], [lims[i][1] for i in ok],
                           [lims[i][2] for i in ok], [lims[i][3] for i in ok], better)
        judged = dict(zip(ok, signals, strict=True))
        mrs = dict(zip(ok, _moving_ranges(y), strict=True))
        for i in idx:
            if small[i]:
                points.append(ChartPoint(periods[i], value(i), None, None, 100 * pbar, None,
                                         None, None, "none", "common", seg_no, suppressed))
                continue
            points.append(ChartPoint(periods[i], value(i), value(i), None, 100 * pbar,
                                     lims[i][0], lims[i][1], mrs[i], *judged[i], seg_no, None))
        last = ok[-1]
        headline = (100 * pbar, lims[last][0], lims[last][1])
        judged_any = True
        trial = len(base) < MIN_FULL_BASELINE
    if not judged_any:
        method = "none"
    return ControlChart(method, *headline, trial, points, inside, baseline, None, caveats)


# --- rare events: g chart ---------------------------------------------------------------------


@dataclass(frozen=True)
class GChart:
    """Benneyan's g chart of the gaps between consecutive events."""

    centre: float
    upper_limit: float
    lower_limit: float
    gaps: list[float]
    signals: list[Variation]
    longer: Variation
    """The verdict on a gap above the upper limit (events became rarer)."""

    def judge(self, gap: float) -> Variation:
        """A gap's verdict against the upper limit (the open gap since the last event too)."""
        return self.longer if gap > self.upper_limit else "common"


def g_chart(gaps: Sequence[float], *, better: Better) -> GChart:
    """g chart (Benneyan 2001) of the number of days (or opportunities) between events.

    The gaps of a stable rare-event process are geometric with mean ḡ, standard deviation
    √(ḡ(ḡ+1)); the upper limit is ḡ + 3√(ḡ(ḡ+1)). The lower limit ḡ − 3√(ḡ(ḡ+1)) is always
    below 0 (3√(ḡ(ḡ+1)) > ḡ), so it is 0 and no single gap can be too short: events becoming
    more frequent show only as a run of short gaps, which this chart does not test. A gap above
    the upper limit means events became rarer than before: an improvement when fewer events are
    better (``better="lower"``, as for crime), a concern when more are better.
    """
    if len(gaps) < 2:
        raise ValueError("a g chart needs at least 2 gaps between events")
    if any(not math.isfinite(g) or g < 0 for g in gaps):
        raise ValueError("gaps must be finite and not negative")
    g = sum(gaps) / len(gaps)
    sd = math.sqrt(g * (g + 1))
    upper = g + 3 * sd
    longer = _variation(-1, better)  # a long gap: the rate of events went down
    signals: list[Variation] = [longer if x > upper else "common" for x in gaps]
    return GChart(g, upper, 0.0, [float(x) for x in gaps], signals, longer)


# --- rare events by month: probability limits ---------------------------------------------------

RARE_TAIL = 0.00135
"""One-sided chance of a false signal each probability limit allows: that of a point beyond
three standard deviations of a normal distribution, as the XmR chart's limits intend."""
MIN_RARE_MONTHS = 6
"""Months needed before rare monthly counts are charted with probability limits."""


@dataclass(frozen=True)
class RareMonths:
    """Monthly counts too rare for an XmR chart, judged by the chances of the counts themselves
    (Poisson, or negative binomial when the months vary more than Poisson counts)."""

    centre: float
    """Mean events a month over the months charted."""
    dispersion: float
    """Variance over mean of the monthly counts (at least 1; 1 is Poisson)."""
    upper_count: int
    """A month with at least this many events is more than chance makes likely."""
    empty_run: int
    """This many months in a row with no event are fewer than chance makes likely."""
    counts: list[int]
    signals: list[Variation]
    run_since_last: int
    """Months with no event at the end of the series (since the last month with one)."""
    run_variation: Variation

    def to_dict(self) -> dict[str, Any]:
        """Return the chart as plain JSON-serialisable Python objects."""
        return asdict(self)


def _rare_fit(
    x: Sequence[int], months: Sequence[int], tail: float = RARE_TAIL
) -> tuple[float, float, int, float] | None:
    """Mean, dispersion, upper count and chance of an empty month from the given months (their
    neighbouring pairs give the variance), or None if they have no event."""
    m = sum(x[i] for i in months) / len(months)
    if m <= 0:
        return None
    chosen = set(months)
    steps = [(x[i + 1] - x[i]) ** 2 for i in months if i + 1 in chosen]
    phi = max(1.0, sum(steps) / (2 * len(steps)) / m) if steps else 1.0
    from scipy import special

    if phi > 1.0:
        from paragon.stats.negbinom import NegativeBinomial

        nb = NegativeBinomial(m / (phi - 1.0), 1.0 / phi)
        p_zero = nb.cdf(0)

        def at_least(k: int) -> float:
            return nb.sf(k - 1)
    else:
        p_zero = math.exp(-m)

        def at_least(k: int) -> float:
            return float(special.pdtrc(k - 1, m))
    upper = max(1, math.floor(m))
    while at_least(upper) > tail:
        upper += 1
    return m, phi, upper, p_zero


def rare_months_chart(counts: Sequence[int], *, better: Better) -> RareMonths:
    """Probability limits for rare monthly counts, where the XmR chart's normal limits do not
    hold and the day of each event is not known (police.uk dates crimes to the month).

    With mean ``m`` events a month and dispersion ``phi`` (the variance over the mean, at least
    1; the variance is read from neighbouring months, half the mean squared difference between
    them, so that a change of level does not count as noise), a month's count is Poisson(``m``),
    or negative binomial with that mean and variance ``phi m`` when ``phi > 1``. Two things are
    judged, each at the one-sided chance :data:`RARE_TAIL` of a three-sigma point:

    * a month with at least ``upper_count`` events, the smallest ``k`` with ``P(X >= k) <=
      RARE_TAIL``: more events than chance makes likely. A busy month would raise the mean and
      the dispersion it is judged by, and hide itself; so the busiest month is first judged
      against the other months alone, and if it is beyond their limit it is flagged and left
      out, and the next busiest is judged the same way, until one is not. The limits shown are
      those of the months left;
    * a run of at least ``empty_run`` months in a row with no event, the smallest ``L`` with
      ``P(X = 0) ** L <= RARE_TAIL``: fewer (the monthly form of a g chart); every month of the
      run is flagged, and the run still open at the end is judged the same way.
    """
    if len(counts) < MIN_RARE_MONTHS:
        raise ValueError(f"rare monthly counts need at least {MIN_RARE_MONTHS} months")
    if any(c < 0 or int(c) != c for c in counts):
        raise ValueError("monthly counts must be whole numbers, not negative")
    x = [int(c) for c in counts]
    n = len(x)
    if not any(x):
        raise ValueError("no events in these months")
    keep = list(range(n))
    while len(keep) > 2:  # test the busiest month left against the months other than it
        top = max(keep, key=lambda i: x[i])
        others = [i for i in keep if i != top]
        fit = _rare_fit(x, others, RARE_TAIL / len(keep))  # the busiest of len(keep) months
        if fit is None or x[top] < fit[2]:
            break
        keep = others  # flagged below: it is at least the limit of the months left
    fit = _rare_fit(x, keep)
    assert fit is not None  # a month is only left out when the months kept have events
    m, phi, upper, p_zero = fit
    run = math.ceil(math.log(RARE_TAIL) / math.log(p_zero))
    more, fewer = _variation(1, better), _variation(-1, better)
    signals: list[Variation] = [more if c >= upper else "common" for c in x]
    start = 0
    for i in range(n + 1):
        if i < n and x[i] == 0:
            continue
        if i - start >= run:  # months start .. i-1 have no event
            signals[start:i] = [fewer] * (i - start)
        start = i + 1
    since = next((n - 1 - i for i in range(n - 1, -1, -1) if x[i] > 0), n)
    return RareMonths(m, phi, upper, run, x, signals, since, fewer if since >= run else "common")
