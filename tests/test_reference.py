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


def test_help_starts_with_the_usage_and_states_the_subcommand_rule():
    from claude_magic.commands import PROMPT_RULE, SUBCOMMANDS

    committed = (ROOT / "docs" / "options.md").read_text()
    block = committed.split("```text\n", 1)[1]
    assert block.startswith("usage: %claude [-m MODEL]")
    assert "::" not in committed
    assert PROMPT_RULE in committed
    assert all(f"  {spec.usage}" in committed for spec in SUBCOMMANDS.values())


def test_readme_curl_example_works_against_the_loopback_simulator():
    """The README's curl command, replayed with the same headers and body."""
    import json
    import re
    import urllib.request

    from claude_magic.offline import serve

    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^curl (\S+)(.*?)'\s*$", readme, re.M | re.S)
    assert command, "README has no curl example"
    url, rest = command.group(1), command.group(2)
    headers = dict(h.split(": ", 1) for h in re.findall(r'-H "([^"]+)"', rest))
    body = rest.split("-d '", 1)[1]
    with serve(port=0) as server:
        request = urllib.request.Request(
            url.replace("http://127.0.0.1:8765", server.url),
            data=body.encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.loads(response.read())
    assert reply["type"] == "message" and reply["role"] == "assistant"


def test_each_subcommand_usage_names_its_arguments():
    """The hand-written usage lines (kept so %load_ext builds no parser) match the parsers."""
    from claude_magic.commands import SUBCOMMANDS

    for spec in SUBCOMMANDS.values():
        if spec.raw:
            continue
        for action in spec.parser._actions:
            names = action.option_strings or [action.metavar or action.dest]
            assert any(name in spec.usage.split(" ", 2)[-1] for name in names), (spec.usage, names)
        assert spec.parser.format_usage() == f"usage: {spec.usage}\n"
