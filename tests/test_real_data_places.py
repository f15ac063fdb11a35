"""Places residents know, on the real West Midlands February 2011 street file: postcodes of any
force from an ONS postcode directory file (setting ``postcode_directory``; the bundled Birmingham
lookup without it), streets from police.uk's "On or near ..." locations, council and neighbourhood
names, and the postcode box on every result and error page."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paragon.errors import ParagonError
from paragon.ingest.registry import ingest_paths
from paragon.plan import default_plan
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.data.places import read_postcode_directory

DATA = Path(__file__).parent / "data"
DIRECTORY = DATA / "geography" / "fixture-onspd-postcodes.csv"
SECRET = "p" * 32


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("places") / "wm2011.duckdb"
    with Warehouse.open(path) as wh:
        ingest_paths(wh, [DATA / "policeuk" / "street" / "2011-02-west-midlands-street.csv"],
                     default_plan())
    return path


@pytest.fixture(scope="module")
def bundled(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET)),
                    follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def directory(db: Path) -> Iterator[TestClient]:
    settings = Settings(db=db, secret_key=SECRET, postcode_directory=DIRECTORY)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def test_without_a_directory_only_birmingham_postcodes_are_found(bundled: TestClient) -> None:
    found = bundled.get("/areas/postcode?postcode=b10+0ab")
    assert found.status_code == 303 and found.headers["location"].startswith(
        "/areas/neighbourhood/E02001897")
    missing = bundled.get("/areas/postcode?postcode=CV1 9XY")
    assert missing.status_code == 404
    assert "Birmingham (B) postcodes only" in unescape(missing.text)
    assert 'id="postcode"' in missing.text and 'value="CV19XY"' not in missing.text


def test_a_coventry_postcode_in_the_directory_finds_its_neighbourhood(
        directory: TestClient) -> None:
    found = directory.get("/areas/postcode?postcode=CV1 9XY")
    assert found.status_code == 303
    assert found.headers["location"] == "/areas/neighbourhood/E02001971"  # Coventry 014
    json_answer = directory.get("/areas/postcode?postcode=cv19xy&format=json").json()
    assert json_answer["area"]["name"] == "Coventry 014"
    # a terminated postcode still places an address; Birmingham still works
    assert directory.get("/areas/postcode?postcode=CV3 9XZ").headers["location"] == \
        "/areas/neighbourhood/E02001967"
    assert directory.get("/areas/postcode?postcode=B1 1AA").headers["location"] == \
        "/areas/neighbourhood/E02006899"


def test_a_postcode_elsewhere_is_told_so_with_the_postcode_box(directory: TestClient) -> None:
    for postcode in ("L1 9XY", "ZZ9 9ZZ", "CV9 9ZZ"):
        answer = directory.get("/areas/postcode", params={"postcode": postcode})
        text = unescape(answer.text)
        assert answer.status_code == 404
        assert "Birmingham (B) postcodes only" not in text
        assert "in the West Midlands Police area" in text
        assert 'id="postcode"' in text and "Any postcode in the West Midlands Police area" in text
    bad = directory.get("/areas/postcode", params={"postcode": "not a postcode"})
    assert bad.status_code == 400 and 'id="postcode"' in bad.text


def test_the_directory_file_is_checked(tmp_path: Path) -> None:
    taken = read_postcode_directory(DIRECTORY, frozenset({"E01009522", "E01009363"}))
    assert taken.postcodes == {"CV19XY": "E01009522", "B100AB": "E01009363"}
    assert taken.rows == 6
    bad = tmp_path / "onspd.csv"
    bad.write_text("pcds,oslaua\nCV1 9XY,E08000026\n", encoding="utf-8")
    with pytest.raises(ParagonError, match=r"onspd\.csv:1: no LSOA column .*lsoa11"):
        read_postcode_directory(bad, frozenset())
    short = tmp_path / "short.csv"
    short.write_text("pcds,oslaua,lsoa11\nCV1 9XY,E08000026,E01009522\nCV1 9XZ\n",
                     encoding="utf-8")
    with pytest.raises(ParagonError, match=r"short\.csv:3: 1 fields"):
        read_postcode_directory(short, frozenset())
    with pytest.raises(ParagonError, match="does not exist"):
        read_postcode_directory(tmp_path / "none.csv", frozenset())


def test_streets_from_the_crimes_lead_to_their_neighbourhood(bundled: TestClient,
                                                             db: Path) -> None:
    with Warehouse.open(db, read_only=True) as wh:
        lsoas = {r["lsoa_code"] for r in wh.query(
            "SELECT DISTINCT lsoa_code FROM crimes WHERE location = 'On or near Tyne Grove'")}
    assert lsoas
    data = bundled.get("/areas/search?q=tyne+grove&format=json").json()
    streets = [r for r in data["results"] if r["kind"] == "street"]
    assert streets and all(r["street"] == "Tyne Grove" for r in streets)
    hoods = {r["id"] for r in streets}
    from paragon.geography.lpus import plan_lsoas
    assert hoods == {x.neighbourhood_id for x in plan_lsoas(default_plan())
                     if x.lsoa_code in lsoas}
    html = unescape(bundled.get("/areas/search?q=tyne+grove").text)
    assert "Tyne Grove" in html and f'href="/areas/neighbourhood/{streets[0]["id"]}"' in html
    assert 'id="postcode"' in html  # the postcode box stays on the results page
    assert "On or near" not in html


def test_councils_and_neighbourhoods_are_found_by_name(bundled: TestClient) -> None:
    hood = bundled.get("/areas/search?q=coventry+014&format=json").json()["results"]
    assert hood[0]["id"] == "E02001971" and hood[0]["kind"] == "neighbourhood"
    council = bundled.get("/areas/search?q=solihull&format=json").json()["results"]
    assert council[0] == {**council[0], "kind": "lpu", "id": "solihull"}
    nothing = bundled.get("/areas/search?q=atlantis")
    assert "No area matches" in unescape(nothing.text) and 'id="postcode"' in nothing.text
