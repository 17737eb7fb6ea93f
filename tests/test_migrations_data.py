"""Migrations keep data: a database filled at the first revision is upgraded to head with every
row intact, then taken down to the first revision and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text

from app.migrate import downgrade, upgrade
from tests.test_migrations import empty_database  # noqa: F401 - the same private databases

FIRST = "0001"

ROWS = {
    "organization": [
        {"id": 1, "code": "TINH", "name": "Tỉnh ủy", "kind": "party_committee", "parent_id": None},
        {"id": 2, "code": "TP", "name": "Thành ủy", "kind": "party_committee", "parent_id": 1},
    ],
    "plan": [
        {"id": 1, "code": "NQ-2019", "title": "Nghị quyết 2019", "organization_id": 2,
         "start_date": date(2019, 1, 1), "end_date": date(2019, 12, 31), "state": "active"},
    ],
    "target": [
        {"id": 1, "plan_id": 1, "code": "03", "title": "Sản lượng lương thực", "unit": "tấn", "comparison": "more_than",
         "value": 5000.0, "direction": "higher_is_better", "aggregation": "sum"},
        {"id": 2, "plan_id": 1, "code": "09", "title": "TCCS đảng hoàn thành tốt nhiệm vụ", "unit": "%",
         "comparison": "more_than", "value": 65.0, "direction": "higher_is_better", "aggregation": "latest"},
    ],
    "submission": [
        {"id": 1, "target_id": 1, "organization_id": 2, "period_date": date(2019, 6, 30), "value": 2350.0,
         "numerator": None, "denominator": None, "done": None, "is_estimate": True},
        {"id": 2, "target_id": 2, "organization_id": 2, "period_date": date(2019, 12, 31), "value": None,
         "numerator": 46.0, "denominator": 70.0, "done": None, "is_estimate": False},
    ],
}


def _fill(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for table, rows in ROWS.items():
            columns = list(rows[0])
            defaults = _defaults(conn, table, columns)
            for row in rows:
                values = {**defaults, **row}
                names = ", ".join(f'"{c}"' for c in values)
                marks = ", ".join(f":{c}" for c in values)
                conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'), values)
    engine.dispose()


def _defaults(conn, table: str, given: list[str]) -> dict:
    """Values for the NOT NULL columns the rows above leave out (timestamps, empty texts)."""
    from sqlalchemy import inspect

    out = {}
    for column in inspect(conn).get_columns(table):
        name = column["name"]
        if name in given or column["nullable"] or column.get("default") is not None or column.get("autoincrement") is True:
            continue
        if name == "id":
            continue
        kind = str(column["type"]).upper()
        if "TIME" in kind:
            out[name] = "2019-01-01 00:00:00+00:00"
        elif "BOOL" in kind:
            out[name] = False
        elif "INT" in kind:
            out[name] = 0
        else:
            out[name] = ""
    return out


def _snapshot(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        snap = {}
        for table, rows in ROWS.items():
            columns = ", ".join(f'"{c}"' for c in rows[0])
            snap[table] = [tuple(r) for r in conn.execute(text(f'SELECT {columns} FROM "{table}" ORDER BY id'))]
    engine.dispose()
    return snap


def _expected() -> dict[str, list[tuple]]:
    return {table: [tuple(row.values()) for row in rows] for table, rows in ROWS.items()}


def _normalise(snap: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    # SQLite hands dates back as text; compare in ISO form.
    return {t: [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows] for t, rows in snap.items()}


def test_upgrading_a_filled_database_keeps_every_row(empty_database):  # noqa: F811
    upgrade(empty_database, FIRST)
    _fill(empty_database)
    upgrade(empty_database)
    assert _normalise(_snapshot(empty_database)) == _normalise(_expected())
    # New columns got their documented defaults on old rows.
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind, reason FROM submission ORDER BY id")).all()
        bands = conn.execute(text("SELECT on_track_from, at_risk_from, reporting_grace_days FROM plan")).one()
    engine.dispose()
    assert [tuple(k) for k in kinds] == [("original", ""), ("original", "")]
    assert tuple(bands) == (0.95, 0.85, 0)


def test_down_to_the_first_revision_and_up_again_keeps_every_row(empty_database):  # noqa: F811
    upgrade(empty_database, FIRST)
    _fill(empty_database)
    upgrade(empty_database)
    downgrade(empty_database, FIRST)
    assert _normalise(_snapshot(empty_database)) == _normalise(_expected())
    upgrade(empty_database)
    assert _normalise(_snapshot(empty_database)) == _normalise(_expected())


@pytest.mark.parametrize("step", ["0002", "0003"])
def test_each_revision_upgrades_a_filled_database(empty_database, step):  # noqa: F811
    upgrade(empty_database, FIRST)
    _fill(empty_database)
    upgrade(empty_database, step)
    assert _normalise(_snapshot(empty_database)) == _normalise(_expected())


# Figures from several organisations, as a database before the rules across units held them (0004).
UNIT_ROWS = {
    "organization": [{"id": 3, "code": "PHUONG-A", "name": "Phường A", "kind": "", "parent_id": 2}],
    "target": [
        {"id": 3, "plan_id": 1, "code": "04", "title": "Rau", "unit": "tấn", "comparison": "more_than", "value": 100.0,
         "direction": "higher_is_better", "aggregation": "sum"},
        {"id": 4, "plan_id": 1, "code": "10", "title": "Thu so với dự toán", "unit": "% dự toán", "comparison": "at_least",
         "value": 100.0, "direction": "higher_is_better", "aggregation": "latest"},
        {"id": 5, "plan_id": 1, "code": "11", "title": "Tăng trưởng phường", "unit": "%", "comparison": "at_least",
         "value": 5.0, "direction": "higher_is_better", "aggregation": "latest"},
        {"id": 6, "plan_id": 1, "code": "12", "title": "Hoàn thành đề án", "unit": "", "comparison": "milestone",
         "value": None, "direction": "higher_is_better", "aggregation": "latest"},
    ],
    "submission": [
        {"id": 3, "target_id": 3, "organization_id": 2, "period_date": date(2019, 6, 30), "value": 40.0,
         "numerator": None, "denominator": None, "done": None, "is_estimate": False},
        {"id": 4, "target_id": 3, "organization_id": 3, "period_date": date(2019, 6, 30), "value": 70.0,
         "numerator": None, "denominator": None, "done": None, "is_estimate": False},
        {"id": 5, "target_id": 4, "organization_id": 3, "period_date": date(2019, 12, 31), "value": None,
         "numerator": 105.0, "denominator": 100.0, "done": None, "is_estimate": False},
        {"id": 6, "target_id": 5, "organization_id": 3, "period_date": date(2019, 12, 31), "value": 6.5,
         "numerator": None, "denominator": None, "done": None, "is_estimate": False},
        {"id": 7, "target_id": 6, "organization_id": 3, "period_date": date(2019, 12, 31), "value": None,
         "numerator": None, "denominator": None, "done": True, "is_estimate": False},
    ],
}


def test_0005_gives_existing_targets_the_rules_their_figures_mean(empty_database):  # noqa: F811
    upgrade(empty_database, "0004")
    _fill(empty_database)
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        for table, rows in UNIT_ROWS.items():
            defaults = _defaults(conn, table, list(rows[0]))
            for row in rows:
                values = {**defaults, **row}
                conn.execute(text(f'INSERT INTO "{table}" ({", ".join(values)}) VALUES ({", ".join(":" + c for c in values)})'), values)
        before = conn.execute(text("SELECT * FROM submission ORDER BY id")).all()
    upgrade(empty_database)
    with engine.connect() as conn:
        after = conn.execute(text(
            "SELECT " + ", ".join(before[0]._fields) + " FROM submission ORDER BY id")).all()
        rules = conn.execute(text(
            "SELECT code, across_units, is_percentage, may_exceed_whole, reporting_unit_ids FROM target ORDER BY id")).all()
        starts = conn.execute(text("SELECT period_start FROM submission")).scalars().all()
        reporting = conn.execute(text("SELECT is_reporting_unit FROM organization")).scalars().all()
    engine.dispose()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]  # every figure intact
    assert set(starts) == {None} and all(reporting)
    assert [(code, across, bool(percent), bool(over), ids) for code, across, percent, over, ids in rules] == [
        ("03", "own", False, False, None),  # only the plan's organisation reported
        ("09", "own", True, False, None),
        ("04", "sum", False, False, None),  # the city and a ward: added, as the old engine did
        ("10", "pooled_ratio", True, True, None),  # a '%' unit whose stored ratio exceeds its whole: allowed to
        ("11", "mean", True, False, None),  # a ward's percentages: averaged, never added
        ("12", "max", False, False, None),  # a milestone a unit reported done
    ]
