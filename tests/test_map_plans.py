"""The web map follows the plan served: under a Greater Manchester starter plan `paragon serve
--plan` (a real uvicorn in its own process) draws GM's ten districts, never the West Midlands
shapes; under a plan whose boundaries cannot be built (Gwent: no Welsh district polygons are
bundled) the pages say so and the shape routes answer 404 with the reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from shapely.geometry import shape

from paragon.geography.lpus import plan_lsoas
from paragon.plan import load_plan
from test_plan_init_gm import gm, invoke, served, serving  # noqa: F401  (fixtures)

SECRET = "m" * 40


def test_gm_map_draws_the_ten_districts(served: httpx.Client,  # noqa: F811
                                        gm: tuple[Path, Path]) -> None:  # noqa: F811
    plan = load_plan(gm[0])
    response = served.get("/map/lpus.geojson")
    assert response.status_code == 200, response.text
    features = response.json()["features"]
    assert sorted(f["properties"]["id"] for f in features) == sorted(x.id for x in plan.lpus)
    assert len(features) == 10
    polygons = {f["properties"]["id"]: shape(f["geometry"]) for f in features}
    lsoas = plan_lsoas(plan)
    inside = sum(polygons[x.lpu_id].contains(shapely.Point(x.longitude, x.latitude))
                 for x in lsoas)
    assert inside > 0.99 * len(lsoas)
    everything = shapely.union_all(list(polygons.values()))
    assert not everything.contains(shapely.Point(-1.8904, 52.4862))  # Birmingham city centre
    assert everything.contains(shapely.Point(-2.2446, 53.4808))  # Manchester city centre
    assert sum(f["properties"]["crimes"] for f in features) > 0
    page = served.get("/areas")
    assert page.status_code == 200
    assert 'data-lpus="/map/lpus.geojson"' in page.text and "map-note" not in page.text


def test_gm_lpu_page_says_neighbourhood_shapes_are_missing(
        served: httpx.Client, gm: tuple[Path, Path]) -> None:  # noqa: F811
    plan = load_plan(gm[0])
    lpu = plan.lpus[0]
    page = served.get(f"/areas/lpu/{lpu.id}")
    assert page.status_code == 200
    assert 'data-lpus="/map/lpus.geojson"' in page.text
    assert "data-neighbourhoods" not in page.text
    assert "Neighbourhood boundaries are not held for this plan" in page.text
    hoods = served.get("/map/neighbourhoods.geojson", params={"lpu": lpu.id})
    assert hoods.status_code == 404


@pytest.fixture(scope="module")
def gwent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`paragon serve --plan` with Gwent's starter plan on an empty warehouse."""
    folder = tmp_path_factory.mktemp("gwent")
    plan, db = folder / "plan.yaml", folder / "g.duckdb"
    invoke("plan", "init", "--force", "gwent", "--out", str(plan), "--first-year", "2016-17")
    env = {**os.environ, "PARAGON_SECRET_KEY": SECRET}
    env.pop("PARAGON_PLAN", None)
    with serving(plan, db, env, wait=120, poll=0.3) as base:
        yield base


def test_no_map_where_no_boundary_can_be_built(gwent: str) -> None:
    page = httpx.get(gwent + "/areas", timeout=60)
    assert page.status_code == 200, page.text
    assert 'id="map"' not in page.text
    assert "No map can be drawn for Gwent" in page.text
    shapes = httpx.get(gwent + "/map/lpus.geojson", timeout=60,
                       headers={"Accept": "application/json"})
    assert shapes.status_code == 404
    body: dict[str, Any] = shapes.json()
    assert "No boundary is held" in str(body), body
