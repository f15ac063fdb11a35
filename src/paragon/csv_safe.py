"""Formula-safe CSV: a text cell that a spreadsheet would read as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``. Every CSV
Paragon writes (web pages, open-data files, the CLI) goes through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow loads for a table, not for a cell (a page's CSV, the CLI)
    import pyarrow as pa

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = "^[=+\\-@\\t\\r]"


def safe_cell(value: Any) -> Any:
    """``value``, with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_table(table: pa.Table) -> pa.Table:
    """The Arrow table with every text column made formula-safe (numbers are left as numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(i)
            risky = pc.match_substring_regex(column, _PATTERN)
            fixed = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
            table = table.set_column(i, field, fixed.cast(field.type))
    return table
