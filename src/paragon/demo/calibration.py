"""The figures the synthetic demo is calibrated to.

Where the plan publishes a figure, the demo reproduces it exactly (counts) or to the printed decimal
(rates, survey percentages). Every other figure here is invented to look plausible and is marked
"synthetic". Years are financial years named by their first calendar year (2010 = 2010-11); the
2011-12 figures are annual paces, of which the demo generates April to December 2011.
"""

from __future__ import annotations

# Annual recorded crime by measure group. Published: total 2007-08 and 2010-11, most serious
# violence 2008-09 and 2010-11, burglary dwelling, robbery, vehicle and business 2007-08 and
# 2010-11 (Reducing crime table, baselines per footnote 4).
CRIME_TOTALS: dict[str, dict[int, int]] = {
    "total": {2007: 247_927, 2008: 236_480, 2009: 226_150, 2010: 215_368, 2011: 201_300},
    "burglary_dwelling": {2007: 18_030, 2008: 17_120, 2009: 17_310, 2010: 19_139, 2011: 17_280},
    "robbery": {2007: 7_659, 2008: 7_420, 2009: 7_780, 2010: 9_041, 2011: 7_950},
    "vehicle": {2007: 34_085, 2008: 31_500, 2009: 29_800, 2010: 28_248, 2011: 25_050},
    "msv": {2007: 3_650, 2008: 3_477, 2009: 3_190, 2010: 2_943, 2011: 2_690},
    # Serious sexual offences and hate crime: the plan prints only 2010-11 detections and rates
    # (516 at 24.2%, 1,028 at 35.5%). The implied recorded counts are 516/0.242 = 2,132 and
    # 1,028/0.355 = 2,896 (each the whole number nearest the quotient that reproduces the
    # printed rate to one decimal).
    "sso": {2007: 2_050, 2008: 2_080, 2009: 2_110, 2010: 2_132, 2011: 2_170},
    "business": {2007: 51_750, 2008: 49_200, 2009: 47_300, 2010: 45_542, 2011: 41_300},
    "hate": {2007: 2_950, 2008: 2_910, 2009: 2_880, 2010: 2_896, 2011: 2_930},
}

# Offences detected in 2010-11 (Solved and resolved crime table, performance column): exact.
DETECTED_2010: dict[str, int] = {
    "msv": 1_075,
    "burglary_dwelling": 1_688,
    "robbery": 1_412,
    "vehicle": 2_009,
    "sso": 516,
    "hate": 1_028,
}

# Synthetic detection rates for the other years (share of offences detected).
DETECTION_RATES: dict[str, dict[int, float]] = {
    "msv": {2007: 0.42, 2008: 0.40, 2009: 0.38, 2011: 0.44},
    "burglary_dwelling": {2007: 0.13, 2008: 0.11, 2009: 0.10, 2011: 0.105},
    "robbery": {2007: 0.20, 2008: 0.19, 2009: 0.18, 2011: 0.185},
    "vehicle": {2007: 0.09, 2008: 0.085, 2009: 0.08, 2011: 0.098},
    "sso": {2007: 0.30, 2008: 0.28, 2009: 0.26, 2011: 0.27},
    "hate": {2007: 0.40, 2008: 0.38, 2009: 0.37, 2011: 0.40},
    "other": {2007: 0.27, 2008: 0.26, 2009: 0.25, 2010: 0.24, 2011: 0.24},
}

# Survey results, percent positive (weighted). 2010-11 is published (footnotes 1 and 3); the
# other years are synthetic.
SURVEY_TARGETS: dict[str, dict[int, float]] = {
    "confidence": {2009: 82.9, 2010: 84.5, 2011: 85.6},
    "deal-with-things-that-matter": {2009: 82.8, 2010: 83.6, 2011: 85.1},
    "understand-issues": {2009: 84.7, 2010: 85.5, 2011: 86.4},
    "treat-fairly": {2009: 87.1, 2010: 87.7, 2011: 88.9},
    "treat-with-respect": {2009: 92.8, 2010: 93.2, 2011: 93.9},
    "work-with-community": {2009: 79.5, 2010: 80.7, 2011: 81.6},
    "relations-good": {2009: 85.4, 2010: 86.3, 2011: 87.4},
    "perceive-crime-increase": {2009: 12.6, 2010: 13.6, 2011: 12.9},
    "perceive-asb-increase": {2009: 13.8, 2010: 14.7, 2011: 13.4},
    "satisfaction-actions-crime": {2009: 84.9, 2010: 84.4, 2011: 85.3},
    "satisfaction-feedback-crime": {2009: 76.8, 2010: 75.9, 2011: 78.2},
    "satisfaction-service-crime": {2009: 85.8, 2010: 85.4, 2011: 86.5},
    "satisfaction-actions-asb": {2009: 68.1, 2010: 69.2, 2011: 70.4},
    "satisfaction-feedback-asb": {2009: 60.3, 2010: 61.2, 2011: 66.0},
    "satisfaction-service-asb": {2009: 72.9, 2010: 74.1, 2011: 77.2},
    "police-do-good-job": {2009: 85.7, 2010: 86.3, 2011: 87.1},
}

FIRST_YEAR = 2007
LAST_YEAR = 2011
LAST_MONTH = (2011, 12)  # the demo's data end: December 2011
SURVEY_FIRST_YEAR = 2009
