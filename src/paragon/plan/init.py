"""A starter plan for any police force of England and Wales (``paragon plan init``).

The starter holds what public police.uk data can answer, and nothing invented:

- LPUs: the force's local authority districts (West Midlands: the ten LPUs of its 2011-15 plan,
  Birmingham split four ways by the documented ``birmingham-2011`` rule; other forces get that
  split as a commented example);
- neighbourhoods: the MSOAs of the bundled geography (not in the plan: they follow from the
  LSOAs);
- measures: total recorded crime, one count per police.uk crime category
  (``policeuk_categories``), the count of anti-social behaviour incidents (police.uk's ASB rows,
  its own measure), and the share of crimes solved and resolved (detected outcomes, from police.uk
  outcomes files) for all crime and the categories the 2011-15 plan tracked;
- milestones: one row per measure and year with a ``benchmark`` rule, no target: the force sets
  its own (a value, or a % change against a year) by editing the file.

Stop and search is not a measure the plan schema can hold (searches have no LSOA, so no LPU): it
has its own command (``paragon stop-search``) and analyst page.
"""

from __future__ import annotations

import re
from datetime import date

from paragon.errors import ParagonError
from paragon.geography.forces import check_force
from paragon.geography.lpus import force_districts
from paragon.geography.starter import starter_lpus
from paragon.ingest.policeuk.vocab import ASB, CATEGORIES, FORCES
from paragon.plan.loader import default_plan, parse_plan

