"""Load and validate a plan file, reporting errors with the file, line and reason."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from paragon.errors import PlanError
from paragon.plan.schema import Plan

DEFAULT_PLAN_NAME = "default_plan.yaml"


def _node_at(node: yaml.Node, loc: tuple[int | str, ...]) -> yaml.Node:
    """Follow a pydantic error location through the YAML node tree, as far as it goes."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            node = match
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            break
    return node


def _format_errors(exc: ValidationError, root: yaml.Node, source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        node = _node_at(root, loc)
        where = ".".join(str(p) for p in loc) or "(top level)"
        reason = err["msg"].removeprefix("Value error, ")
        lines.append(
            f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: {where}: {reason}"
        )
    return "\n".join(lines)


def parse_plan(text: str, source: str) -> Plan:
    """Parse and validate plan YAML text; ``source`` names it in error messages."""
    # parsed once, by libyaml when it is there: the nodes keep each value's line and column
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        data: Any = None if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanError(f"{where}: not valid YAML: {problem}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict) or root is None:
        raise PlanError(f"{source}:1:1: a plan must be a YAML mapping (id, title, measures, ...)")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_format_errors(exc, root, source)) from exc


def load_plan(path: Path | str | None = None) -> Plan:
    """Load the plan at ``path``, or the default West Midlands 2011-15 plan."""
    if path is None:
        return default_plan()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlanError(f"{path}: no such plan file") from exc
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    return parse_plan(text, str(path))


def default_plan_text() -> str:
    return resources.files("paragon.plan").joinpath(DEFAULT_PLAN_NAME).read_text("utf-8")


@lru_cache(maxsize=1)
def default_plan() -> Plan:
    return parse_plan(default_plan_text(), DEFAULT_PLAN_NAME)
