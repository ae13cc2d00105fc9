"""Every test starts with no credentials, an instant simulator and a fresh session."""

from __future__ import annotations

import pytest

from tests.kernel import SCRUBBED_ENV


@pytest.fixture(autouse=True)
def _offline_environment(monkeypatch, tmp_path):
    for name in SCRUBBED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAUDE_MAGIC_OFFLINE_TOKEN_RATE", "0")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "anthropic"))
    from claude_magic import session

    monkeypatch.setattr(session, "_current", None)


@pytest.fixture
def ipython():
    """IPython's test shell (one per process) with claude_magic loaded and the text view."""
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython() or _current_shell()
    shell.run_line_magic("load_ext", "claude_magic")
    shell.run_line_magic("config", "ClaudeMagics.view = 'text'")
    return shell


def _current_shell():
    from IPython import get_ipython

    return get_ipython()
