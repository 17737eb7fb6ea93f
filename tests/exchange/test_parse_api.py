"""POST /plans/{plan_id}/parse and `chitieu parse`: drafts first, storing only on request."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.migrate import upgrade
from tests.api.helpers import API, assert_problem

CLAUSES = "\n".join(
    line for line in (Path(__file__).parents[2] / "seed_data" / "langson_2019_clauses.txt").read_text().splitlines()
    if not line.startswith("#")
)


def _targets(client, plan_id) -> list[dict]:
    return client.get(f"{API}/plans/{plan_id}/targets").json()["items"]


def test_the_seed_text_gives_twelve_drafts_and_stores_nothing(client, make):
    plan = make.plan()
    r = client.post(f"{API}/plans/{plan['id']}/parse", json={"text": CLAUSES})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["drafts"]) == 12 and body["unrecognised"] == [] and body["applied"] is False
    assert [(d["comparison"], d["value"], d["low"], d["high"], d["unit"]) for d in body["drafts"][:4]] == [
        ("between", None, 11.0, 13.0, "%"),
        ("approximately", 5.0, None, None, "%"),
        ("more_than", 5000.0, None, None, "tấn"),
        ("more_than", 9720.0, None, None, "tấn"),
    ]
    poor = body["drafts"][5]
    assert poor["confidence"] < 0.6 and "three readings" in poor["warnings"][0]
    assert _targets(client, plan["id"]) == []


def test_apply_stores_the_accepted_drafts_with_the_next_codes(client, make):
    plan = make.plan()
    make.target(plan["id"], code="01")
    r = client.post(f"{API}/plans/{plan['id']}/parse?apply=true", json={"text": CLAUSES, "accept": [2, 3]})
    assert r.status_code == 200, r.text
    created = r.json()["created"]
    assert [(t["code"], t["title"], t["comparison"], t["value"]) for t in created] == [
        ("02", "Tổng sản lượng lương thực có hạt", "more_than", 5000.0),
        ("03", "Sản lượng rau", "more_than", 9720.0),
    ]
    assert len(_targets(client, plan["id"])) == 3


def test_apply_is_all_or_nothing(client, make):
    plan = make.plan()
    r = client.post(f"{API}/plans/{plan['id']}/parse?apply=true", json={"text": CLAUSES, "accept": [0, 99]})
    assert_problem(r, 422, fields={"accept"})
    assert _targets(client, plan["id"]) == []


def test_bad_input_is_a_problem(client, make):
    plan = make.plan()
    assert_problem(client.post(f"{API}/plans/{plan['id']}/parse", json={"text": ""}), 422, fields={"text"})
    assert_problem(client.post(f"{API}/plans/{plan['id']}/parse", json={"text": "a\x00b"}), 422, fields={"text"})
    assert_problem(client.post(f"{API}/plans/{plan['id']}/parse", json={"text": "x", "extra": 1}), 422, fields={"extra"})
    assert_problem(client.post(f"{API}/plans/999/parse", json={"text": "x"}), 404)


def test_unreadable_text_comes_back_unrecognised_or_skipped(client, make):
    plan = make.plan()
    body = client.post(f"{API}/plans/{plan['id']}/parse", json={"text": "Tăng cường công tác tuyên truyền."}).json()
    assert body["drafts"] == []
    pieces = body["unrecognised"] + body["skipped"]
    assert pieces and all(p["reason"] for p in pieces)


def test_cli_parse_prints_drafts_and_applies_to_a_plan(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'parse.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    text = tmp_path / "nq.txt"
    text.write_text(CLAUSES, encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["parse", str(text)])
    assert out.exit_code == 0, out.output
    assert "12 drafts, 0 unrecognised" in out.output
    assert runner.invoke(cli, ["seed", "--no-samples"]).exit_code == 0
    applied = runner.invoke(cli, ["parse", str(text), "--plan", "TPLS-2019", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "created 12 targets in plan TPLS-2019: 13, 14," in applied.output
