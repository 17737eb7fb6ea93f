"""A change by a factor through the API (issue 11): created, judged, exported and imported."""

from __future__ import annotations

import csv
import io

from tests.api.helpers import API
from tests.exchange.test_export import export
from tests.exchange.test_import import app, csv_bytes, imported  # noqa: F401 - the app fixture with the import routes


def test_a_factor_target_is_stored_judged_exported_and_imported(client, make):
    plan = make.plan()
    target = make.target(plan["id"], code="F1", title="Giá trị sản xuất công nghiệp", unit="tỷ đồng",
                         comparison="change", value=1.6, baseline_value=2000, change_basis="factor")
    assert target["change_basis"] == "factor"
    org = plan["organization_id"]
    make.submission(target["id"], organization_id=org, period_date="2019-12-31", value=3300)
    status = client.get(f"{API}/targets/{target['id']}/status", params={"as_of": "2020-01-31"}).json()
    assert status["status"] == "exceeded", status
    assert status["explanation"]["change_basis"] == "factor" and abs(status["explanation"]["change"] - 1.65) < 1e-9
    bad = client.post(f"{API}/plans/{plan['id']}/targets", json={
        "code": "F2", "title": "x", "unit": "", "comparison": "change", "value": 2, "baseline_value": 0,
        "change_basis": "factor"})
    assert bad.status_code == 422 and "baseline_value" in bad.text

    rows = list(csv.DictReader(io.StringIO(export(client, plan["id"], "targets", "csv").content[3:].decode())))
    assert [r for r in rows if "factor" in r.values()], rows

    other = make.plan()
    header = ["code", "title", "unit", "comparison", "value", "baseline_value", "change_basis"]
    report = imported(client, other["id"], "targets", csv_bytes([header, ["G1", "Kim ngạch xuất khẩu", "", "change",
                                                                          "1,5", "200", "factor"]]))
    assert report["counts"]["created"] == 1, report
    stored = client.get(f"{API}/plans/{other['id']}/targets").json()["items"][0]
    assert (stored["change_basis"], stored["value"], stored["baseline_value"]) == ("factor", 1.5, 200.0)


def test_the_openapi_document_lists_factor(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "factor" in schemas["ChangeBasis"]["enum"]
