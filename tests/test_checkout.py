"""Issue 16, item 10: what the checkout promises about itself: `make clean` cleans, the README's files are
ignored by git, the Makefile and the README give one duration for the benchmark, and the Docker image
runs code its user cannot change (a non-editable install as root; the daemon is not needed to read that)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_clean_leaves_nothing_it_made(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    made = [".venv", ".pytest_cache", ".hypothesis", "chitieu.egg-info", "build"]
    for name in made:
        (tmp_path / name).mkdir()
        (tmp_path / name / "x").write_text("x")
    for name in ("chitieu.db", "chitieu.db-wal", "chitieu.db-shm"):
        (tmp_path / name).write_text("x")
    subprocess.run(["make", "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Makefile"]


def readme_outputs() -> set[str]:
    """The files the README's commands write: `-o FILE` and `> FILE`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shell = "\n".join(re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M))
    return set(re.findall(r"(?:-o|>)\s+([\w.-]+\.\w+)\b", shell)) - {"null"}


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_the_files_the_readme_writes_are_ignored_by_git():
    files = readme_outputs()
    assert {"figures.csv", "status.xlsx", "report.docx"} <= files
    ignored = subprocess.run(["git", "check-ignore", *sorted(files)], cwd=ROOT, capture_output=True, text=True)
    assert set(ignored.stdout.split()) == files


def test_the_makefile_and_the_readme_give_one_duration_for_the_benchmark():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"^# Takes about (\d+) minutes", makefile, flags=re.M)
    assert said, "the Makefile says how long `make bench` takes"
    assert f"`make bench` (about {said.group(1)} minutes" in readme


def test_the_image_runs_code_its_user_cannot_change():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    install = next(i for i, line in enumerate(lines) if "make install" in line)
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert "EDITABLE=" in lines[install] and "EDITABLE=-e" not in lines[install]  # a copy, not a link to the sources
    assert install < user, "installed as root, before the runtime user takes over"
    assert not any(line.startswith("COPY --chown") for line in lines), "the code stays root's"
    assert any("chown chitieu:chitieu /app/data" in line for line in lines), "only the data directory is the user's"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet $(EDITABLE) ." in makefile and "EDITABLE ?= -e" in makefile
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker exec -it <container> .venv/bin/chitieu keys create" in readme
