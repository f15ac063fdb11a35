"""paragon.measures.stop_search value by value, on a small warehouse of police.uk stop-and-search
files written here (every expected number counted by hand from the rows below) and on residents
files written here: the totals and their shares, the months loaded and missing, the force chosen
and the messages of refusals, reading and storing residents, and the rates per 1,000 residents and
disproportionality ratios against an independent reference (scipy's chi-squared and binomial
distributions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scipy.stats import binomtest, chi2
from statsmodels.stats.proportion import proportion_confint

from paragon.errors import NotFoundError, ParagonError
from paragon.ingest.registry import ingest_paths
from paragon.measures import stop_search as ss
from paragon.plan import default_plan
from paragon.warehouse import Warehouse

HEAD = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
        "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
        "Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n")
WHITE = "White - English/Welsh/Scottish/Northern Irish/British"
BLACK = "Black/African/Caribbean/Black British - African"
ASIAN = "Asian/Asian British - Indian"
HERE, NOWHERE = "54.776,-1.575", ","  # a point in Durham; no location given
NFA = "A no further action disposal"


def _search(day: str, where: str, ethnicity: str, outcome: str, linked: str) -> str:
    return (f"Person search,{day}T10:00:00+00:00,,,{where},Male,18-24,{ethnicity},,"
            f"Misuse of Drugs Act 1971 (section 23),Controlled drugs,{outcome},{linked},False\n")


# Durham: January and March 2020 loaded, February missing. Every search has an ethnicity stated:
# White 4, Black 3, Asian 1, Mixed 0, Other 0. 7 have an outcome, 2 of them arrests; 3 are linked
# to the object of search, 2 have the link blank; 2 have no location.
DURHAM = {
    "2020-01": [
        _search("2020-01-03", HERE, WHITE, "Arrest", "True"),
        _search("2020-01-04", HERE, WHITE, NFA, ""),
        _search("2020-01-05", NOWHERE, BLACK, "Arrest", "True"),
        _search("2020-01-06", HERE, BLACK, "Community resolution", "False"),
    ],
    "2020-03": [
        _search("2020-03-03", HERE, WHITE, NFA, "False"),
        _search("2020-03-04", NOWHERE, WHITE, "", ""),
        _search("2020-03-05", HERE, BLACK, NFA, "True"),
        _search("2020-03-06", HERE, ASIAN, "Summons / charged by post", "False"),
    ],
}
ESSEX = {"2020-01": [_search("2020-01-10", "51.73,0.47", WHITE, "Arrest", "True")]}
PEOPLE = ss.Residents("durham", "", "Durham force area", {"White": 7000, "Black": 900,
                                                          "Asian": 600, "Mixed": 2000},
                      "hand-made numbers")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stop-search-mutants")
    folder = root / "files"
    folder.mkdir()
    for force, months in (("durham", DURHAM), ("essex", ESSEX)):
        for month, rows in months.items():
            (folder / f"{month}-{force}-stop-and-search.csv").write_text(
                HEAD + "".join(rows), encoding="utf-8")
    path = root / "w.duckdb"
    with Warehouse.open(path) as wh:
        ingest_paths(wh, [folder], default_plan())
    return path


@pytest.fixture
def small(db: Path) -> Iterator[Warehouse]:
    with Warehouse.open(db, read_only=True) as w:
        yield w


# --- totals, months and the force -----------------------------------------------------------


def test_totals_count_the_hand_made_rows(small: Warehouse) -> None:
    t = ss.totals(small, "durham")
    assert t["key"] == "all"
    assert (t["force"], t["first"], t["last"]) == ("durham", "2020-01", "2020-03")
    assert (t["months_loaded"], t["months_in_span"]) == (2, 3)
    assert (t["searches"], t["with_outcome"], t["arrests"]) == (8, 7, 2)
    assert (t["linked"], t["link_not_recorded"], t["no_location"]) == (3, 2, 2)
    # the shares are given to 2 decimal places: 2 of 7 is 28.57%, 3 of 8 is 37.5%
    assert t["arrest_pct"] == 28.57 and t["found_pct"] == 37.5
    for prefix, (k, n) in (("arrest", (2, 7)), ("found", (3, 8))):
        lower, upper = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert t[f"{prefix}_lower"] == round(100 * lower, 2)
        assert t[f"{prefix}_upper"] == round(100 * upper, 2)


def test_share_of_nothing_is_unknown() -> None:
    assert ss.share(0, 0) == {"pct": None, "lower": None, "upper": None}
    assert ss.share(1, 3)["pct"] == 33.33


def test_months_by_default_with_the_missing_month_as_a_gap_in_every_column(
        small: Warehouse) -> None:
    months = ss.breakdown(small, "durham")
    assert [m["key"] for m in months] == ["2020-01", "2020-02", "2020-03"]
    assert [m["searches"] for m in months] == [4, None, 4]
    jan, gap, mar = months
    assert (jan["arrests"], jan["linked"], mar["arrests"], mar["with_outcome"]) == (2, 2, 0, 3)
    assert gap["missing"] is True and "missing" not in jan
    # the gap has every column a month with data has (a table or CSV of months lines up), blank
    assert set(gap) - {"missing"} == set(jan)
    assert all(gap[k] is None for k in jan if k != "key")


def test_unknown_force_and_breakdown_are_refused_with_what_to_do(small: Warehouse) -> None:
    with pytest.raises(NotFoundError) as e:
        ss.breakdown(small, "kent", "outcome")
    assert str(e.value) == "no stop-and-search data is loaded for force 'kent'"
    with pytest.raises(NotFoundError) as e:
        ss.totals(small, "kent")
    assert str(e.value) == "no stop-and-search data is loaded for force 'kent'"
    with pytest.raises(ParagonError) as e:
        ss.breakdown(small, "durham", "age")
    assert str(e.value) == ("cannot break stop and search down by 'age' (choose from: month, "
                            "legislation, object, outcome, type, ethnicity, officer-ethnicity)")


def test_force_choice_note_names_the_force_shown_and_those_loaded(small: Warehouse) -> None:
    assert [(r["force"], r["searches"], r["months"]) for r in ss.forces(small)] == [
        ("durham", 8, 2), ("essex", 1, 1)]
    assert ss.choose_force(small, None, "west-midlands") == (
        "durham", "The plan's force (west-midlands) has no stop-and-search data loaded; showing "
        "durham. Stop-and-search data is loaded for: durham, essex.")
    with pytest.raises(NotFoundError) as e:
        ss.choose_force(small, "kent", "durham")
    assert str(e.value) == ("no stop-and-search data is loaded for force 'kent' (loaded for: "
                            "durham, essex)")


def test_no_files_loaded_says_how_to_load_them(wh: Warehouse) -> None:
    with pytest.raises(NotFoundError) as e:
        ss.choose_force(wh, None, "durham")
    assert str(e.value) == ("no police.uk stop-and-search files are loaded "
                            "(paragon ingest FOLDER)")


# --- residents files ------------------------------------------------------------------------


def _file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "residents.csv"
    path.write_text(text, encoding=encoding)
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(ParagonError) as e:
        ss.read_residents(path)
    return str(e.value)


def test_residents_file_with_areas_sources_and_thousands_separators(tmp_path: Path) -> None:
    # as a spreadsheet saves it: UTF-8 with a byte-order mark, counts with thousands separators
    path = _file(tmp_path, "force,area_code,area_name,ethnic_group,residents,source\n"
                 'durham,,Durham force area,White,"600,000",Census 2021 TS021\n'
                 "durham,,Durham force area,Black,4000,Census 2021 TS021\n"
                 "durham,E06000047,County Durham,White,1,\n"
                 "essex,,Essex force area,White,1500000,\n", encoding="utf-8-sig")
    assert ss.read_residents(path) == [
        ss.Residents("durham", "", "Durham force area", {"White": 600000, "Black": 4000},
                     "Census 2021 TS021"),
        ss.Residents("durham", "E06000047", "County Durham", {"White": 1}, ""),
        ss.Residents("essex", "", "Essex force area", {"White": 1500000}, ""),
    ]


def test_residents_file_without_a_source_column_and_rows_cut_short(tmp_path: Path) -> None:
    # columns in another order; the second row stops before its (empty) area name
    path = _file(tmp_path, "force,area_code,ethnic_group,residents,area_name\n"
                 "durham,,White,600000,Durham force area\n"
                 "durham,,Black,4000\n")
    [area] = ss.read_residents(path)
    assert (area.area_name, area.source) == ("Durham force area", "")
    path = _file(tmp_path, "force,area_code,ethnic_group,residents,area_name\n"
                 "durham,,Black,4000\n")
    assert ss.read_residents(path)[0].area_name == ""


@pytest.mark.parametrize("text,message", [
    ("force,area_code,ethnic_group\n",
     "residents file lacks column(s) area_name, residents (needs force, area_code, area_name, "
     "ethnic_group, residents[, source])"),
    ("force,area_code,area_name,ethnic_group,residents\n,,D,White,10\n", ":2: force is empty"),
    ("area_code,area_name,ethnic_group,residents,force\n,D,White,10\n", ":2: force is empty"),
    ("force,area_code,area_name,residents,ethnic_group\ndurham,,D,10\n",
     ":2: ethnic group '' is not one of Asian, Black, Mixed, White, Other"),
    ("force,area_code,area_name,ethnic_group,residents\ndurham,,D,White,0\n",
     ":2: residents '0' is not a whole number above 0"),
])
def test_bad_residents_rows_are_refused_with_the_reason(tmp_path: Path, text: str,
                                                        message: str) -> None:
    path = _file(tmp_path, text)
    assert _refusal(path) == f"{path}{'' if message.startswith(':') else ': '}{message}"


def test_unreadable_residents_files_are_refused(tmp_path: Path) -> None:
    absent = tmp_path / "absent.csv"
    assert _refusal(absent) == (f"cannot read residents file {absent}: "
                                "No such file or directory")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("force,area_code,area_name,ethnic_group,residents\n"
                      "durham,,Durham (Bishop Auckland & Shildon),White,10\n"
                      "durham,,Café,Black,10\n".encode("latin-1"))
    assert _refusal(latin) == f"{latin}: residents file is not UTF-8 text"


def test_stored_residents_read_back_as_saved(wh: Warehouse, tmp_path: Path) -> None:
    path = _file(tmp_path, "force,area_code,area_name,ethnic_group,residents,source\n"
                 "durham,,Durham force area,White,600000,Census 2021\n"
                 "durham,,Durham force area,Black,4000,Census 2021\n"
                 "durham,E06000047,County Durham,White,500000,Census 2021\n"
                 "essex,,Essex force area,White,1500000,ONS\n")
    assert ss.save_residents(wh, ss.read_residents(path)) == 4
    assert ss.stored_residents(wh, "durham") == ss.Residents(
        "durham", "", "Durham force area", {"Black": 4000, "White": 600000}, "Census 2021")
    # a force with residents of one group only
    assert ss.stored_residents(wh, "essex") == ss.Residents(
        "essex", "", "Essex force area", {"White": 1500000}, "ONS")
    assert ss.stored_residents(wh, "kent") is None


# --- rates per 1,000 residents and disproportionality ---------------------------------------


def _rate_interval(n: int, scale: float) -> tuple[float, float]:
    """Garwood's exact Poisson interval from chi-squared quantiles, times ``scale``."""
    lower = 0.0 if n == 0 else chi2.ppf(0.025, 2 * n) / 2
    return round(lower * scale, 4), round(chi2.ppf(0.975, 2 * n + 2) / 2 * scale, 4)


