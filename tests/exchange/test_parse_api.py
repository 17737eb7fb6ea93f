"""POST /plans/{plan_id}/parse and `chitieu parse`: drafts first, storing only on request."""

from __future__ import annotations

import threading
import time

import anyio
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


# ---- issue 11: bounded parsing that never starves reads


def test_reads_keep_answering_while_the_parser_is_busy(client, anonymous, make, monkeypatch):
    """Parses held mid-way fill the worker's slots: no database connection is held by them, one more
    parse is refused at once (503, Retry-After), and reads answer meanwhile."""
    from app.exchange import parse_service

    plan = make.plan()
    app = client.app
    limit = app.state.settings.parse_concurrency
    release, entered = threading.Event(), threading.Semaphore(0)
    real = parse_service.parse_text_elsewhere

    async def held(*args, **kw):
        entered.release()
        assert await anyio.to_thread.run_sync(release.wait, 30)
        return await real(*args, **kw)

    monkeypatch.setattr(parse_service, "parse_text_elsewhere", held)
    answers: list = []
    url = f"{API}/plans/{plan['id']}/parse"
    workers = [threading.Thread(target=lambda: answers.append(anonymous.post(url, json={"text": CLAUSES})))
               for _ in range(limit)]
    for w in workers:
        w.start()
    try:
        for _ in range(limit):
            assert entered.acquire(timeout=10), "the parses did not start"
        assert app.state.engine.pool.checkedout() == 0  # the parses hold no connection
        busy = anonymous.post(url, json={"text": "Thu ngân sách tăng khoảng 5%."})
        assert_problem(busy, 503)
        assert busy.headers["Retry-After"].isdigit() and "already reading" in busy.json()["detail"]
        for _ in range(5):
            t0 = time.perf_counter()
            read = anonymous.get(f"{API}/plans/{plan['id']}")
            assert read.status_code == 200 and time.perf_counter() - t0 < 1.0
        assert anonymous.get(f"{API}/plans/{plan['id']}/targets").status_code == 200
    finally:
        release.set()
        for w in workers:
            w.join(30)
    assert [a.status_code for a in answers] == [200] * limit
    assert all(len(a.json()["drafts"]) == 12 for a in answers)
    assert anonymous.post(url, json={"text": "Thu ngân sách tăng khoảng 5%."}).status_code == 200  # slots freed


def test_parsing_past_the_time_limit_is_503(anonymous, make, monkeypatch):
    plan = make.plan()
    monkeypatch.setattr(anonymous.app.state.settings, "parse_time_limit_seconds", 0.0)
    r = anonymous.post(f"{API}/plans/{plan['id']}/parse", json={"text": CLAUSES})
    assert_problem(r, 503)
    assert r.headers["Retry-After"].isdigit() and "time limit" in r.json()["detail"]


