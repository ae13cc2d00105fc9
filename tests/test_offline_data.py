"""The suite runs from any clone: test data lives in tests/data, no absolute machine paths."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
MACHINE_PATH = "/" + "work" + "/"  # the shared machine's absolute root, spelled apart


def test_samples_are_in_the_repository():
    for name in ("basic_text_stream.sse", "fragment_thinking_display_omitted.sse",
                 "error_event.sse", "refusal_message.json"):
        assert (DATA / name).is_file(), name
        assert name in (DATA / "README.md").read_text()


def test_no_absolute_machine_paths_in_the_repository():
    found = []
    for folder in ("claude_magic", "tests", "benchmarks", "scripts", "docs", "notebooks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".md", ".ipynb", ".sh", ".toml", ".txt"}:
                text = path.read_text(errors="replace")
                if MACHINE_PATH in text:
                    found.append(str(path.relative_to(ROOT)))
    for path in ROOT.glob("*.*"):
        if path.is_file() and not path.name.startswith(".") and MACHINE_PATH in path.read_text(
            errors="replace"
        ):
            found.append(path.name)
    assert found == []
