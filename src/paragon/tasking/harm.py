"""Harm weights: a severity weight per police.uk category or Home Office offence code.

Every weight comes from a published table. Paragon ships the ONS Crime Severity Score offence
weights it can tie to Home Office offence codes, and police.uk category weights derived from them
(``ons_css_weights.csv`` next to this module; its comment lines give the source and how each
category weight was made). A different table can be given instead. A weights file is a CSV whose
comment lines (``#``) must include a ``# source:`` line naming the publication, with columns ``key``
(a police.uk category such as ``Burglary``, or a Home Office offence code such as ``28E``) and
``weight`` (a positive number). A crime takes the weight of its offence code when the file has
one, otherwise the weight of its category; a crime with neither is an error, never a silent 1.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from paragon.errors import ParagonError


@dataclass(frozen=True)
class HarmWeights:
    weights: dict[str, float]
    source: str
    path: str

    def _lookup(self, category: object, code: object) -> float | None:
        for key in (code, category):
            if key is not None and str(key).strip() in self.weights:
                return self.weights[str(key).strip()]
        return None

    def for_rows(self, categories: Sequence[object], codes: Sequence[object]) -> np.ndarray:
        out = np.empty(len(categories), dtype=float)
        missing: set[str] = set()
        for i, (cat, code) in enumerate(zip(categories, codes, strict=True)):
            w = self._lookup(cat, code)
            if w is None:
                missing.add(str(code if code is not None else cat))
                continue
            out[i] = w
        if missing:
            raise ParagonError(
                f"{self.path}: no harm weight for {', '.join(sorted(missing)[:8])}"
                + (" and others" if len(missing) > 8 else "") + ".")
        return out

    def for_categories(self, categories: Sequence[object]) -> np.ndarray:
        return self.for_rows(categories, [None] * len(categories))


BUNDLED = "ons_css_weights.csv"


def bundled_weights() -> HarmWeights:
    """The shipped ONS Crime Severity Score weights."""
    text = resources.files("paragon.tasking").joinpath(BUNDLED).read_text("utf-8")
    return parse_weights(text, f"paragon/tasking/{BUNDLED}")


def load_weights(path: Path | None) -> HarmWeights:
    """Read and check a weights file (see the module docstring for the format); ``None`` gives
    the shipped ONS weights."""
    if path is None:
        return bundled_weights()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParagonError(f"{path}: no such weights file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParagonError(f"{path}: cannot be read ({exc}).") from None
    return parse_weights(text, str(path))


def parse_weights(text: str, path: str) -> HarmWeights:
    """Check and read the text of a weights file; ``path`` names it in errors."""
    lines = text.splitlines()
    comments = [ln.lstrip("#").strip() for ln in lines if ln.startswith("#")]
    source = next((c.split(":", 1)[1].strip() for c in comments
                   if c.lower().startswith("source:")), "")
    if not source:
        raise ParagonError(f"{path}: a weights file must name its source in a '# source:' line.")
    body = [ln for ln in lines if not ln.startswith("#") and ln.strip()]
    reader = csv.DictReader(io.StringIO("\n".join(body)))
    if not reader.fieldnames or not {"key", "weight"} <= set(reader.fieldnames):
        raise ParagonError(f"{path}: needs 'key' and 'weight' columns.")
    weights: dict[str, float] = {}
    first = next((i for i, ln in enumerate(lines, start=1)
                  if not ln.startswith("#") and ln.strip()), 1)
    data_lines = [i for i, ln in enumerate(lines, start=1)
                  if not ln.startswith("#") and ln.strip()][1:]
    for lineno, row in zip(data_lines, reader, strict=False):
        key = (row.get("key") or "").strip()
        try:
            w = float(row.get("weight") or "")
        except ValueError:
            raise ParagonError(
                f"{path}, line {lineno}, column weight: '{row.get('weight')}' is not a number."
            ) from None
        if not key or not math.isfinite(w) or w <= 0:
            raise ParagonError(
                f"{path}, line {lineno}: need a key and a positive weight (a number above 0).")
        if key in weights:
            raise ParagonError(f"{path}, line {lineno}, column key: '{key}' is given twice.")
        weights[key] = w
    if not weights:
        raise ParagonError(f"{path}, line {first}: no weights.")
    return HarmWeights(weights, source, path)
