"""Figures in words a resident understands, always with their uncertainty.

A change is only called a rise or a fall when the statistics say it is beyond chance (for counts a
test that allows for the month-to-month ups and downs seen in the data itself, and, where many crime
types are judged together, for the number compared; Newcombe's interval for proportions); otherwise
the words say it is within normal variation. Method names stay on the methods page.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the statistics load with the figures, not with the words
    from paragon.stats import CountComparison

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def month_name(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{abs(value):.0f}%"


def _many(compared: int) -> str:
    return (f", after allowing for the {compared} types of crime compared here"
            if compared > 1 else "")


def count_change(before: int, last: int, c: CountComparison, compared: int = 1) -> str:
    """'Down 12% (likely a fall of between 5% and 18%): a real fall, larger than the usual ups and
    downs would explain.' ``compared`` is how many changes were judged together."""
    if before == 0 and last == 0:
        return "None recorded in either year."
    if before == 0:
        return f"{last:,} this year and none the year before."
    pct = c.percent_change or 0.0
    likely = change_range(c.percent_change_lower, c.percent_change_upper)
    if c.verdict == "significant increase":
        return (f"Up {_pct(pct)} ({likely}): a real rise, larger than the usual ups and downs "
                f"would explain{_many(compared)}.")
    if c.verdict == "significant decrease":
        return (f"Down {_pct(pct)} ({likely}): a real fall, larger than the usual ups and downs "
                f"would explain{_many(compared)}.")
    if abs(pct) < 0.5:
        return f"About the same as the year before ({likely})."
    direction = "Up" if pct > 0 else "Down"
    return (f"{direction} {_pct(pct)}, but this is within normal variation "
            f"({likely}{_many(compared)}), so it may be chance.")


def change_range(lower: float | None, upper: float | None) -> str:
    """The 95% interval of a % change in words: 'likely a fall of between 5% and 18%'."""
    if lower is None:
        return "the range is unknown"
    if upper is None:
        return f"likely {_updown(lower)} or more"
    if lower >= 0:
        return f"likely a rise of between {lower:.0f}% and {upper:.0f}%"
    if upper <= 0:
        return f"likely a fall of between {abs(upper):.0f}% and {abs(lower):.0f}%"
    return f"the true change is likely between a {abs(lower):.0f}% fall and a {upper:.0f}% rise"


def _updown(value: float) -> str:
    return f"a {abs(value):.0f}% {'rise' if value >= 0 else 'fall'}"


UNJUDGED = {
    "no data": ("No data yet", "There is no data for this measure yet."),
    "data not available": ("Data not available",
                           "The data loaded cannot answer this measure (for example police.uk "
                           "data has no offence codes)."),
    "not enough responses": ("Not enough responses",
                             "Too few survey responses to judge this milestone."),
    "incomplete data": ("Incomplete data",
                        "The data does not yet cover the whole period, so it is not judged."),
    "no direction set": ("Not judged", "Neither higher nor lower is better for this measure, "
                                       "so the figure is reported, not judged."),
}


def milestone_status(row: dict[str, Any]) -> dict[str, str]:
    """A short label, a sentence and a tone (good, bad, neutral, unknown) for a milestone row."""
    status = row.get("status")
    if status == "met":
        noise = ("by a clear margin" if row.get("beyond_noise")
                 else "but by a margin within normal variation")
        return {"label": "Met", "tone": "good", "sentence": f"The milestone was met, {noise}."}
    if status == "missed":
        noise = ("by more than chance would explain" if row.get("beyond_noise")
                 else "but the gap is within normal variation")
        return {"label": "Missed", "tone": "bad", "sentence": f"The milestone was missed, {noise}."}
    if status == "in progress":
        return _in_progress(row)
    if status == "no local milestone":
        return {"label": "No local milestone", "tone": "neutral",
                "sentence": "The plan sets this milestone for the force as a whole, not for "
                            "this area."}
    if status == "benchmark":
        return {"label": "Baseline year", "tone": "neutral",
                "sentence": "No target this year: this year's figure sets the baseline."}
    if status == "not_available":
        return {"label": "No milestone", "tone": "neutral",
                "sentence": "The plan set no milestone for this year."}
    if status in UNJUDGED:
        label, sentence = UNJUDGED[status]
        return {"label": label, "tone": "unknown" if status != "no direction set" else "neutral",
                "sentence": sentence}
    if row.get("milestone") is None:
        return {"label": "No milestone", "tone": "neutral",
                "sentence": "The plan set no milestone for this year."}
    return {"label": "No data yet", "tone": "unknown",
            "sentence": "There is not yet enough data to judge this milestone."}


