"""paragon.measures.breaks on a real SQLite operational store: a break's reason, refusals (bad
month, same month twice, a month the plan dates), listing per measure, removal, and reading a store
that does not exist yet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paragon.errors import NotFoundError, ParagonError
from paragon.measures.breaks import (
    MAX_REASON,
    _reason,
    add_break,
    analyst_breaks,
    list_breaks,
    read_store,
    remove_break,
)
from paragon.ops import OpsStore
from paragon.plan import Plan
from paragon.plan.schema import Break


@pytest.fixture
def ops(tmp_path: Path) -> Iterator[OpsStore]:
    with OpsStore.open(f"sqlite:///{tmp_path / 'ops.sqlite'}") as store:
        yield store


def test_reason_is_trimmed_and_bounded() -> None:
    assert MAX_REASON == 300
    assert _reason("  new   crime\nrecording  system ") == "new crime recording system"
    assert _reason("x" * 300) == "x" * 300
    for empty in ["", "   \n ", None]:
        with pytest.raises(ParagonError) as err:
            _reason(empty)  # type: ignore[arg-type]
        assert str(err.value) == "a break needs a reason (what changed in recording practice)"
    with pytest.raises(ParagonError) as err:
        _reason("x" * 301)
    assert str(err.value) == "a break's reason can be at most 300 characters"


def test_add_list_and_remove(ops: OpsStore, plan: Plan) -> None:
    first = add_break(ops, plan, " 2012-04 ", " new  system ", " burglary-dwelling ",
                      added_by="analyst1")
    second = add_break(ops, plan, "2011-10", "counting rule", None)
    third = add_break(ops, plan, "2013-01", "robbery rule", "robbery")
    assert (first, second, third) == (1, 2, 3)
    rows = list_breaks(ops)
    assert [(r["break_id"], r["measure"], r["month"], r["reason"], r["added_by"])
            for r in rows] == [(2, None, "2011-10", "counting rule", None),
                               (1, "burglary-dwelling", "2012-04", "new system", "analyst1"),
                               (3, "robbery", "2013-01", "robbery rule", None)]
    assert all(r["added_at"] is not None for r in rows)
    assert [r["break_id"] for r in list_breaks(ops, "burglary-dwelling")] == [2, 1]
    assert [r["break_id"] for r in list_breaks(ops, "robbery")] == [2, 3]
    assert [r["break_id"] for r in list_breaks(ops, "hate-crime")] == [2]
    assert analyst_breaks(ops, "burglary-dwelling") == \
        (("2011-10", "counting rule"), ("2012-04", "new system"))
    assert analyst_breaks(None, "burglary-dwelling") == ()
    # the same month for another measure, or for one measure beside every measure, is fine
    assert add_break(ops, plan, "2012-04", "other", "robbery") == 4
    assert add_break(ops, plan, "2012-04", "everyone", "") == 5
    removed = remove_break(ops, 1)
    assert (removed["break_id"], removed["month"], removed["measure"]) == \
        (1, "2012-04", "burglary-dwelling")
    assert [r["break_id"] for r in list_breaks(ops, "burglary-dwelling")] == [2, 5]
    with pytest.raises(NotFoundError) as err:
        remove_break(ops, 1)
    assert str(err.value) == "no break #1 is recorded (see `paragon breaks list`)"
    assert [r["break_id"] for r in list_breaks(ops)] == [2, 4, 5, 3]


def test_refusals(ops: OpsStore, plan: Plan) -> None:
    add_break(ops, plan, "2012-04", "new system", "burglary-dwelling")
    add_break(ops, plan, "2012-05", "for all", None)
    with pytest.raises(ParagonError) as err:
        add_break(ops, plan, "2012-04", "again", "burglary-dwelling")
    assert str(err.value) == "a break at 2012-04 is already recorded for burglary-dwelling (#1)"
    with pytest.raises(ParagonError) as err:
        add_break(ops, plan, "2012-05", "again", None)
    assert str(err.value) == "a break at 2012-05 is already recorded for every measure (#2)"
    with pytest.raises(ParagonError, match="a break is a month like 2016-10, not '2012-13'"):
        add_break(ops, plan, "2012-13", "bad", None)
    with pytest.raises(ParagonError, match="needs a reason"):
        add_break(ops, plan, "2012-06", "  ", None)
    with pytest.raises(NotFoundError):
        add_break(ops, plan, "2012-06", "why", "no-such-measure")
    assert len(list_breaks(ops)) == 2


def test_a_month_the_plan_dates_is_refused(ops: OpsStore, plan: Plan) -> None:
    measures = [m.model_copy(update={"breaks": [Break(month="2014-01", reason="own")]})
                if m.id == "robbery" else m for m in plan.measures]
    dated = plan.model_copy(update={"breaks": [Break(month="2013-04", reason="wide")],
                                    "measures": measures})
    with pytest.raises(ParagonError) as err:
        add_break(ops, dated, "2014-01", "again", "robbery")
    assert str(err.value) == "the plan already dates a break at 2014-01 for robbery"
    with pytest.raises(ParagonError) as err:
        add_break(ops, dated, "2013-04", "again", "hate-crime")
    assert str(err.value) == "the plan already dates a break at 2013-04 for hate-crime"
    with pytest.raises(ParagonError) as err:
        add_break(ops, dated, "2013-04", "again", None)
    assert str(err.value) == "the plan already dates a break at 2013-04"
    # a measure's own plan break is not every measure's
    assert add_break(ops, dated, "2014-01", "for all", None) == 1
    assert add_break(ops, dated, "2014-01", "hate", "hate-crime") == 2


def test_read_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    assert read_store(url) is None
    assert not (tmp_path / "ops.sqlite").exists()
    with OpsStore.open(url):
        pass
    store = read_store(url)
    assert store is not None
    with store:
        assert list_breaks(store) == []


def test_added_at_is_utc_whatever_the_local_zone(ops: OpsStore, plan: Plan,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    try:
        add_break(ops, plan, "2012-04", "new system", None)
    finally:
        monkeypatch.undo()
        time.tzset()
    added = list_breaks(ops)[0]["added_at"]
    added = datetime.fromisoformat(added) if isinstance(added, str) else added
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs(now - added) < timedelta(hours=1)


def test_a_store_that_gives_no_row_id_is_refused(ops: OpsStore, plan: Plan) -> None:
    # a store's cursor gives ``lastrowid`` None when it has no row id to give (on PostgreSQL, an
    # insert that returned no key): the analyst is told the break was not recorded rather than
    # given a made-up number
    from contextlib import contextmanager

    class NoRowId:
        def __init__(self, cur: object) -> None:
            self.execute = cur.execute  # type: ignore[attr-defined]
            self.lastrowid = None

    class Store:
        @contextmanager
        def transaction(self) -> Iterator[NoRowId]:
            with ops.transaction() as cur:
                yield NoRowId(cur)

    with pytest.raises(ParagonError) as err:
        add_break(Store(), plan, "2012-04", "new system", None)  # type: ignore[arg-type]
    assert str(err.value) == "the break was not recorded"
