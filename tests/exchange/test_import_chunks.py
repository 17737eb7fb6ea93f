"""An import of figures stored in several chunks (app/exchange/importer/writer.py): the outcome
is the file's, whole: the same counts, chains across chunks and within one, refusals and all-or-nothing.

Runs on SQLite and PostgreSQL (the conftest `app`), with chunks of two rows so that a short file has several.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit import bulk
from app.audit.models import AuditEvent
from app.exchange.importer import writer as importer
from app.submissions.models import Submission
from tests.api.helpers import API, assert_problem
from tests.exchange.test_import import counts, csv_bytes, imported, include_import_router, upload

HEADER = ["target_code", "organization_code", "period_date", "value"]


@pytest.fixture
def app(app):
    include_import_router(app)
    return app


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(importer, "INSERT_CHUNK", 2)
    monkeypatch.setattr(bulk, "COPY_FROM", 0)  # PostgreSQL: COPY for every chunk, as for a large file


def count(app, model) -> int:
    with Session(app.state.engine) as s:
        return s.execute(sql_select(func.count()).select_from(model)).scalar_one()


def versions(client, target_id: int) -> list[dict]:
    return client.get(f"{API}/targets/{target_id}/submissions", params={"versions": "all"}).json()["items"]


def _chained_file(make):
    root = make.org()
    plan = make.plan(root["id"])
    target = make.target(plan["id"], code="01")
    stored = make.submission(target["id"], organization_id=root["id"], period_date="2019-12-31", value=10)
    code = root["code"]
    rows = [
        HEADER,
        ["01", code, "2019-03-31", "1"],  # new
        ["01", code, "2019-06-30", "5"],  # new
        ["01", code, "2019-03-31", "2"],  # corrects row 2, stored in the chunk before
        ["01", code, "2019-09-30", "7"],  # new
        ["01", code, "2019-09-30", "8"],  # corrects row 5, in the chunk before
        ["01", code, "2019-09-30", "9"],  # corrects row 6, just before it
        ["01", code, "2019-06-30", "5"],  # the same as row 3: ignored
        ["01", code, "2019-12-31", "11"],  # corrects the stored figure
    ]
    return plan, target, stored, rows


def test_corrections_chain_across_chunks_and_within_one(app, client, make):
    plan, target, stored, rows = _chained_file(make)
    events_before = count(app, AuditEvent)
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert report["stored"] and counts(report) == (3, 4, 1, 0), report
    by_value = {f["value"]: f for f in versions(client, target["id"])}
    ids = [by_value[v]["id"] for v in (1.0, 5.0, 2.0, 7.0, 8.0, 9.0, 11.0)]
    assert ids == sorted(ids)  # ids ascend in file order
    links = {v: (by_value[v]["supersedes_id"], by_value[v]["root_id"]) for v in (2.0, 8.0, 9.0, 11.0)}
    assert links == {
        2.0: (by_value[1.0]["id"], by_value[1.0]["id"]),
        8.0: (by_value[7.0]["id"], by_value[7.0]["id"]),
        9.0: (by_value[8.0]["id"], by_value[7.0]["id"]),
        11.0: (stored["id"], stored["id"]),
    }
    in_force = client.get(f"{API}/targets/{target['id']}/submissions").json()["items"]
    assert sorted(f["value"] for f in in_force) == [2.0, 5.0, 9.0, 11.0]
    assert count(app, AuditEvent) == events_before + 7  # one event per stored figure


@pytest.mark.parametrize("keep_good_rows", [False, True])
def test_a_failing_row_leaves_nothing_unless_good_rows_are_kept(app, client, make, keep_good_rows):
    root = make.org()
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    good = [["01", root["code"], f"2019-0{month}-01", str(month)] for month in range(1, 6)]
    rows = [HEADER, *good, ["99", root["code"], "2019-07-01", "1"]]  # names no target
    figures_before, events_before = count(app, Submission), count(app, AuditEvent)
    report = imported(client, plan["id"], "submissions", csv_bytes(rows), keep_good_rows=keep_good_rows)
    assert counts(report) == (5, 0, 0, 1) and report["errors"][0]["row"] == 7, report
    assert report["stored"] is keep_good_rows
    stored = 5 if keep_good_rows else 0
    assert (count(app, Submission), count(app, AuditEvent)) == (figures_before + stored, events_before + stored)


def test_a_chunk_that_cannot_be_written_is_a_conflict_and_nothing_is_stored(app, client, make, monkeypatch):
    """A unique or foreign-key violation while a chunk is written is the import's 409, and the chunks
    written before it are rolled back with it."""
    root = make.org()
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    real, calls = importer.submit, []

    def fails_at_row_5(session, rows, **kwargs):  # the third chunk, after two were written
        calls.append(len(rows))
        if any(row["value"] == 5 for row in rows):
            raise IntegrityError("INSERT", None, Exception("a violation"))
        return real(session, rows, **kwargs)

    monkeypatch.setattr(importer, "submit", fails_at_row_5)
    figures_before, events_before = count(app, Submission), count(app, AuditEvent)
    rows = [HEADER, *[["01", root["code"], f"2019-0{month}-01", str(month)] for month in range(1, 7)]]
    assert_problem(upload(client, plan["id"], "submissions", csv_bytes(rows)), 409)
    assert calls == [2, 2, 2]
    assert (count(app, Submission), count(app, AuditEvent)) == (figures_before, events_before)


def test_increments_are_checked_against_earlier_rows_and_units_first_met_later(app, client, make):
    """The file rules read a unit's increments when the unit is first met and remember the file's own rows:
    an overlap with a row three rows back fails, and so does one with a stored increment of a unit met late."""
    root = make.org()
    other = make.org(parent_id=root["id"])
    plan = make.plan(root["id"])
    make.target(plan["id"], code="S", aggregation="sum", across_units="mean")
    target_id = client.get(f"{API}/plans/{plan['id']}/targets").json()["items"][0]["id"]
    make.submission(target_id, organization_id=other["id"], period_start="2019-07-01", period_date="2019-09-30", value=4)
    header = ["target_code", "organization_code", "period_start", "period_date", "value"]
    rows = [
        header,
        ["S", root["code"], "2019-01-01", "2019-03-31", "1"],
        ["S", root["code"], "2019-04-01", "2019-06-30", "2"],
        ["S", root["code"], "2019-07-01", "2019-09-30", "3"],
        ["S", other["code"], "2019-01-01", "2019-03-31", "4"],  # the unit first met: its stored increment read
        ["S", root["code"], "2019-02-01", "2019-04-30", "5"],  # overlaps rows 2 and 3
        ["S", other["code"], "2019-08-01", "2019-08-31", "6"],  # overlaps the stored increment
    ]
    report = imported(client, plan["id"], "submissions", csv_bytes(rows), keep_good_rows=True)
    assert counts(report) == (4, 0, 0, 2), report
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(6, "period_start"), (7, "period_start")], report
    assert "overlaps an earlier row of this file" in report["errors"][0]["reason"]
    assert "overlaps submission" in report["errors"][1]["reason"]


def test_on_postgresql_the_chunks_are_written_by_a_thread_while_the_next_are_checked(app, client, make, monkeypatch):
    """PostgreSQL: a file of several chunks is written by the import's writer thread (app/exchange/importer/
    writer.py), with ids and events made ahead on the checking thread; SQLite writes them at the end, on the
    request's own thread. The outcome is the same file's either way (the tests above run on both)."""
    plan, target, _, rows = _chained_file(make)
    real, threads = importer.submit, []

    def noting_the_thread(session, rows, **kwargs):
        threads.append((threading.current_thread().name, kwargs.get("batch") is not None))
        return real(session, rows, **kwargs)

    monkeypatch.setattr(importer, "submit", noting_the_thread)
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert report["stored"] and counts(report) == (3, 4, 1, 0), report
    if app.state.engine.dialect.name == "postgresql":
        assert threads and set(threads) == {("import-writer", True)}, threads
    else:
        assert threads and all(name != "import-writer" and not batch for name, batch in threads), threads


def test_keys_not_read_ahead_are_read_with_their_chunk(app, client, make, monkeypatch):
    """The stored versions are read ahead for the keys the rows' cells name; a key the rows' model gives
    otherwise is read with its chunk (on PostgreSQL on the second connection, which does not see the chunks
    written meanwhile). With nothing read ahead, the chained file's outcome is the same."""
    from app.exchange.importer import figures

    monkeypatch.setattr(figures, "_key_of_cells", lambda named: None)
    plan, target, stored, rows = _chained_file(make)
    report = imported(client, plan["id"], "submissions", csv_bytes(rows))
    assert report["stored"] and counts(report) == (3, 4, 1, 0), report
    by_value = {f["value"]: f for f in versions(client, target["id"])}
    assert by_value[11.0]["supersedes_id"] == stored["id"]  # the stored figure, read with the last chunk
    assert by_value[9.0]["supersedes_id"] == by_value[8.0]["id"]
    again = imported(client, plan["id"], "submissions", csv_bytes(rows))  # every row a version stored: nothing to do
    assert counts(again) == (0, 0, 8, 0) and not again["stored"], again


def test_a_failure_on_the_checking_thread_stores_nothing_and_stops_the_writer(app, client, make, monkeypatch):
    """An unexpected error while a later chunk is checked (chunks written before it on PostgreSQL): the
    request fails as a server error, the writer stops and is waited for, and nothing is stored."""
    from app.exchange.importer import figures

    root = make.org()
    plan = make.plan(root["id"])
    make.target(plan["id"], code="01")
    real, seen = figures._checked, []

    def fails_at_row_6(named, *args):
        seen.append(named[0].number)
        if named[0].number == 6:  # the third chunk: two were handed to the writer
            raise RuntimeError("a bug")
        return real(named, *args)

    monkeypatch.setattr(figures, "_checked", fails_at_row_6)
    figures_before, events_before = count(app, Submission), count(app, AuditEvent)
    rows = [HEADER, *[["01", root["code"], f"2019-0{month}-01", str(month)] for month in range(1, 8)]]
    assert upload(client, plan["id"], "submissions", csv_bytes(rows)).status_code == 500
    assert seen == [2, 3, 4, 5, 6]
    assert (count(app, Submission), count(app, AuditEvent)) == (figures_before, events_before)
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]
