"""Statistical methods behind Paragon's performance monitoring.

Pure functions with no I/O: XmR control charts (:mod:`.spc`), two-period count
comparisons (:mod:`.counts`), proportions and survey intervals
(:mod:`.proportions`), year-end milestone projections (:mod:`.projection`) and
funnel plots (:mod:`.funnel`). ``docs/methods.md`` explains each in plain English.
"""

from paragon.stats.counts import CountComparison, compare_counts
from paragon.stats.funnel import FunnelPlot, FunnelUnit, funnel_proportions, funnel_rates
from paragon.stats.projection import (
    ClosedYearAssessment,
    YearEndProjection,
    assess_closed_year,
    project_count_year_end,
    project_proportion_year_end,
)
from paragon.stats.proportions import (
    MIN_RESPONSES,
    ProportionDifference,
    ProportionEstimate,
    newcombe_difference,
    weighted_proportion,
    wilson_interval,
)
from paragon.stats.spc import XmrChart, XmrPoint, xmr

__all__ = [
    "MIN_RESPONSES",
    "ClosedYearAssessment",
    "CountComparison",
    "FunnelPlot",
    "FunnelUnit",
    "ProportionDifference",
    "ProportionEstimate",
    "XmrChart",
    "XmrPoint",
    "YearEndProjection",
    "assess_closed_year",
    "compare_counts",
    "funnel_proportions",
    "funnel_rates",
    "newcombe_difference",
    "project_count_year_end",
    "project_proportion_year_end",
    "weighted_proportion",
    "wilson_interval",
    "xmr",
]
