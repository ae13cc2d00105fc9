"""The committed option reference is what the parser prints (it cannot go stale)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_options_is_generated_from_the_parser():
    env = {**os.environ, "COLUMNS": "80"}
    generated = subprocess.run(
        [sys.executable, "-m", "claude_magic.reference"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    ).stdout
    committed = (ROOT / "docs" / "options.md").read_text()
    assert committed == generated, (
        "docs/options.md is stale: COLUMNS=80 python -m claude_magic.reference > docs/options.md"
    )
