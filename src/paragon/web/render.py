"""Every page is data first: a dict that is the JSON twin, and an HTML view of that same dict.

``page(request, name, data)`` answers JSON when the request asks for it (``?format=json`` or an
``Accept`` header preferring ``application/json``), CSV of one of the page's tables with
``?format=csv&table=KEY``, and otherwise renders ``templates/NAME.html`` with ``page`` = the dict.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from paragon.csv_safe import safe_cell
from paragon.errors import NotFoundError
from paragon.web import formatting

TEMPLATES_DIR = Path(str(resources.files("paragon.web").joinpath("templates")))
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
formatting.install(templates.env)


def _sparkline(chart: dict[str, Any], width: int = 150, height: int = 36) -> str:
    """The charts module's sparkline, imported (with the statistics) when one is first drawn."""
    from paragon.web.data.charts import sparkline_svg

    return sparkline_svg(chart, width, height)


templates.env.globals["sparkline"] = _sparkline


def wants_json(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt == "json"
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv"


def jsonable(value: Any) -> Any:
    """Plain JSON values: dates as ISO text, non-finite floats as null, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        names = list(rows[0].keys())
        writer = csv.writer(buf)
        writer.writerow(names)
        for row in rows:
            writer.writerow([_csv_cell(row.get(n)) for n in names])
    return buf.getvalue()


def _csv_cell(value: Any) -> Any:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return str(value)
    return safe_cell(value)  # never a formula when opened in a spreadsheet


def csv_response(rows: list[dict[str, Any]], filename: str) -> Response:
    return Response(
        csv_text(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def table_rows(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The named table of a page: a list of row dicts, possibly nested one level (``a.b``)."""
    node: Any = data
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, list) or not all(isinstance(r, dict) for r in node):
        tables = ", ".join(data.get("tables", [])) or "none"
        raise NotFoundError(f"this page has no table '{key[:40]}' (tables: {tables})")
    return node


def page(request: Request, name: str, data: dict[str, Any], *, status: int = 200) -> Response:
    """The page as JSON, CSV of one table, or HTML: all from the same ``data``."""
    body = {"ok": True, "page": name, **jsonable(data)}
    if wants_json(request):
        return JSONResponse(body, status_code=status)
    if wants_csv(request):
        key = request.query_params.get("table") or ""
        rows = table_rows(body, key)
        _after_export(request, name, key, len(rows))
        return csv_response(rows, f"{name}-{key.replace('.', '-')}.csv")
    return html(request, f"{name}.html", {"page": body}, status=status)


def html(request: Request, template: str, context: dict[str, Any], *,
         status: int = 200) -> Response:
    from paragon.web.security import template_context

    return templates.TemplateResponse(
        request, template, {**template_context(request), **context}, status_code=status
    )


def render_error(request: Request, message: str, status: int) -> Response:
    try:
        return html(request, "error.html", {"message": message, "status": status}, status=status)
    except Exception:  # the error page itself must never fail
        return HTMLResponse(f"<h1>Error {status}</h1>", status_code=status)


def _after_export(request: Request, name: str, table: str, rows: int) -> None:
    from paragon.web.security import audit, current_user

    user = current_user(request)
    if user is not None:
        audit(request, "export", f"{name}:{table}", f"{rows} rows as CSV")
