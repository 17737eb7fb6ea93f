"""Issue 16, item 2, proved: a Python client generated from /openapi.json by openapi-python-client works.

Generated once per test session (about two seconds) into a temporary folder, imported, and used
against the app served by a real uvicorn on loopback (both databases): create an organisation, a
plan and a target, submit a figure, read the target's status, and meet a problem as a typed model.
The method names are the operation ids (`create_submission`, `get_target_status`).
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import uvicorn

from app.config import Settings
from app.main import create_app
from tests.conftest import new_key

PACKAGE = "chitieu_client"


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The generated client package, imported (one generation per session)."""
    cli = shutil.which("openapi-python-client", path=os.path.dirname(sys.executable)) or shutil.which("openapi-python-client")
    if cli is None:
        pytest.fail("openapi-python-client is not installed: pip install -e '.[test]'")
    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    app = create_app(Settings(database_url=f"sqlite:///{folder / 'spec.db'}"))
    spec.write_text(json.dumps(app.openapi()), encoding="utf-8")
    app.state.engine.dispose()
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}  # its ruff
    done = subprocess.run(
        [cli, "generate", "--path", str(spec), "--meta", "none", "--output-path", str(folder / PACKAGE)],
        capture_output=True, text=True, timeout=120, env=env, cwd=folder,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The SVG answers are the only parts the generator leaves out (it has no image/svg+xml support).
    warned = [line for line in done.stdout.splitlines() if line.startswith("WARNING parsing")]
    assert all(line.split()[3].endswith(".svg") for line in warned), done.stdout
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def served(app):
    """The test's app on a real uvicorn, on a free loopback port, in a thread of this process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_a_generated_client_creates_a_target_submits_a_figure_and_reads_the_status(generated, app, served):
    m = lambda name: importlib.import_module(f"{PACKAGE}.{name}")  # noqa: E731
    models = m("models")
    create_organization = m("api.organizations.create_organization")
    create_plan = m("api.plans.create_plan")
    create_target = m("api.targets.create_target")
    create_submission = m("api.submissions.create_submission")
    get_target_status = m("api.status.get_target_status")
    get_target = m("api.targets.get_target")

    client = generated.AuthenticatedClient(base_url=served, token=new_key(app, "admin"), raise_on_unexpected_status=True)
    with client:
        org = create_organization.sync(client=client, body=models.OrganizationCreate(code="P-CHILANG", name="Phường Chi Lăng"))
        assert isinstance(org, models.OrganizationPublic) and org.id >= 1
        plan = create_plan.sync(client=client, body=models.PlanCreate(
            code="NQ-2019", title="Nghị quyết năm 2019", organization_id=org.id,
            start_date=datetime.date(2019, 1, 1), end_date=datetime.date(2019, 12, 31), state=models.PlanState.ACTIVE,
        ))
        assert isinstance(plan, models.PlanPublic), plan
        created = create_target.sync_detailed(plan.id, client=client, body=models.TargetCreate(
            code="01", title="Tỷ lệ hộ dùng nước sạch", comparison=models.Comparison.AT_LEAST, value=90.0, unit="%",
        ))
        assert created.status_code == 201
        target = created.parsed
        assert isinstance(target, models.TargetPublic) and target.value == 90.0
        assert created.headers["location"] == f"/api/v1/targets/{target.id}"

        figure = create_submission.sync(target.id, client=client, idempotency_key="gen-client-1", body=models.SubmissionIn(
            value=92.5, period_date=datetime.date(2019, 12, 31), organization_id=org.id,
        ))
        assert isinstance(figure, models.SubmissionPublic) and figure.value == 92.5

        status = get_target_status.sync(target.id, client=client, as_of=datetime.date(2019, 12, 31),
                                        lang=models.Language.EN)
        assert isinstance(status, models.TargetStatus), status
        assert status.status == models.Status.EXCEEDED and status.measured == 92.5  # at least 90
        assert figure.id in status.submission_ids and "92.5%" in status.message

        # a conflict comes back as the typed Problem, with its extension member
        again = create_submission.sync_detailed(target.id, client=client, body=models.SubmissionIn(
            value=93.0, period_date=datetime.date(2019, 12, 31), organization_id=org.id,
        ))
        assert again.status_code == 409 and isinstance(again.parsed, models.Problem)
        assert again.parsed.additional_properties["existing_submission_id"] == figure.id

        # the ETag round trip through the generated client's headers
        read = get_target.sync_detailed(target.id, client=client)
        assert read.headers["etag"] == created.headers["etag"]