def _ratio_interval(n: int, pop: int, ref_n: int, ref_pop: int) -> tuple[float, float]:
    """Clopper-Pearson on n / (n + ref_n), turned into a rate ratio."""
    ci = binomtest(n, n + ref_n).proportion_ci(confidence_level=0.95, method="exact")
    scale = ref_pop / pop
    return round(ci.low / (1 - ci.low) * scale, 3), round(ci.high / (1 - ci.high) * scale, 3)


def test_rates_and_ratios_against_white(small: Warehouse) -> None:
    result = ss.disproportionality(small, "durham", PEOPLE)
    assert {k: v for k, v in result.items() if k != "groups"} == {
        "force": "durham", "reference": "White", "months": 2, "first": "2020-01",
        "last": "2020-03", "searches": 8, "ethnicity_not_stated": 0,
        "residents_area": "Durham force area", "residents_source": "hand-made numbers"}
    groups = {g["ethnic_group"]: g for g in result["groups"]}
    assert list(groups) == ["Asian", "Black", "Mixed", "White", "Other"]
    assert [groups[g]["searches"] for g in groups] == [1, 3, 0, 4, 0]
    # per 1,000 residents a month over the 2 months loaded (not the 3 spanned), to 4 places:
    # White 4 / 7,000 * 1,000 / 2 = 0.28571..., Black 3 / 900 * 500 = 1.66666...,
    # Asian 1 / 600 * 500 = 0.83333..., Mixed 0
    expected = {"White": (4, 7000, 0.2857), "Black": (3, 900, 1.6667),
                "Asian": (1, 600, 0.8333), "Mixed": (0, 2000, 0.0)}
    for group, (n, pop, rate) in expected.items():
        g = groups[group]
        assert g["residents"] == pop
        assert g["rate_per_1000_per_month"] == rate
        assert (g["rate_lower"], g["rate_upper"]) == _rate_interval(n, 1000 / pop / 2)
    # ratios to White, to 3 places: Black (3 / 900) / (4 / 7,000) = 5.8333...,
    # Asian (1 / 600) / (4 / 7,000) = 2.91666..., Mixed 0
    for group, ratio in (("Black", 5.833), ("Asian", 2.917), ("Mixed", 0.0)):
        n, pop, _ = expected[group]
        g = groups[group]
        assert g["ratio"] == ratio
        assert (g["ratio_lower"], g["ratio_upper"]) == _ratio_interval(n, pop, 4, 7000)
    assert "ratio" not in groups["White"]
    # no residents given for Other: its searches are counted, with no rate or ratio
    assert groups["Other"] == {"ethnic_group": "Other", "searches": 0, "residents": None}