def _in_progress(row: dict[str, Any]) -> dict[str, str]:
    assurance = row.get("assurance")
    chance = chance_text(row.get("probability_met"))
    if assurance == "likely met":
        return {"label": "On track", "tone": "good",
                "sentence": f"On track to meet the milestone ({chance} of meeting it)."}
    if assurance == "likely missed":
        return {"label": "Off track", "tone": "bad",
                "sentence": f"Likely to miss the milestone ({chance} of meeting it)."}
    if assurance == "uncertain":
        return {"label": "Too close to call", "tone": "neutral",
                "sentence": f"Too close to call so far ({chance} of meeting it)."}
    if assurance == "not enough responses":
        return {"label": "Not enough responses", "tone": "unknown",
                "sentence": "Not enough survey responses yet this year to judge."}
    return {"label": "In progress", "tone": "unknown",
            "sentence": "The year is under way; there is not enough history to project it."}


def chance_text(prob: float | None) -> str:
    """A probability in words: 'about 35% chance', 'about a 1 in 250 chance', 'less than a 1 in
    1,000 chance' (never 4.3e-61)."""
    if prob is None:
        return "chance unknown"
    if prob < 0.001:
        return "less than a 1 in 1,000 chance"
    if prob < 0.01:
        return f"about a 1 in {round(1 / prob):,} chance"
    if prob > 0.999:
        return "more than a 999 in 1,000 chance"
    if prob > 0.99:
        return "more than 99% chance"
    return f"about {round(100 * prob)}% chance"


def _direction(value: float) -> str:
    return "up" if value > 0 else "down" if value < 0 else "no change:"


def change_text(row: dict[str, Any]) -> str:
    """A milestone row's change in the right unit, the kind named.

    Counts: 'up 6.2% (likely between 4.0% and 8.3%)'. Rates (detection rates): 'up 9.8
    percentage points (a 27.5% relative rise, likely between 10.1% and 47.0%)'. Surveys:
    'down 2.1 percentage points (likely between 4.0 and 0.2 points down)'."""
    value, lo, hi = row.get("change_pct"), row.get("change_lower"), row.get("change_upper")
    if value is None:
        return "–"
    top = "no upper limit" if hi is None else f"{hi:+.1f}%"
    band = "" if lo is None else f", likely between {lo:+.1f}% and {top}"
    unit = row.get("change_unit")
    if unit == "% of the rate":
        points = row.get("change_points")
        relative = f"a {abs(value):.1f}% relative {'rise' if value >= 0 else 'fall'}{band}"
        if points is None:
            return relative[0].upper() + relative[1:]
        return f"{_direction(points)} {abs(points):.1f} percentage points ({relative})"
    if unit == "percentage points":
        pts = ("" if lo is None or hi is None else
               f" (likely between {lo:+.1f} and {hi:+.1f} points)")
        return f"{_direction(value)} {abs(value):.1f} percentage points{pts}"
    return f"{_direction(value)} {abs(value):.1f}%" + (f" ({band[2:]})" if band else "")


def figure_text(row: dict[str, Any]) -> str:
    """'84.5% (likely between 83.1% and 85.9%)' or '12,345 crimes (…)'."""
    value, lo, hi = row.get("value"), row.get("value_lower"), row.get("value_upper")
    if value is None:
        return "no data yet"
    if row.get("unit") == "count":
        text = f"{value:,.0f}"
        return text + (f" (allowing for the usual ups and downs, the true level is likely "
                       f"between {lo:,.0f} and {hi:,.0f})" if lo is not None and hi is not None
                       else "")
    text = f"{value:.1f}%"
    return text + (f" (likely between {lo:.1f}% and {hi:.1f}%)"
                   if lo is not None and hi is not None else "")


def projection_text(row: dict[str, Any]) -> str | None:
    projected, band = row.get("projected"), row.get("projected_80")
    if projected is None:
        return None
    if row.get("unit") == "count":
        text = f"Projected for the whole year: {projected:,.0f}"
        if band:
            text += f" (likely between {band[0]:,.0f} and {band[1]:,.0f})"
    else:
        text = f"Projected for the whole year: {projected:.1f}%"
        if band:
            text += f" (likely between {band[0]:.1f}% and {band[1]:.1f}%)"
    note = row.get("projection_note")
    if note and note.startswith("the level changed"):  # why the projection left the usual path
        text += ". " + note[0].upper() + note[1:]
    return text + "."


def milestone_text(row: dict[str, Any]) -> str:
    target = row.get("milestone")
    if target is None:
        return row.get("milestone_published") or "none"
    better = row.get("better")
    text = f"{target:,.0f}" if row.get("unit") == "count" else f"{target:g}%"
    if better == "lower":
        return f"{text} or {'fewer' if row.get('unit') == 'count' else 'lower'}"
    if better == "higher":
        return f"{text} or {'more' if row.get('unit') == 'count' else 'higher'}"
    return text
