"""One home for each fact: the model table, the core/view boundary, declared dependencies."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import tomllib

from claude_magic import models, pricing
from claude_magic.errors import ExchangeFailed, explain

ROOT = Path(__file__).resolve().parents[1]


def test_pricing_and_the_simulator_read_the_model_table():
    from claude_magic.offline import catalog

    assert catalog.MODELS is models.MODELS
    assert pricing.PRICES == {m.id: m.price for m in models.MODELS.values() if m.price}
    assert pricing.PRICES_AS_OF == models.PRICES_AS_OF


def test_a_model_added_to_the_table_is_served_priced_and_checked(monkeypatch):
    """Adding one row is enough: the simulator serves it, pricing prices it, the magic's
    early checks and error messages know it."""
    from claude_magic.offline import Simulator
    from claude_magic.request import RequestOptions, check_for_model

    new = replace(models.MODELS["claude-haiku-5-5"], id="claude-haiku-6", aliases=())
    monkeypatch.setitem(models.MODELS, new.id, new)
    monkeypatch.setattr(models, "_ALL", [new, *models._ALL])
    monkeypatch.setattr(pricing, "_active", {**pricing._active, new.id: new.price})
    client = Simulator().client()
    assert client.models.retrieve("claude-haiku-6").max_tokens == new.max_tokens
    reply = client.messages.create(
        model="claude-haiku-6", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
    )
    assert pricing.cost_usd(reply.model, reply.usage.model_dump()) > 0
    with pytest.raises(ValueError, match="claude-haiku-6 can write"):
        check_for_model(RequestOptions(model="claude-haiku-6", max_tokens=10**6))
    assert "claude-haiku-6" in models.suggest(limit=20)


def test_a_404_is_an_unknown_model_only_when_the_api_says_so():
    """A wrong ANTHROPIC_BASE_URL path is a 404 too, but not an unknown model."""
    import anthropic

    from claude_magic.chat import Chat
    from claude_magic.exchange import Exchange
    from claude_magic.offline import Simulator, serve
    from claude_magic.protocol import NullView
    from claude_magic.request import RequestOptions, user_message

    with serve(Simulator()) as server:
        for base_url, model, expected in (
            (server.url + "/wrong/prefix", "claude-sonnet-5-5", "Not found (404)"),
            (server.url, "claude-nonexistent-9", "Unknown model 'claude-nonexistent-9'"),
        ):
            client = anthropic.Anthropic(api_key="x", base_url=base_url, max_retries=0)
            exchange = Exchange(
                client=client,
                chat=Chat("x"),
                user=user_message("hi"),
                options=RequestOptions(model=model, max_tokens=10),
                view=NullView(),
                offline=False,
            )
            with pytest.raises(ExchangeFailed, match=re.escape(expected)) as caught:
                exchange.run()
            if expected.startswith("Not found"):
                assert "Unknown model" not in str(caught.value)
                assert "ANTHROPIC_BASE_URL" in str(caught.value)
    assert "Unknown model" not in explain(KeyError("x"), model="m", offline=True)


def test_the_core_does_not_import_the_views():
    code = (
        "import sys, claude_magic.exchange, claude_magic.tools, claude_magic.chat, "
        "claude_magic.replay, claude_magic.budget, claude_magic.session\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('claude_magic.views', 'IPython', "
        "'ipywidgets', 'anywidget')))\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# import name -> distribution name, where they differ
_DISTRIBUTIONS = {
    "IPython": "ipython",
    "markdown_it": "markdown-it-py",
    "mdit_py_plugins": "mdit-py-plugins",
    "pydantic_core": "pydantic",
    "yaml": "pyyaml",
    "PIL": "pillow",
}


def test_every_package_the_code_imports_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    stdlib = set(sys.stdlib_module_names)
    imported: set[str] = set()
    for path in (ROOT / "claude_magic").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {name for name in imported if name not in stdlib and name != "claude_magic"}
    missing = {
        name for name in third_party if _DISTRIBUTIONS.get(name, name).lower() not in declared
    }
    assert not missing, f"imported but not in pyproject dependencies: {sorted(missing)}"


def test_public_functions_show_their_own_signature_and_load_lazily():
    """`claude_magic.batch` is the function itself (Shift-Tab shows its keywords), imported
    only when first used, so `%load_ext` does not pay for pandas."""
    import subprocess
    import sys

    code = (
        "import inspect, sys, claude_magic\n"
        "assert 'pandas' not in sys.modules and 'claude_magic.batching' not in sys.modules\n"
        "assert 'concurrency' in inspect.signature(claude_magic.batch).parameters\n"
        "assert 'cache' in inspect.signature(claude_magic.reprice).parameters\n"
        "assert set(claude_magic.__all__) <= set(dir(claude_magic))\n"
        "from claude_magic import batch_job, set_prices\n"
        "assert batch_job.__module__ == 'claude_magic.batching'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
