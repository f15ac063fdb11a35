"""The plan as data: schema, loader and the default West Midlands 2011-15 plan."""

from paragon.plan.loader import default_plan, load_plan, parse_plan
from paragon.plan.schema import Measure, MilestoneRow, Plan

__all__ = ["Measure", "MilestoneRow", "Plan", "default_plan", "load_plan", "parse_plan"]
