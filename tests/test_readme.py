"""The README's walk-through runs verbatim against a live server (issue 16, "done when").

Every `sh` block from "A walk through with curl" up to "Configuration" is run, in order, as one bash
script (so KEY, T and ETAG carry over), with `set -e -o pipefail`: a command that fails, or a
`json.tool` given something that is not JSON, fails the test. A plain fenced block right after a `sh`
block is that block's output as the README shows it, and must be what the commands print (up to a
line `...`, which stands for the rest). The only changes to the text: the port (a free one, not
8000) and the working directory (a temporary one holding `.venv` and `seed_data` as links to this
checkout, so the files the README writes land there), and WEBHOOKS_ALLOW_PRIVATE=true, as `make run` sets it. The server is `chitieu serve` on a new SQLite
database loaded by `chitieu seed`, as `make run` does.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FIRST, LAST = "## A walk through with curl", "## Configuration"
MARK = "@@README-BLOCK {}@@"


def walkthrough(text: str) -> list[tuple[str, list[str] | None]]:
    """The (script, shown output or None) of each `sh` block between FIRST and LAST."""
    part = text[text.index(FIRST) : text.index(LAST)]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", part, flags=re.S | re.M)
    out: list[tuple[str, list[str] | None]] = []
    for language, body in blocks:
        if language == "sh":
            out.append((body, None))
        elif language == "" and out and out[-1][1] is None:
            out[-1] = (out[-1][0], body.rstrip("\n").splitlines())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_walkthrough_finds_its_blocks():
    blocks = walkthrough(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    assert sum(shown is not None for _, shown in blocks) >= 2  # the mid-year review, the wards' roll-up


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_the_readme_walkthrough_runs_verbatim_against_a_live_server(tmp_path):
    venv = Path(sys.executable).parent.parent
    (tmp_path / ".venv").symlink_to(venv)
    (tmp_path / "seed_data").symlink_to(ROOT / "seed_data")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "DATABASE_APP_ROLE")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'readme.db'}"
    env["WEBHOOKS_ALLOW_PRIVATE"] = "true"  # as `make run` sets it: the webhook example's receiver is on loopback
    chitieu = str(venv / "bin" / "chitieu")
    seeded = subprocess.run([chitieu, "seed"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [chitieu, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        blocks = walkthrough(README.read_text(encoding="utf-8"))
        script = ["set -e -o pipefail"]
        for number, (body, _) in enumerate(blocks):
            # on a line of its own even after an answer printed without a final newline
            script += [f"printf '\\n{MARK.format(number)}\\n'", body.replace("127.0.0.1:8000", f"127.0.0.1:{port}")]
        run = subprocess.run(
            ["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        printed = re.split(r"^@@README-BLOCK (\d+)@@\n", run.stdout, flags=re.M)
        outputs = {int(printed[i]): printed[i + 1] for i in range(1, len(printed) - 1, 2)}
        assert run.returncode == 0, f"block {max(outputs, default=-1)} failed:\n{run.stderr[-3000:]}\n{run.stdout[-3000:]}"
        assert len(outputs) == len(blocks)
        for number, (body, shown) in enumerate(blocks):
            if shown is None:
                continue
            expected = shown[: shown.index("...")] if "..." in shown else shown
            got = outputs[number].strip("\n").splitlines()
            assert got[: len(expected)] == expected, f"the README shows another output for:\n{body}\nGOT:\n" + "\n".join(got)
            if "..." not in shown:
                assert len(got) == len(expected), f"more output than the README shows for:\n{body}"
        log.flush()
        served = (tmp_path / "server.log").read_text()
        assert "Traceback" not in served and '" 500' not in served, served[-3000:]
        assert f"serving the database sqlite:///{tmp_path / 'readme.db'}" in served
        assert f"http://127.0.0.1:{port}/docs" in served
        # the README's files were written here, not into the checkout
        assert (tmp_path / "figures.csv").exists() and (tmp_path / "status.xlsx").exists()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            server.kill()
        log.close()