# police.uk categories the 2011-15 plan tracked as detection rates
DETECTION_CATEGORIES = ("Burglary", "Robbery", "Vehicle crime", "Violence and sexual offences")
ONLY_2011_13 = ("Public disorder and weapons",)
YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def financial_year(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _year_range(first: str, count: int) -> list[str]:
    match = YEAR.match(first)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ParagonError(f"'{first[:20]}' is not a financial year such as 2016-17")
    if not 1 <= count <= 10:
        raise ParagonError(f"a plan covers 1 to 10 years, not {count}")
    start = int(match[1])
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(start, start + count)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _categories() -> list[str]:
    return sorted({c for c in CATEGORIES.values() if c != ASB})


def starter_plan_text(force: str, first_year: str | None = None, years: int = 4) -> str:
    """The YAML of a starter plan for ``force`` (a police.uk slug), covering ``years`` financial
    years from ``first_year`` (default: the current one). It validates, and is meant to be
    edited."""
    check_force(force)
    first_year = first_year or financial_year(date.today())
    span = _year_range(first_year, years)
    force_name = FORCES[force]
    lpus = starter_lpus(force)
    districts = force_districts(force)
    detected = default_plan().detected_outcomes
    out: list[str] = [
        f"# Starter performance plan for {force_name},",
        f"# written by `paragon plan init --force {force}`.",
        "#",
        "# Everything below can be answered from public police.uk data alone. Edit it to make it",
        "# the force's own plan, then check it with `paragon plan validate FILE` and use it with",
        "# `--plan FILE` on any command (or PARAGON_PLAN=FILE).",
        "#",
        "# What to edit:",
        "#   title, authority, vision, priorities  - the plan's own words (left empty here);",
        "#   lpus        - one LPU per local authority district; to merge districts give one LPU",
        "#                 local_authorities: [A, B]; ids are used in URLs, names are shown;",
        "#   measures    - delete what the force does not monitor; add force-data selections",
        "#                 (offence_codes, flags) if you also load the force's own crime records;",
        "#   milestones  - every row starts as `benchmark` (no target). To set a target, change",
        "#                 the rule to {type: value, value: N} or",
        "#                 {type: change, pct: -5, against: 2016-17}, and give `value` and the",
        "#                 `published` wording. Paragon never invents a target.",
        "#",
        "# Not a measure here: stop and search (force-wide only: `paragon stop-search` and the",
        "# analyst page). Neighbourhoods are the MSOAs of each LSOA.",
        "",
        f"id: {_slug(force)}-starter",
        f"title: {_q(force_name + ' performance plan (starter)')}",
        f"force: {force}",
        f"force_name: {_q(force_name)}",
        'authority: ""  # e.g. the Police and Crime Commissioner',
        'vision: ""',
        f"first_year: {span[0]}",
        f"last_year: {span[-1]}",
        f"current_year: {span[0]}",
        "",
        "priorities: []  # e.g. - {id: reduce-burglary, title: Reduce burglary}",
        "control_plans: []",
        "strategic_assessment: {headline_themes: [], specific_priority_areas: [], "
        "consultation_themes: []}",
        "",
        f"# {len(districts)} local authority districts: "
        + ", ".join(name for _, name in districts),
        "# Every LSOA of the force is in exactly one LPU. To split a district between LPUs, give",
        "# each part a documented split rule, as the West Midlands 2011-15 plan does for",
        "# Birmingham (docs/methods.md, Areas):",
        "#   - {id: birmingham-north, name: Birmingham North, local_authority: Birmingham,",
        "#      split: {rule: birmingham-2011, part: north}}",
        "lpus:",
    ]
    for lpu in lpus:
        split = (f", split: {{rule: {lpu.split.rule}, part: {lpu.split.part}}}"
                 if lpu.split else "")
        out.append(f"  - {{id: {lpu.id}, name: {_q(lpu.name)}, "
                   f"local_authority: {_q(lpu.local_authority)}{split}}}")
    out += [
        "",
        "# Outcome types that count as a crime solved and resolved (a detection).",
        "detected_outcomes: [" + ", ".join(detected) + "]",
        "surveys: []",
        "footnotes: []",
        "tables:",
        "  - {id: reducing_crime, title: Recorded crime}",
        "  - {id: detections, title: Crimes solved and resolved}",
        "",
        "# Count measures select police.uk categories; detection rates need police.uk outcomes",
        "# files (paragon ingest ...-outcomes.csv), and their recent months are incomplete.",
        "measures:",
        "  - {id: total-crime, title: Total recorded crime, kind: count, better: lower, "
        "select: {all: true}}",
    ]
    measures = [("total-crime", "Total recorded crime", "reducing_crime")]
    for category in _categories():
        mid = _slug(category)
        note = "  # published 2011-09 to 2013-04 only" if category in ONLY_2011_13 else ""
        out.append(f"  - {{id: {mid}, title: {_q(category)}, kind: count, better: lower, "
                   f"select: {{policeuk_categories: [{_q(category)}]}}}}{note}")
        measures.append((mid, category, "reducing_crime"))
    out.append(f"  - {{id: anti-social-behaviour, title: Anti-social behaviour incidents, "
               f"kind: count, better: lower, select: {{policeuk_categories: [{_q(ASB)}]}}}}")
    measures.append(("anti-social-behaviour", "Anti-social behaviour incidents", "reducing_crime"))
    out.append("  - {id: total-crime-detections, title: All crime solved and resolved, "
               "kind: detection_rate, better: higher, of: total-crime}")
    measures.append(("total-crime-detections", "All crime solved and resolved", "detections"))
    for category in DETECTION_CATEGORIES:
        mid = _slug(category)
        out.append(f"  - {{id: {mid}-detections, title: {_q(category + ' solved and resolved')}, "
                   f"kind: detection_rate, better: higher, of: {mid}}}")
        measures.append((f"{mid}-detections", f"{category} solved and resolved", "detections"))
    out += ["", "# One row per measure; each year's milestone is left for the force to set.",
            "milestones:"]
    for mid, title, table in measures:
        out.append(f"  - table: {table}")
        out.append(f"    title: {_q(title)}")
        out.append(f"    measure: {mid}")
        out.append("    years:")
        for year in span:
            out.append(f"      {year}: {{milestone: {{published: \"No target set\", "
                       "rule: {type: benchmark}}}")
    text = "\n".join(out) + "\n"
    parse_plan(text, f"starter plan for {force}")  # it must validate
    return text
