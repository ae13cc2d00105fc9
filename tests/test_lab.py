"""`scripts/lab.sh` opens a git-ignored working copy of the tutorials, never notebooks/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY = ROOT / "scripts" / "lab_copy.py"


def lab_copy(source: Path, target: Path) -> str:
    return subprocess.run(
        [sys.executable, str(COPY), str(source), str(target)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_lab_sh_opens_the_working_copy():
    script = (ROOT / "scripts" / "lab.sh").read_text()
    commands = [line.strip() for line in script.splitlines() if not line.startswith("#")]
    assert "python scripts/lab_copy.py notebooks lab" in commands
    assert commands[-1] == 'exec python -m jupyter lab lab/ "$@"'
    assert "/lab/" in (ROOT / ".gitignore").read_text().split()


def test_first_run_copies_later_runs_add_and_never_clobber(tmp_path):
    source, target = tmp_path / "notebooks", tmp_path / "lab"
    source.mkdir()
    (source / "00_intro.ipynb").write_text("intro v1")
    (source / "01_tools.ipynb").write_text("tools v1")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "00_intro-checkpoint.ipynb").write_text("stale")
    assert "copied 00_intro.ipynb, 01_tools.ipynb" in lab_copy(source, target)
    assert (target / "00_intro.ipynb").read_text() == "intro v1"
    assert not (target / ".ipynb_checkpoints").exists()

    (target / "00_intro.ipynb").write_text("intro v1, run and edited by the student")
    (source / "00_intro.ipynb").write_text("intro v2")
    (source / "01_tools.ipynb").write_text("tools v2")
    (source / "02_new.ipynb").write_text("new lesson")
    out = lab_copy(source, target)
    assert (target / "00_intro.ipynb").read_text() == "intro v1, run and edited by the student"
    assert "kept your edited 00_intro.ipynb" in out
    assert (target / "01_tools.ipynb").read_text() == "tools v2"  # untouched: updated
    assert (target / "02_new.ipynb").read_text() == "new lesson"
    assert lab_copy(source, target).count("kept") == 1  # nothing else to do
