"""The synthetic demo: a deterministic West Midlands warehouse calibrated to the plan.

``is_demo`` is all the web needs (every page shows whether it serves the demo): it is defined
here, and the builder (numpy, scipy, the ingest) is imported only when ``build_demo`` is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paragon.demo.build import DEMO_LABEL, build_demo
    from paragon.warehouse import Warehouse

__all__ = ["DEMO_LABEL", "build_demo", "is_demo"]


def is_demo(wh: Warehouse) -> bool:
    """True when the warehouse holds the synthetic demo."""
    return wh.scalar("SELECT value FROM meta WHERE key = 'demo'") == "true"


def __getattr__(name: str) -> Any:
    if name in ("DEMO_LABEL", "build_demo"):
        from paragon.demo import build

        return getattr(build, name)
    raise AttributeError(f"module 'paragon.demo' has no attribute {name!r}")
