"""Issue 16, item 9: the `chitieu` command answers database problems in a line or two with the fix, exits
non-zero, `seed` migrates an empty database, and the command and the server read the same settings
(the environment, or a .env file) so that a key made in a shell works on the server that shell starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings

CHITIEU = str(Path(sys.executable).parent / "chitieu")


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A clean working directory (no .env) and the settings' variables unset."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "DATABASE_APP_ROLE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str, **env: str):
    result = CliRunner().invoke(cli, list(args), env=env or None)
    return result.exit_code, result.output


def short(output: str) -> bool:
    return 1 <= len(output.strip().splitlines()) <= 2 and "Traceback" not in output


@pytest.mark.parametrize("command", [["keys", "create", "--quiet"], ["keys", "list"], ["purge"], ["import", "f.csv", "--plan", "P"]])
def test_on_a_new_database_every_command_says_to_migrate(env, command):
    url = f"sqlite:///{env / 'new.db'}"
    code, output = run(*command, DATABASE_URL=url)
    assert code != 0 and short(output), output
    assert "run `chitieu migrate`" in output and "new.db" in output


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://nobody@127.0.0.1:1/nothing", "Connection refused"),
        ("sqlite:////no/such/directory/x.db", "unable to open database file"),
        ("not a url", "Could not parse"),
    ],
)
def test_a_wrong_database_url_is_one_line_and_the_fix(env, url, reason):
    for command in (["seed"], ["keys", "create"]):
        code, output = run(*command, DATABASE_URL=url)
        assert code == 2 and short(output), output
        assert reason in output and "Set DATABASE_URL" in output


def test_seed_migrates_an_empty_database_then_keys_work(env):
    url = f"sqlite:///{env / 'fresh.db'}"
    code, output = run("seed", "--no-samples", DATABASE_URL=url)
    assert code == 0, output
    assert "was empty: migrated it" in output and "seed loaded into" in output and "fresh.db" in output
    code, output = run("keys", "create", "--quiet", DATABASE_URL=url)
    assert code == 0 and output.strip().startswith("ct_"), output


def test_the_installed_command_never_prints_a_traceback(env):
    """Through the real entry point (main), including an error the checks before a command do not foresee."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATION_DATABASE_URL")}
    environment["DATABASE_URL"] = f"sqlite:///{env / 'x.db'}"
    new = subprocess.run([CHITIEU, "keys", "create"], env=environment, capture_output=True, text=True, cwd=env, timeout=120)
    assert new.returncode == 1 and short(new.stderr) and "chitieu migrate" in new.stderr, new.stderr
    # parse --apply is not checked first: the missing table is still one line
    text = env / "clauses.txt"
    text.write_text("Tỷ lệ hộ nghèo giảm còn dưới 2%.\n", encoding="utf-8")
    parse = subprocess.run(
        [CHITIEU, "parse", str(text), "--plan", "P", "--apply"], env=environment, capture_output=True, text=True, cwd=env, timeout=120
    )
    assert parse.returncode == 1 and short(parse.stderr) and "chitieu migrate" in parse.stderr, parse.stderr
    environment["TIMEZONE"] = "Mars/Olympus"
    zone = subprocess.run([CHITIEU, "migrate"], env=environment, capture_output=True, text=True, cwd=env, timeout=120)
    assert zone.returncode == 2 and short(zone.stderr) and "timezone" in zone.stderr, zone.stderr


def test_a_key_made_in_a_shell_works_on_the_server_of_that_shell(env, monkeypatch):
    """Both read .env from the working directory: the key made by the command opens the server's key routes."""
    (env / ".env").write_text(f"DATABASE_URL=sqlite:///{env / 'from-dotenv.db'}\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATION_DATABASE_URL")}
    seeded = subprocess.run([CHITIEU, "seed", "--no-samples"], env=environment, capture_output=True, text=True, cwd=env, timeout=300)
    assert seeded.returncode == 0 and "from-dotenv.db" in seeded.stdout, seeded.stderr
    made = subprocess.run([CHITIEU, "keys", "create", "--quiet"], env=environment, capture_output=True, text=True, cwd=env, timeout=120)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    from app.main import create_app

    settings = Settings()
    assert settings.database_url.endswith("from-dotenv.db")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/api-keys", headers={"Authorization": "Bearer ct_unknown"}).status_code == 401
        keys = client.get("/api/v1/api-keys", headers={"Authorization": f"Bearer {key}"})
        assert keys.status_code == 200 and keys.json()["total"] == 1, keys.text