def test_a_reference_group_searched_once_still_gives_ratios(small: Warehouse) -> None:
    groups = {g["ethnic_group"]: g
              for g in ss.disproportionality(small, "durham", PEOPLE, "Asian")["groups"]}
    # White (4 / 7,000) / (1 / 600) = 0.342857...
    assert groups["White"]["ratio"] == 0.343
    assert (groups["White"]["ratio_lower"], groups["White"]["ratio_upper"]) == _ratio_interval(
        4, 7000, 1, 600)
    assert "ratio" not in groups["Asian"]


def test_a_reference_group_never_searched_gives_no_ratios(small: Warehouse) -> None:
    result = ss.disproportionality(small, "durham", PEOPLE, "Mixed")
    assert result["reference"] == "Mixed"
    assert all("ratio" not in g for g in result["groups"])
    mixed = next(g for g in result["groups"] if g["ethnic_group"] == "Mixed")
    assert (mixed["searches"], mixed["rate_per_1000_per_month"]) == (0, 0.0)


def test_residents_without_the_reference_group_are_refused(small: Warehouse) -> None:
    people = ss.Residents("durham", "", "Durham", {"Black": 900}, "")
    with pytest.raises(ParagonError) as e:
        ss.disproportionality(small, "durham", people)
    assert str(e.value) == ("the residents file has no White residents for durham, the "
                            "reference group")
