"""LPU boundaries for a starter plan's districts (geography.shapes)."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import shape

from paragon.geography.lpus import plan_lsoas
from paragon.geography.shapes import plan_lpu_shapes
from paragon.plan import default_plan, parse_plan
from paragon.plan.init import starter_plan_text


def test_greater_manchester_lpus_hold_their_lsoa_centroids() -> None:
    plan = parse_plan(starter_plan_text("greater-manchester", "2016-17"), "gm")
    shapes = plan_lpu_shapes(plan)
    assert shapes is not None
    features = {f["id"]: f for f in shapes["features"]}
    assert list(features) == [lpu.id for lpu in plan.lpus]
    polygons = {k: shape(f["geometry"]) for k, f in features.items()}
    inside = []
    for lsoa in plan_lsoas(plan):
        point = shapely.Point(lsoa.longitude, lsoa.latitude)
        inside.append(polygons[lsoa.lpu_id].contains(point))
    assert np.mean(inside) > 0.99  # boundaries generalised at 25 m
    for f in features.values():
        props = f["properties"]
        assert polygons[f["id"]].contains(shapely.Point(props["label_lon"], props["label_lat"]))
        assert props["kind"] == "lpu" and props["name"]


def test_merged_districts_make_one_lpu() -> None:
    text = starter_plan_text("city-of-london", "2016-17")
    plan = parse_plan(text, "col")
    shapes = plan_lpu_shapes(plan)
    assert shapes is not None and len(shapes["features"]) == 1
    met = parse_plan(starter_plan_text("metropolitan", "2016-17"), "met")
    merged = met.model_copy(update={"lpus": [
        met.lpus[0].model_copy(update={"local_authorities": [x.local_authority
                                                             for x in met.lpus[:2]]}),
        *met.lpus[2:]]})
    both = plan_lpu_shapes(merged)
    alone = plan_lpu_shapes(met)
    assert both is not None and alone is not None
    area = shape(both["features"][0]["geometry"]).area
    parts = sum(shape(f["geometry"]).area for f in alone["features"][:2])
    assert abs(area - parts) < 0.01 * parts


def test_no_boundary_for_split_or_welsh_districts() -> None:
    assert plan_lpu_shapes(default_plan()) is None  # Birmingham is split four ways
    assert plan_lpu_shapes(parse_plan(starter_plan_text("gwent", "2016-17"), "g")) is None
