"""The synthetic demo: a deterministic West Midlands warehouse calibrated to the plan."""

from paragon.demo.build import DEMO_LABEL, build_demo, is_demo

__all__ = ["DEMO_LABEL", "build_demo", "is_demo"]
