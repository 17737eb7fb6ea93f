"""The organisation tree's version in the stored status answers' fingerprints (issue 17, national scale), both databases.

The stored answers (a target's own status, the plan views, the roll-up by organisation) no longer read
and hash the whole tree on every request: they fingerprint `organization_tree.version`, which triggers
move on every insert, update or delete of an organisation (migration 0011_organization_tree). The
promises: the version moves with every change, whoever makes it (the API, plain SQL), and never comes
back; a rename, a move and an added organisation each change a target's stored answer (which equals
the one computed from scratch); a stored read does not read the tree at all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.status import service
from tests.api.helpers import API
from tests.status.conftest import forget
from tests.status.test_target_stored import AS_OF, check, get, stored_payloads


def version(app) -> int | None:
    with app.state.engine.connect() as conn:
        return conn.execute(text("SELECT version FROM organization_tree WHERE id = 1")).scalar()


def sql(app, statement: str, **params) -> None:
    with app.state.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_the_version_moves_with_every_change_of_an_organisation_and_never_comes_back(app, client, make):
    seen = [version(app)]

    def moved() -> None:
        now = version(app)
        assert now is not None and now not in seen, (now, seen)
        seen.append(now)

    city = make.org()
    moved()
    ward = make.org(parent_id=city["id"])
    moved()
    for change in ({"name": "Phường mới"}, {"code": "W-NEW"}, {"is_reporting_unit": False}, {"parent_id": None}):
        r = client.patch(f"{API}/organizations/{ward['id']}", json=change)
        assert r.status_code == 200, r.text
        moved()
    # what no route does, plain SQL does: the triggers see it too
    sql(app, "UPDATE organization SET kind = 'x' WHERE id = :id", id=ward["id"])
    moved()
    sql(app, "DELETE FROM organization WHERE id = :id", id=ward["id"])
    moved()
    # a statement that changes nothing still counts as a change (cheap, and never wrong)
    sql(app, "UPDATE organization SET name = name WHERE id = -1")
    if app.state.engine.dialect.name == "postgresql":
        moved()  # a statement trigger: it runs even when no row changed
    # the row deleted by hand: the next change inserts it again from the clock, not from 1
    sql(app, "DELETE FROM organization_tree")
    assert version(app) is None
    make.org()
    assert version(app) > max(v for v in seen if v is not None)


@pytest.fixture
def spread(make, client, varied):
    """`varied` with a third reporting ward that has not reported: it is named in FLOW's coverage."""
    plan = client.get(f"{API}/plans/{varied['plan']}").json()
    quiet = make.org(parent_id=plan["organization_id"], is_reporting_unit=True)
    return {**varied, "province": plan["organization_id"], "quiet": quiet}


def patch_org(client, organization_id: int, **change) -> None:
    r = client.patch(f"{API}/organizations/{organization_id}", json=change)
    assert r.status_code == 200, r.text


def test_a_renamed_code_changes_a_targets_stored_answer(app, client, spread):
    flow = spread["targets"]["FLOW"]
    before, after = check(app, client, flow, lambda: patch_org(client, spread["quiet"]["id"], code="W-RENAMED"))
    assert spread["quiet"]["code"] in str(before["coverage"]["missing"])
    assert {"organization_id": spread["quiet"]["id"], "code": "W-RENAMED"} in after["coverage"]["missing"]


def test_a_renamed_name_makes_the_stored_rows_stale_and_changes_the_roll_up(app, client, spread):
    """A target's status shows codes, not names: its answer stays the same, but its stored row is computed
    again under a new fingerprint; the roll-up by organisation shows names, and shows the new one."""
    flow, ward = spread["targets"]["FLOW"], spread["ward"]
    before = get(client, flow).content
    rollup = f"{API}/plans/{spread['plan']}/status/organizations"
    first = client.get(rollup, params={"as_of": AS_OF})
    assert first.status_code == 200, first.text
    with app.state.engine.connect() as conn:
        printed = conn.execute(text("SELECT fingerprint FROM target_evaluation WHERE target_id = :t"), {"t": flow}).scalar()
    patch_org(client, ward, name="Phường Đổi Tên")
    assert get(client, flow).content == before
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT fingerprint FROM target_evaluation WHERE target_id = :t"), {"t": flow}).scalar() != printed
    again = client.get(rollup, params={"as_of": AS_OF})
    names = {o["organization_id"]: o["name"] for o in again.json()["organizations"]}
    assert names[ward] == "Phường Đổi Tên" and again.content != first.content
    sql(app, "DELETE FROM plan_organization_status")  # the stored answer is the one computed from scratch
    assert client.get(rollup, params={"as_of": AS_OF}).content == again.content


def test_a_moved_organisation_changes_a_targets_stored_answer(app, client, spread):
    """The quiet ward moves under the other ward: the province expects one unit fewer."""
    flow = spread["targets"]["FLOW"]
    before, after = check(app, client, flow, lambda: patch_org(client, spread["quiet"]["id"], parent_id=spread["ward"]))
    assert after["coverage"]["expected"] == before["coverage"]["expected"] - 1


def test_an_added_organisation_changes_a_targets_stored_answer(app, client, spread, make):
    flow = spread["targets"]["FLOW"]
    before, after = check(app, client, flow, lambda: make.org(parent_id=spread["province"], is_reporting_unit=True))
    assert after["coverage"]["expected"] == before["coverage"]["expected"] + 1


def test_a_stored_read_does_not_read_the_tree(app, client, spread, monkeypatch):
    codes = spread["targets"]
    for tid in codes.values():
        get(client, tid)
    plan_view = client.get(f"{API}/plans/{spread['plan']}/status", params={"as_of": AS_OF}).content
    rollup = client.get(f"{API}/plans/{spread['plan']}/status/organizations", params={"as_of": AS_OF}).content
    assert all(stored_payloads(app)[tid] for tid in codes.values())

    def refuse(*args, **kwargs):
        raise AssertionError("the tree was read, but every answer is stored")

    monkeypatch.setattr(service, "load_tree", refuse)
    for tid in codes.values():
        get(client, tid)
    assert client.get(f"{API}/plans/{spread['plan']}/status", params={"as_of": AS_OF}).content == plan_view
    assert client.get(f"{API}/plans/{spread['plan']}/status/organizations", params={"as_of": AS_OF}).content == rollup
    forget(app)  # and without the stored rows it must read it: the refusal is armed
    r = client.get(f"{API}/targets/{codes['FLOW']}/status", params={"as_of": AS_OF})
    assert r.status_code == 500


def test_the_roll_up_spooled_to_disk_is_the_same_answer(app, client, spread, monkeypatch):
    """The roll-up's written-out pieces go to a temporary file past SPOOL_IN_MEMORY (national scale): the
    answer, computed and stored, is the same as when they stay in memory, on every page and order."""
    url = f"{API}/plans/{spread['plan']}/status/organizations"
    pages = [{"as_of": AS_OF}, {"as_of": AS_OF, "limit": 1, "offset": 1}, {"as_of": AS_OF, "sort": "-code", "limit": 2}]
    in_memory = [client.get(url, params=p).content for p in pages]
    sql(app, "DELETE FROM plan_organization_status")
    monkeypatch.setattr(service, "SPOOL_IN_MEMORY", 16)
    assert [client.get(url, params=p).content for p in pages] == in_memory  # computed (the first), then stored
    known = {"known_at": "2100-01-01T00:00:00Z"}
    assert [client.get(url, params={**p, **known}).content for p in pages] == [  # computed each time
        c.replace(b'"known_at":null', b'"known_at":"2100-01-01T00:00:00Z"') for c in in_memory]
