"""Maintenance acts of the database's owner that the append-only guard otherwise refuses.

`submission` and `audit_event` are append-only: triggers refuse UPDATE, DELETE (both databases)
and TRUNCATE (PostgreSQL) (migrations 0003 and 0006_hardening). Emptying them is still
sometimes right: a test database between tests, a throw-away demo. `empty_tables` is the one
sanctioned way, and it shows what it takes:

- PostgreSQL: the table owner's `ALTER TABLE ... DISABLE TRIGGER USER`, TRUNCATE, ENABLE again,
  in one transaction (ALTER TABLE holds an exclusive lock until the commit, so no other session
  ever sees the guard lifted). Only the owner may do it: the API's own role in production does
  not own the tables (docs/ARCHITECTURE.md, "Database roles") and cannot.
- SQLite: the guard triggers' SQL is read from sqlite_master, the triggers are dropped, the rows
  deleted and the triggers created again from that SQL, in one transaction.

Never called by the API; tests/conftest.py calls it after each test.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

APPEND_ONLY = ("submission", "submission_review", "audit_event")
# What the stored answers are fingerprinted with moves only when figures or reviews are inserted (on PostgreSQL
# a trigger that this act lifts counts them): emptying those tables empties the stored answers with them.
DERIVED_FROM_FIGURES = ("target_evaluation", "plan_organization_status")


def empty_tables(conn: Connection, tables: Sequence[str]) -> None:
    """Deletes every row of `tables` (children first), lifting the append-only guard for this transaction only.
    Emptying the figures or their reviews empties the stored answers too (`DERIVED_FROM_FIGURES`).

    `conn` must be at the start of a transaction (`engine.begin()`), with nothing executed yet.
    """
    if {"submission", "submission_review"} & set(tables):
        tables = [*(t for t in DERIVED_FROM_FIGURES if t not in tables), *tables]
    quoted = [f'"{t}"' for t in tables]
    guarded = [t for t in tables if t in APPEND_ONLY]
    if conn.dialect.name == "postgresql":
        for table in guarded:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        conn.exec_driver_sql(f"TRUNCATE {', '.join(quoted)} RESTART IDENTITY CASCADE")
        for table in guarded:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        return
    # pysqlite begins a transaction only before DML; the DDL below must be inside one.
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection is closed")
    if not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    marks = ", ".join("?" for _ in guarded)
    triggers = (
        conn.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", tuple(guarded)
        ).all()
        if guarded
        else []
    )
    for name, _ in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    for table in quoted:
        conn.exec_driver_sql(f"DELETE FROM {table}")
    for _, sql in triggers:
        conn.exec_driver_sql(sql)
