"""Stop and search on the real police.uk files in tests/data/policeuk/stop-and-search: counts equal
those taken from the CSVs with the csv module, intervals equal statsmodels' Wilson interval, missing
months are gaps, and disproportionality equals a hand computation on a residents fixture."""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from paragon.cli import app
from paragon.errors import NotFoundError, ParagonError
from paragon.ingest.registry import ingest_paths
from paragon.measures import stop_search as ss
from paragon.plan import default_plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data"
FILES = DATA / "policeuk" / "stop-and-search"
RESIDENTS = DATA / "residents" / "fixture-durham-residents.csv"
FORCES = ("city-of-london", "derbyshire", "durham", "essex", "greater-manchester",
          "leicestershire", "merseyside", "south-yorkshire")


def rows_of(force: str) -> list[dict[str, str]]:
    out = []
    for path in sorted(FILES.glob(f"*-{force}-stop-and-search.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                row["_month"] = path.name[:7]
                out.append(row)
    return out


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stop-search") / "real.duckdb"
    with Warehouse.open(path) as wh:
        ingest_paths(wh, [FILES], default_plan())
    return path


@pytest.fixture
def wh(db: Path) -> Iterator[Warehouse]:
    with Warehouse.open(db, read_only=True) as w:
        yield w


def test_every_force_with_files_is_listed(wh: Warehouse) -> None:
    listed = {r["force"]: r for r in ss.forces(wh)}
    assert tuple(listed) == FORCES
    for force in FORCES:
        assert listed[force]["searches"] == len(rows_of(force))
    assert (listed["greater-manchester"]["first"], listed["greater-manchester"]["last"]) == (
        "2019-06", "2019-06")


@pytest.mark.parametrize("force", ["merseyside", "essex", "city-of-london"])
@pytest.mark.parametrize("by,column", [("legislation", "Legislation"),
                                       ("object", "Object of search"), ("outcome", "Outcome"),
                                       ("month", "_month")])
def test_counts_match_the_csv(wh: Warehouse, force: str, by: str, column: str) -> None:
    rows = rows_of(force)
    searches = Counter(r[column] or None for r in rows)
    arrests = Counter(r[column] or None for r in rows if r["Outcome"] == "Arrest")
    linked = Counter(r[column] or None for r in rows
                     if r["Outcome linked to object of search"].lower() == "true")
    blank = Counter(r[column] or None for r in rows
                    if r["Outcome linked to object of search"] == "")
    got = {r["key"]: r for r in ss.breakdown(wh, force, by)}
    assert {k: r["searches"] for k, r in got.items()} == dict(searches)
    for key, r in got.items():
        assert r["arrests"] == arrests[key]
        assert r["linked"] == linked[key]
        assert r["link_not_recorded"] == blank[key]


def test_shares_are_wilson_intervals(wh: Warehouse) -> None:
    rows = rows_of("merseyside")
    with_outcome = [r for r in rows if r["Outcome"]]
    arrests = sum(r["Outcome"] == "Arrest" for r in with_outcome)
    found = sum(r["Outcome linked to object of search"].lower() == "true" for r in rows)
    total = ss.totals(wh, "merseyside")
    assert (total["searches"], total["with_outcome"], total["arrests"], total["linked"]) == (
        len(rows), len(with_outcome), arrests, found)
    for (k, n), prefix in (((arrests, len(with_outcome)), "arrest"), ((found, len(rows)), "found")):
        lower, upper = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert total[f"{prefix}_pct"] == pytest.approx(100 * k / n, abs=0.005)
        assert total[f"{prefix}_lower"] == pytest.approx(100 * lower, abs=0.005)
        assert total[f"{prefix}_upper"] == pytest.approx(100 * upper, abs=0.005)


def test_ethnicity_groups_follow_the_census_group_of_self_defined_ethnicity(wh: Warehouse) -> None:
    def group(text: str) -> str | None:
        if not text or text == "Other ethnic group - Not stated":
            return None
        head = text.split(" - ")[0]
        return {"Asian/Asian British": "Asian", "Black/African/Caribbean/Black British": "Black",
                "Mixed/Multiple ethnic groups": "Mixed", "White": "White",
                "Other ethnic group": "Other"}[head]

    expected = Counter(group(r["Self-defined ethnicity"]) for r in rows_of("essex"))
    got = {r["key"]: r["searches"] for r in ss.breakdown(wh, "essex", "ethnicity")}
    assert got == dict(expected)


def test_a_month_without_a_file_is_a_gap_not_zero(tmp_path: Path) -> None:
    # Synthetic relabelling, for the gap only: the real 2019-12 City of London file with its dates
    # moved to May 2020 and named for that month, so March and April 2020 are missing.
    folder = tmp_path / "files"
    folder.mkdir()
    for path in FILES.glob("*-city-of-london-stop-and-search.csv"):
        shutil.copy(path, folder / path.name)
    text = (FILES / "2019-12-city-of-london-stop-and-search.csv").read_text(encoding="utf-8")
    (folder / "2020-05-city-of-london-stop-and-search.csv").write_text(
        text.replace(",2019-12-", ",2020-05-"), encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [folder], default_plan())
        months = ss.breakdown(wh, "city-of-london", "month")
        total = ss.totals(wh, "city-of-london")
    assert [m["key"] for m in months] == ["2019-12", "2020-01", "2020-02", "2020-03", "2020-04",
                                          "2020-05"]
    for gap in months[3:5]:
        assert gap["searches"] is None and gap["missing"] is True and gap["found_pct"] is None
    assert months[5]["searches"] == months[0]["searches"] == len(
        [r for r in rows_of("city-of-london") if r["_month"] == "2019-12"])
    assert (total["months_loaded"], total["months_in_span"]) == (4, 6)


def test_force_choice(wh: Warehouse) -> None:
    assert ss.choose_force(wh, "durham", "west-midlands") == ("durham", None)
    force, note = ss.choose_force(wh, None, "west-midlands")
    assert force == "city-of-london" and note is not None and "west-midlands" in note
    assert ss.choose_force(wh, None, "essex") == ("essex", None)
    with pytest.raises(NotFoundError, match="loaded for: city-of-london, derbyshire"):
        ss.choose_force(wh, "west-midlands", "west-midlands")
    with pytest.raises(ParagonError, match="cannot break stop and search down by 'age'"):
        ss.breakdown(wh, "durham", "age")


def test_disproportionality_matches_a_hand_computation(wh: Warehouse) -> None:
    residents = ss.read_residents(RESIDENTS)
    assert len(residents) == 1 and residents[0].counts["White"] == 600000
    result = ss.disproportionality(wh, "durham", residents[0])
    groups = {g["ethnic_group"]: g for g in result["groups"]}
    rows = rows_of("durham")
    white = sum(r["Self-defined ethnicity"].startswith("White") for r in rows)
    black = sum(r["Self-defined ethnicity"].startswith("Black/") for r in rows)
    assert (groups["White"]["searches"], groups["Black"]["searches"]) == (white, black)
    # by hand: (black / 4,000) / (white / 600,000), over the 3 months loaded
    ratio = (black / 4000) / (white / 600000)
    assert groups["Black"]["ratio"] == pytest.approx(ratio, abs=0.0005)
    assert groups["Black"]["rate_per_1000_per_month"] == pytest.approx(
        black / 4000 * 1000 / 3, abs=0.00005)
    # exact interval: Clopper-Pearson on black / (black + white), turned into a rate ratio
    ci = binomtest(black, black + white).proportion_ci(confidence_level=0.95, method="exact")
    scale = 600000 / 4000
    assert groups["Black"]["ratio_lower"] == pytest.approx(
        ci.low / (1 - ci.low) * scale, abs=0.0005)
    assert groups["Black"]["ratio_upper"] == pytest.approx(
        ci.high / (1 - ci.high) * scale, abs=0.0005)
    assert "ratio" not in groups["White"]
    stated = white + black + sum(groups[g]["searches"] for g in ("Asian", "Mixed", "Other"))
    assert result["ethnicity_not_stated"] == len(rows) - stated
    assert math.isclose(groups["White"]["rate_per_1000_per_month"],
                        white / 600000 * 1000 / 3, abs_tol=0.00005)


@pytest.mark.parametrize("text,message", [
    ("force,area_code,area_name,ethnic_group\n", "lacks column(s) residents"),
    ("force,area_code,area_name,ethnic_group,residents\ndurham,,D,Purple,10\n",
     ":2: ethnic group 'Purple' is not one of"),
    ("force,area_code,area_name,ethnic_group,residents\ndurham,,D,White,ten\n",
     ":2: residents 'ten' is not a whole number"),
    ("force,area_code,area_name,ethnic_group,residents\ndurham,,D,White,10\ndurham,,D,White,11\n",
     ":3: White residents of durham (force area) are given twice"),
    ("force,area_code,area_name,ethnic_group,residents\n", "has no rows"),
])
def test_bad_residents_files_are_refused_with_the_line(tmp_path: Path, text: str,
                                                       message: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParagonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ss.read_residents(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_figures_and_errors(db: Path, tmp_path: Path) -> None:
    code, out, err = run("stop-search", "--db", str(db), "--force", "merseyside", "--by",
                         "legislation", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["force"] == "merseyside" and data["note"] is None
    counts = Counter(r["Legislation"] or None for r in rows_of("merseyside"))
    assert {r["key"]: r["searches"] for r in data["rows"]} == dict(counts)
    code, out, err = run("stop-search", "--db", str(db), "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("key,searches,")
    assert "west-midlands" in err  # the plan's force has none: says which force it shows instead
    code, out, err = run("stop-search", "--db", str(db), "--force", "kent")
    assert code == 1 and out == "" and "no stop-and-search data is loaded for force 'kent'" in err
    code, out, err = run("stop-search", "--db", str(db), "--by", "colour")
    assert code == 1 and "--by must be one of" in err
    # disproportionality from a residents file given on the command line
    code, out, err = run("stop-search", "--db", str(db), "--force", "durham", "--by", "ethnicity",
                         "--residents", str(RESIDENTS), "--format", "json")
    assert code == 0, err
    ratio = {g["ethnic_group"]: g for g in json.loads(out)["disproportionality"]["groups"]}
    assert ratio["Black"]["residents"] == 4000


def test_residents_load_then_stop_search_uses_them(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    code, out, err = run("residents", "load", str(RESIDENTS), "--db", str(copy), "--format",
                         "json")
    assert code == 0, err
    assert json.loads(out) == {"file": str(RESIDENTS), "rows": 5, "forces": ["durham"],
                               "areas": 1}
    code, out, err = run("stop-search", "--db", str(copy), "--force", "durham", "--by",
                         "ethnicity")
    assert code == 0, err
    assert "Searches per 1,000 residents" in out and "reference" in out
