"""data.police.uk: street (current and 2011 schemas), outcomes and stop-and-search files, single,
in folders or in the monthly zip archives, and ``paragon fetch`` (docs/ingest.md)."""

from __future__ import annotations

from paragon.ingest.engine import Format
from paragon.ingest.policeuk.outcomes import outcomes_format
from paragon.ingest.policeuk.stop_search import stop_search_format
from paragon.ingest.policeuk.street import street_2011_format, street_format


def policeuk_formats() -> dict[str, Format]:
    """The police.uk formats by kind."""
    return {
        "street": street_format(),
        "street-2011": street_2011_format(),
        "outcomes": outcomes_format(),
        "stop-search": stop_search_format(),
    }
