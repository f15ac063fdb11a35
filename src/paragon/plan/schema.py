"""The plan schema: what a strategic policing plan holds, as pydantic models.

A plan is priorities, control plans, LPUs, measures and milestone rows. Each milestone row keeps the
text exactly as the plan printed it (``published``) beside the number and the rule behind it, so a
reader can reconcile Paragon's figures with the plan line by line.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

YEAR_PATTERN = r"^\d{4}-\d{2}$"
Year = Annotated[str, Field(pattern=YEAR_PATTERN, description="Financial year, e.g. 2010-11")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
TableId = Literal["trust_confidence", "service_standards", "reducing_crime", "detections"]
Better = Literal["higher", "lower", "neutral"]
ASB_CATEGORY = "Anti-social behaviour"  # police.uk's ASB incidents: counted, never detected


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Priority(Strict):
    id: Slug
    title: str
    aims: list[str] = []


class ControlPlan(Strict):
    id: Slug
    title: str


class StrategicAssessment(Strict):
    headline_themes: list[str]
    specific_priority_areas: list[str]
    consultation_themes: list[str]


class LpuSplit(Strict):
    """Part of a local authority district split between several LPUs by a documented rule.
    ``birmingham-2011``: Birmingham's four 2011 LPUs approximated from LSOA centroids
    (paragon.geography.lpus.birmingham_part, docs/methods.md)."""

    rule: Literal["birmingham-2011"]
    part: Literal["north", "east", "south", "west-central"]


class Lpu(Strict):
    """A Local Policing Unit: one or more whole local authority districts (names or codes, as in
    the bundled geography), or part of one district by a documented ``split`` rule."""

    id: Slug
    name: str
    local_authority: str
    local_authorities: list[str] = Field(
        default=[], description="The districts it covers; empty means just local_authority"
    )
    split: LpuSplit | None = None

    def districts(self) -> list[str]:
        return self.local_authorities or [self.local_authority]


class Survey(Strict):
    id: Slug
    title: str
    description: str = ""
    design_effect: float = Field(
        1.0, ge=1.0, description="Variance inflation from weighting/clustering"
    )


class Footnote(Strict):
    id: str
    text: str


class Table(Strict):
    id: TableId
    title: str


class CrimeSelect(Strict):
    """Which recorded crimes a count measure counts. A crime counts if it matches any selector."""

    all: bool = False
    offence_codes: list[str] = []
    offence_subgroups: list[str] = []
    offence_groups: list[str] = []
    flags: list[Literal["hate", "business", "domestic"]] = []
    policeuk_categories: list[str] = Field(
        default=[], description="Used when only police.uk data (no offence codes) is available"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> CrimeSelect:
        if not (
            self.all
            or self.offence_codes
            or self.offence_subgroups
            or self.offence_groups
            or self.flags
            or self.policeuk_categories
        ):
            raise ValueError(
                "select must name at least one offence code, subgroup, group, flag or police.uk "
                "category, or say all: true"
            )
        if ASB_CATEGORY in self.policeuk_categories and (
            len(self.policeuk_categories) > 1 or self.all
        ):
            raise ValueError(
                f"'{ASB_CATEGORY}' counts police.uk ASB incidents, which are not crimes: give it "
                "a measure of its own"
            )
        return self


class Break(Strict):
    """A change in recording practice (a new crime recording standard, a new IT system): control
    charts start a new segment, with its own centre line and limits, at this month."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="First month, YYYY-MM")
    reason: str = Field(min_length=1)


class Measure(Strict):
    id: Slug
    title: str
    kind: Literal["count", "detection_rate", "survey_proportion"]
    better: Better
    priority: Slug | None = None
    control_plan: Slug | None = None
    select: CrimeSelect | None = None
    of: Slug | None = Field(None, description="For a detection rate: the count measure it divides")
    survey: Slug | None = None
    question: str | None = None
    victim_type: Literal["crime", "asb"] | None = None
    positive_answers: list[str] = []
    breaks: list[Break] = Field(default=[], description="Recording-practice breaks of this measure")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Measure:
        needs = {
            "count": ["select"],
            "detection_rate": ["of"],
            "survey_proportion": ["survey", "question", "positive_answers"],
        }[self.kind]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.kind} measure needs {', '.join(missing)}")
        return self


class Rule(Strict):
    """How a milestone was set: a value, a % change against a year or the baseline, a benchmark
    (no target: establish a baseline), or not available (the measure is new)."""

    type: Literal["value", "change", "benchmark", "not_available"]
    value: float | None = None
    pct: float | None = None
    against: str | None = Field(None, description="'baseline' or a financial year such as 2010-11")

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        if self.type == "value" and self.value is None:
            raise ValueError("a value rule needs value")
        if self.type == "change":
            if self.pct is None or self.against is None:
                raise ValueError("a change rule needs pct and against")
            if self.against != "baseline" and not re.match(YEAR_PATTERN, self.against):
                raise ValueError("against must be 'baseline' or a year like 2010-11")
        return self


