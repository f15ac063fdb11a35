"""Which formats exist, how a file's kind is detected from its header, and ingesting many paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from paragon.errors import IngestError
from paragon.ingest.engine import Format, IngestReport, decode, ingest_file, iter_lines, read_header
from paragon.ingest.force_crimes import force_crimes_format
from paragon.ingest.surveys import survey_format
from paragon.plan.schema import Plan
from paragon.warehouse import Warehouse

KINDS = ("street", "outcomes", "stop-search", "force-crimes", "survey", "calls")


def formats(plan: Plan) -> dict[str, Format]:
    """Every format Paragon can ingest, by kind."""
    return {
        "force-crimes": force_crimes_format(plan.force),
        "survey": survey_format(plan),
    }


def sniff_header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    text, _ = decode(head, path.name)
    first = next(iter_lines(text), None)
    if first is None:
        raise IngestError(f"{path.name}: the file is empty")
    return read_header(path.name, first[1])


def detect_format(path: Path, plan: Plan) -> Format:
    header = sniff_header(path)
    for fmt in formats(plan).values():
        if fmt.detect is not None and fmt.detect(header):
            return fmt
    raise IngestError(
        f"{path.name}:1: cannot tell what kind of file this is from its header "
        f"({', '.join(header[:8])}); name it with --kind ({', '.join(KINDS)})"
    )


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the CSV files inside folders named, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.csv") if p.is_file()))
        elif path.exists():
            out.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return out


def ingest_paths(wh: Warehouse, paths: Iterable[Path], plan: Plan, *, kind: str | None = None,
                 on_file: Callable[[IngestReport], None] | None = None) -> list[IngestReport]:
    """Ingest every file; a file that cannot be read at all raises, naming it."""
    known = formats(plan)
    if kind is not None and kind not in known:
        raise IngestError(f"no ingest for kind '{kind}' yet (available: {', '.join(known)})")
    reports = []
    for path in expand(paths):
        fmt = known[kind] if kind else detect_format(path, plan)
        report = ingest_file(wh, path, fmt)
        if on_file:
            on_file(report)
        reports.append(report)
    return reports
