"""The command line and the web server start without the heavy libraries.

`import paragon.cli` (what `paragon --help` and every command load first) and `paragon --help`
itself must not import scipy, statsmodels, pandas or pyproj; each command imports what it needs
when it runs. Building the web app must not import numpy, scipy, statsmodels, pandas, pyarrow,
pyproj, shapely, the statistics, the LPU geography, the demo builder or the tasking methods (each
page imports its figures' modules when first asked for). Answering the overview, the first page a
visitor sees, must not import pandas, scipy.stats or statsmodels either, nor pyarrow and pyproj
(its crime total selects the whole force, without the areas' geography); and when the figures
stored with the published version hold its figures, it imports neither numpy nor scipy: it
computes nothing. The names the options' help shows without importing their modules stay equal to
the modules' own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("scipy", "statsmodels", "pandas", "pyproj")
NOT_AT_APP_START = ("numpy", "scipy", "statsmodels", "pandas", "pyarrow", "pyproj", "shapely",
                    "paragon.stats", "paragon.geography.lpus", "paragon.measures.milestones",
                    "paragon.demo.build", "paragon.tasking.methods", "paragon.web.data.tasking")
NOT_FOR_THE_OVERVIEW = ("scipy.stats", "statsmodels", "pandas", "pyarrow", "pyproj", "shapely",
                        "paragon.geography.lpus", "paragon.demo.build")
# what answering the overview from the figures stored with the published version needs none of
NOT_FROM_STORED_FIGURES = (*NOT_FOR_THE_OVERVIEW, "numpy", "scipy", "paragon.stats",
                           "paragon.measures.milestones", "paragon.measures.charts")
SECRET = "startup-imports-test-secret-0123456789"


def modules_after(statement: str, top_level: bool = True) -> set[str]:
    """The modules loaded after running ``statement`` in a fresh interpreter."""
    names = "{m.split('.')[0] for m in sys.modules}" if top_level else "set(sys.modules)"
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted({names})))"
    env = {**os.environ, "PARAGON_SECRET_KEY": SECRET, "PARAGON_WARM_AFTER_PUBLISH": "0"}
    env.pop("PARAGON_PLAN", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def loaded_after(statement: str) -> set[str]:
    return modules_after(statement)


HELP = """
from paragon.cli import app
sys.argv = ["paragon", "--help"]
try:
    app()
except SystemExit:
    pass
"""


def app_start(db: Path) -> str:
    return f"""
from pathlib import Path
from paragon.settings import Settings
from paragon.web.app import create_app
app = create_app(Settings(db=Path({str(db)!r})))
"""


def test_import_paragon_cli_loads_no_heavy_library() -> None:
    loaded = loaded_after("import paragon.cli")
    assert "paragon" in loaded and "typer" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_help_loads_no_heavy_library() -> None:
    loaded = loaded_after(HELP)
    assert "typer" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_check_sees_a_heavy_import() -> None:
    # the same check catches a module-level import of one of them
    assert "scipy" in loaded_after("import paragon.cli\nimport scipy.stats")
    assert "pandas" in loaded_after(HELP + "import paragon.geography.lpus, pyarrow\n"
                                    "pyarrow.array([1.0])")


def test_creating_the_web_app_loads_no_heavy_module(tmp_path: Path) -> None:
    loaded = modules_after(app_start(tmp_path / "w.duckdb"), top_level=False)
    assert "fastapi" in loaded and "paragon.web.routes.public" in loaded
    assert loaded.isdisjoint(NOT_AT_APP_START), sorted(loaded & set(NOT_AT_APP_START))
    # and the check sees one a route module would import at the top
    assert "paragon.web.data.tasking" in modules_after(
        app_start(tmp_path / "w.duckdb") + "import paragon.web.data.tasking", top_level=False)


@pytest.mark.ops_store  # the page opens the operational store (PostgreSQL runs too)
def test_the_overview_loads_no_heavy_module(tmp_path: Path) -> None:
    statement = app_start(tmp_path / "w.duckdb") + """
from fastapi.testclient import TestClient
with TestClient(app) as client:
    page = client.get("/")
    assert page.status_code == 200, page.text
    assert "West Midlands" in page.text
"""
    loaded = modules_after(statement, top_level=False)
    # the page computed its figures (the warehouse has no geography table: the areas would be
    # read from the bundled LSOA table with pyarrow and pyproj)
    assert "paragon.measures.milestones" in loaded
    assert loaded.isdisjoint(NOT_FOR_THE_OVERVIEW), sorted(loaded & set(NOT_FOR_THE_OVERVIEW))


@pytest.mark.ops_store  # the page opens the operational store (PostgreSQL runs too)
def test_the_overview_from_stored_figures_loads_no_statistics(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    from paragon.settings import Settings
    from paragon.web import figures
    from paragon.web.fixtures import sample_with_users

    db = sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "stored.duckdb", {},
                           "unused password")
    stored = figures.warm(Settings(db=db, secret_key=SECRET))  # as a publish stores them
    assert stored.entries
    statement = app_start(db) + """
from fastapi.testclient import TestClient
with TestClient(app) as client:
    page = client.get("/")
    assert page.status_code == 200, page.text
    assert "Recorded crime, " in page.text  # the force's crime total, from the stored figures
assert app.state.ctx.cache.computed == 0, app.state.ctx.cache.computed
"""
    loaded = modules_after(statement, top_level=False)
    assert "paragon.web.figures" in loaded  # the stored figures were read
    unwanted = set(NOT_FROM_STORED_FIGURES)
    assert loaded.isdisjoint(unwanted), sorted(loaded & unwanted)


def test_help_names_match_their_modules() -> None:
    from paragon.cli_policeuk import REFERENCE_GROUP
    from paragon.cli_tasking import METHOD_NAMES
    from paragon.measures.stop_search import REFERENCE_GROUP as SS_REFERENCE
    from paragon.tasking.methods import METHODS

    assert tuple(METHODS) == METHOD_NAMES
    assert REFERENCE_GROUP == SS_REFERENCE


def test_milestones_module_loads_no_geography_library() -> None:
    # `paragon milestones` force-wide needs neither pyarrow nor pyproj (an LPU's areas do)
    loaded = modules_after("import paragon.measures.milestones", top_level=False)
    unwanted = {"scipy.stats", "pandas", "pyarrow", "pyproj", "paragon.geography.lpus"}
    assert "paragon.measures.engine" in loaded
    assert loaded.isdisjoint(unwanted), sorted(loaded & unwanted)


def test_warming_imports_the_figures_only_after_the_first_answer(tmp_path: Path) -> None:
    # a server just started: the warm-up waits for the first answer before importing the
    # figures' modules (numpy and scipy among them), so they do not compete with that answer
    statement = app_start(tmp_path / "w.duckdb") + """
import threading
from paragon.web.app import warm
stop, answered = threading.Event(), threading.Event()
stop.set()  # shut down before the first answer
warm(app.state.ctx, stop, answered)
"""
    loaded = modules_after(statement, top_level=False)
    unwanted = {"paragon.web.data.analysis", "paragon.stats", "numpy", "scipy"}
    assert "paragon.web.app" in loaded
    assert loaded.isdisjoint(unwanted), sorted(loaded & unwanted)