class Milestone(Strict):
    published: str
    value: float | None = None
    count: int | None = Field(
        None, description="For detections: the number printed beside the rate"
    )
    rule: Rule

    @model_validator(mode="after")
    def _value_when_set(self) -> Milestone:
        if self.rule.type in ("value", "change") and self.value is None:
            raise ValueError(
                f"milestone '{self.published}' has a {self.rule.type} rule but no value"
            )
        return self


class Performance(Strict):
    published: str
    value: float
    count: int | None = None
    change_pct: float | None = None


class YearEntry(Strict):
    milestone: Milestone | None = None
    performance: Performance | None = None
    lpus: dict[Slug, Milestone] = Field(
        default={}, description="Milestones the plan sets for individual LPUs, by LPU id"
    )


class Baseline(Strict):
    year: Year
    published: str
    value: float


class MilestoneRow(Strict):
    table: TableId
    title: str = Field(description="The row label exactly as printed in the plan")
    measure: Slug
    footnotes: list[str] = []
    baseline: Baseline | None = None
    years: dict[Year, YearEntry]


class Plan(Strict):
    id: Slug
    title: str
    force: Slug
    force_name: str
    authority: str
    vision: str
    first_year: Year
    last_year: Year
    current_year: Year
    priorities: list[Priority]
    control_plans: list[ControlPlan]
    strategic_assessment: StrategicAssessment
    lpus: list[Lpu]
    detected_outcomes: list[str]
    surveys: list[Survey]
    footnotes: list[Footnote]
    tables: list[Table]
    measures: list[Measure]
    milestones: list[MilestoneRow]
    breaks: list[Break] = Field(default=[], description="Breaks that apply to every measure")

    @field_validator("priorities", "control_plans", "lpus", "surveys", "measures")
    @classmethod
    def _unique_ids(cls, items: list[BaseModel]) -> list[BaseModel]:
        seen: set[str] = set()
        for item in items:
            ident = item.id  # type: ignore[attr-defined]
            if ident in seen:
                raise ValueError(f"id '{ident}' is used twice")
            seen.add(ident)
        return items

    @model_validator(mode="after")
    def _references_resolve(self) -> Plan:
        measures = {m.id: m for m in self.measures}
        priorities = {p.id for p in self.priorities}
        surveys = {s.id for s in self.surveys}
        plans = {c.id for c in self.control_plans}
        footnotes = {f.id for f in self.footnotes}
        for m in self.measures:
            if m.priority and m.priority not in priorities:
                raise ValueError(f"measure '{m.id}' names unknown priority '{m.priority}'")
            if m.survey and m.survey not in surveys:
                raise ValueError(f"measure '{m.id}' names unknown survey '{m.survey}'")
            if m.control_plan and m.control_plan not in plans:
                raise ValueError(f"measure '{m.id}' names unknown control plan '{m.control_plan}'")
            if m.of and (m.of not in measures or measures[m.of].kind != "count"):
                raise ValueError(f"measure '{m.id}' divides '{m.of}', which is not a count measure")
            of_select = measures[m.of].select if m.of else None
            if of_select is not None and ASB_CATEGORY in of_select.policeuk_categories:
                raise ValueError(
                    f"measure '{m.id}' divides '{m.of}': ASB incidents have no outcomes to detect"
                )
        claimed: dict[str, list[Lpu]] = {}
        for lpu in self.lpus:
            for district in lpu.districts():
                claimed.setdefault(district.lower(), []).append(lpu)
        for district, lpus in claimed.items():
            if len(lpus) > 1 and not all(x.split for x in lpus):
                ids = ", ".join(x.id for x in lpus)
                raise ValueError(
                    f"local authority '{district}' is in several LPUs ({ids}); give each a split"
                )
        for row in self.milestones:
            if row.measure not in measures:
                raise ValueError(
                    f"milestone row '{row.title}' names unknown measure '{row.measure}'"
                )
            unknown = set(row.footnotes) - footnotes
            if unknown:
                raise ValueError(
                    f"milestone row '{row.title}' cites unknown footnote {sorted(unknown)}"
                )
        return self

    # --- lookups -------------------------------------------------------------------------------
    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        from paragon.errors import NotFoundError

        known = ", ".join(m.id for m in self.measures)
        raise NotFoundError(f"no measure '{measure_id}' in the plan (known: {known})")

    def breaks_of(self, measure_id: str) -> list[Break]:
        """The plan-wide breaks and the measure's own, in month order."""
        return sorted([*self.breaks, *self.measure(measure_id).breaks], key=lambda b: b.month)

    def lpu(self, lpu_id: str) -> Lpu:
        for lpu in self.lpus:
            if lpu.id == lpu_id:
                return lpu
        from paragon.errors import NotFoundError

        raise NotFoundError(
            f"no LPU '{lpu_id}' in the plan (known: {', '.join(x.id for x in self.lpus)})"
        )

    def survey(self, survey_id: str) -> Survey:
        return next(s for s in self.surveys if s.id == survey_id)

    def years(self) -> list[str]:
        """Every financial year the plan's milestone tables mention, in order."""
        found = {y for row in self.milestones for y in row.years}
        found |= {row.baseline.year for row in self.milestones if row.baseline}
        return sorted(found)
