"""`%%claude` edge cases on IPython's in-process test shell (fast; no kernel needed)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

import claude_magic
from claude_magic.errors import ExchangeFailed
from claude_magic.notebook import chats_from_notebook


def sent() -> list[dict]:
    return [r.json for r in claude_magic.simulator().requests if r.path == "/v1/messages"]


def test_new_empties_the_chat_only_when_the_turn_commits(ipython):
    ipython.run_cell_magic("claude", "", "first")
    ipython.run_cell_magic("claude", "--new --dry-run", "preview")
    assert len(claude_magic.get_chat()) == 1  # a dry run changes nothing
    claude_magic.simulator().fail_next(1, status=400)
    with pytest.raises(ExchangeFailed):
        ipython.run_cell_magic("claude", "--new", "start over")
    assert len(claude_magic.get_chat()) == 1  # a failed --new changes nothing either
    ipython.run_cell_magic("claude", "--new", "start over")
    chat = claude_magic.get_chat()
    assert len(chat) == 1 and chat.messages[0]["content"][0]["text"] == "start over"
    assert len(sent()[-1]["messages"]) == 1  # no history was sent


@pytest.mark.parametrize(
    "line",
    [
        "help me write a haiku",
        "reset the variables in my head please",
        "tools for data science",
        "usage of numpy arrays",
        "export this table as csv",
    ],
)
def test_a_prompt_that_starts_like_a_subcommand_is_a_prompt(ipython, line):
    ipython.run_line_magic("claude", line)
    assert sent()[-1]["messages"][-1]["content"][0]["text"] == line


def test_subcommands_still_work(ipython, capsys, tmp_path):
    ipython.run_cell_magic("claude", "-c notes", "hello")
    ipython.run_line_magic("claude", "reset notes")
    assert "empty" in capsys.readouterr().out and len(claude_magic.get_chat("notes")) == 0
    ipython.run_line_magic("claude", "help")
    assert "--max-tokens" in capsys.readouterr().out
    with pytest.raises(UsageError, match="give the next turn"):
        ipython.run_line_magic("claude", "count")


def test_export_quotes_chat_names_and_restores(ipython, tmp_path):
    ipython.run_cell_magic("claude", "-c 'my chat'", "hello there")
    path = tmp_path / "out.ipynb"
    claude_magic.export(path, chat="my chat")
    (chat,) = chats_from_notebook(path)
    assert chat.name == "my chat" and chat.messages == claude_magic.get_chat("my chat").messages
    import nbformat

    cell = nbformat.read(path, as_version=4).cells[2]
    assert cell.source.startswith("%%claude -c 'my chat'\n")


@pytest.mark.parametrize(
    "line, message",
    [
        ("--max-iterations 0", "at least 1"),
        ("--stop ''", "non-blank"),
        ("-c ''", "needs a name"),
        ("--max-token 5", "unrecognized"),
        ("-o 1bad", "variable name"),
    ],
)
def test_bad_values_fail_before_sending(ipython, line, message):
    with pytest.raises(UsageError, match=message):
        ipython.run_cell_magic("claude", line, "hi")
    assert sent() == []