def test_text_over_the_clause_limit_is_422_and_a_long_piece_is_unrecognised(anonymous, make):
    from app.exchange.parser import MAX_CLAUSE_CHARS, MAX_CLAUSES

    plan = make.plan()
    url = f"{API}/plans/{plan['id']}/parse"
    r = anonymous.post(url, json={"text": "tăng 1%, " * (MAX_CLAUSES + 1)})
    assert_problem(r, 422, fields={"text"})
    long = "Tỷ lệ " + "a 1%, " * (MAX_CLAUSE_CHARS // 6 + 1)
    body = anonymous.post(url, json={"text": long}).json()
    assert body["drafts"] == [] and "not read as one clause" in body["unrecognised"][0]["reason"]


def test_adversarial_text_at_the_size_limit_is_answered_quickly(anonymous, make):
    """The issue's 4 KB request took 6.2 s (cubic splitting); 200,000 characters now answer well within 2 s.
    A short text first: the worker's first parse starts the parsing process, a cost paid once, not by the text
    (run alone on a slow machine, the first request took 2.4 s, and 1.25 s after other parses)."""
    plan = make.plan()
    assert anonymous.post(f"{API}/plans/{plan['id']}/parse", json={"text": "tăng 1%"}).status_code == 200
    text = ("tăng 1%, " * 30_000)[:200_000]
    t0 = time.perf_counter()
    r = anonymous.post(f"{API}/plans/{plan['id']}/parse", json={"text": text})
    assert r.status_code == 422 and time.perf_counter() - t0 < 2.0
    small = ("tăng 1%, " * 555)
    t0 = time.perf_counter()
    r = anonymous.post(f"{API}/plans/{plan['id']}/parse", json={"text": small})
    assert r.status_code == 200 and len(r.json()["drafts"]) == 555 and time.perf_counter() - t0 < 2.0


def test_the_openapi_document_states_the_parsing_limits(anonymous):
    operation = anonymous.get("/openapi.json").json()["paths"]["/api/v1/plans/{plan_id}/parse"]["post"]
    assert "200,000 characters" in operation["description"] and "503" in operation["responses"]
    assert "Retry-After" in operation["description"]


def test_sentences_without_a_target_come_back_skipped_with_the_reason(anonymous, make):
    plan = make.plan()
    text = ("Tại kỳ họp, 100% đại biểu có mặt đã biểu quyết tán thành.\n"
            "Nghị quyết có hiệu lực thi hành kể từ ngày 01 tháng 01 năm 2025.\n"
            "Kết quả thực hiện năm 2023: thu ngân sách đạt 1.150 tỷ đồng, bằng 112% dự toán.\n"
            "Chỉ tiêu năm 2024:\n"
            "Thu ngân sách đạt 1.250 tỷ đồng.")
    body = anonymous.post(f"{API}/plans/{plan['id']}/parse", json={"text": text}).json()
    assert [(d["comparison"], d["value"], d["unit"]) for d in body["drafts"]] == [("at_least", 1250.0, "tỷ đồng")]
    reasons = {s["text"]: s["reason"] for s in body["skipped"]}
    assert "a vote" in reasons["Tại kỳ họp, 100% đại biểu có mặt đã biểu quyết tán thành"]
    assert "entry into force" in reasons["Nghị quyết có hiệu lực thi hành kể từ ngày 01 tháng 01 năm 2025"]
    assert "results" in reasons["thu ngân sách đạt 1.150 tỷ đồng, bằng 112% dự toán"]


def test_a_change_without_its_baseline_is_drafted_but_not_applied(client, make):
    plan = make.plan()
    text = "Giá trị sản xuất công nghiệp tăng 1,6 lần so với năm 2020.\nThu ngân sách tăng 1,5 lần (đạt 3.000 tỷ đồng)."
    url = f"{API}/plans/{plan['id']}/parse"
    drafts = client.post(url, json={"text": text}).json()["drafts"]
    assert [(d["comparison"], d["change_basis"], d["value"], d["baseline_value"], d["unit"]) for d in drafts] == [
        ("change", "factor", 1.6, None, ""), ("change", "factor", 1.5, 2000.0, "tỷ đồng")]
    assert_problem(client.post(url, params={"apply": "true"}, json={"text": text}), 422, fields={"accept"})
    assert _targets(client, plan["id"]) == []
    created = client.post(url, params={"apply": "true"}, json={"text": text, "accept": [1]}).json()["created"]
    assert [(t["change_basis"], t["value"], t["baseline_value"]) for t in created] == [("factor", 1.5, 2000.0)]


def test_the_answer_made_in_the_parsing_process_is_the_documented_model():
    """The parsing process writes the answer's JSON itself; it must read back as ParseResponse, field for field."""
    import json
    from dataclasses import asdict

    from app.exchange.models import DraftOut, ParseResponse
    from app.exchange.parse_router import _answer
    from app.exchange.parser import parse_resolution

    text = CLAUSES + "\nGiá trị sản xuất công nghiệp tăng 1,6 lần so với năm 2020.\nNghị quyết có hiệu lực từ ngày 10/12/2024."
    result = parse_resolution(text)
    made = json.loads(_answer(result.json_parts(), False, []))
    model = ParseResponse(
        drafts=[DraftOut.model_validate({**asdict(d), "index": i}) for i, d in enumerate(result.drafts)],
        unrecognised=[{"text": u.text, "reason": u.reason} for u in result.unrecognised],
        skipped=[{"text": s.text, "reason": s.reason} for s in result.skipped],
        applied=False, created=[])
    assert made == json.loads(model.model_dump_json())
    assert ParseResponse.model_validate(made) == model


def test_a_parse_past_the_hard_limit_has_its_process_killed_and_the_next_parse_works():
    import asyncio

    import pytest

    from app.exchange import parse_service
    from app.exchange.parser import Budget, ParseTimeout

    slow = "Tỷ lệ " + "giảm " * 390 + "5%.\n"
    text = (slow * 200)[:190_000]  # about a second of work, no deadline inside
    with pytest.raises(ParseTimeout):
        asyncio.run(parse_service.parse_text_elsewhere(text, Budget(), processes=1, hard_limit=0.05))
    assert parse_service._pool is None  # killed and dropped
    parts, result = asyncio.run(parse_service.parse_text_elsewhere(
        "Thu ngân sách tăng khoảng 5%.", Budget(), processes=1, hard_limit=30, keep=True))
    assert '"comparison": "approximately"' in parts and result.drafts[0].value == 5.0
