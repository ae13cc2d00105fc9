"""`%%claude` edge cases on IPython's in-process test shell (fast; no kernel needed)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

import claude_magic
from claude_magic.errors import ExchangeFailed
from claude_magic.notebook import chats_from_notebook
from claude_magic.structured import ReplyMismatch


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
    "line, message",
    [
        ("help me write a haiku", "unrecognized arguments: write a haiku"),
        ("help me", "no subcommand 'me'; the subcommands are help, chats"),
        ("reset typo", "no chat named 'typo'"),
        ("reset the variables in my head please", "unrecognized arguments"),
        ("tools zz", "No function named 'zz'"),
        ("tools for data science", "No function named 'for'"),
        ("restore missing.ipynb", "no such notebook file: missing.ipynb"),
        ('export "my chat" out.ipynb', "chat 'my chat' has no turns"),
        ("export this table as csv", "unrecognized arguments"),
        ("usage of numpy arrays", "unrecognized arguments"),
        ("chats please", "unrecognized arguments"),
    ],
)
def test_a_subcommand_word_first_means_the_subcommand(
    ipython, tmp_path, monkeypatch, line, message
):
    """Bad arguments: one line that says what is wrong and how to send a prompt; no call."""
    monkeypatch.chdir(tmp_path)
    ipython.run_cell_magic("claude", "", "a turn in the default chat")
    before = len(sent())
    with pytest.raises(UsageError) as info:
        ipython.run_line_magic("claude", line)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert text.startswith(f"%claude {line.split()[0]}")
    assert text.endswith(f"To send this line as a prompt instead: %claude -- {line}")
    assert len(sent()) == before
    assert not (tmp_path / "out.ipynb").exists()


def test_double_dash_sends_a_prompt_that_starts_with_a_subcommand_word(ipython):
    ipython.run_line_magic("claude", "-- help me write a haiku")
    assert sent()[-1]["messages"][-1]["content"][0]["text"] == "help me write a haiku"
    ipython.run_line_magic("claude", "-c poems -- usage of numpy arrays")
    assert sent()[-1]["messages"][-1]["content"][0]["text"] == "usage of numpy arrays"
    assert len(claude_magic.get_chat("poems")) == 1


def test_subcommands_take_shell_quoted_arguments(ipython, capsys, tmp_path):
    ipython.run_cell_magic("claude", "-c 'my chat'", "hello")
    ipython.run_line_magic("claude", f'export "my chat" {tmp_path}/out.ipynb')
    assert "Wrote chat 'my chat' (1 turn)" in capsys.readouterr().out
    ipython.run_line_magic("claude", 'reset "my chat"')
    assert "'my chat' is empty" in capsys.readouterr().out
    assert len(claude_magic.get_chat("my chat")) == 0


def test_help_lists_every_subcommand_and_the_rule(ipython, capsys):
    from claude_magic.commands import SUBCOMMANDS

    ipython.run_line_magic("claude", "help")
    out = capsys.readouterr().out
    assert not out.lstrip().startswith("::")
    assert out.startswith("usage: %claude [-m MODEL]")
    for spec in SUBCOMMANDS.values():
        assert spec.usage in out
    assert "%claude -- help me write a haiku" in out
    for flag in ("--help", "-h"):
        ipython.run_line_magic("claude", flag)
        assert capsys.readouterr().out.startswith("usage: %claude [-m MODEL]")
        ipython.run_cell_magic("claude", flag, "the body is not sent")
        assert capsys.readouterr().out.startswith("usage: %claude [-m MODEL]")
    assert sent() == []
    ipython.run_line_magic("claude", "help export")
    out = capsys.readouterr().out
    assert out.startswith("%claude export [CHAT] PATH.ipynb [--force]") and "--force" in out


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
        ("--stop ''", "not whitespace"),
        ("-c ''", "needs a name"),
        ("--max-token 5", "unrecognized"),
        ("-o 1bad", "variable name"),
        ("-o class", "variable name"),  # a keyword: `class` could never be read back
        ("-o x --dry-run", "--dry-run sends nothing"),
        ("--no-cache --cache 1h", "contradict"),
        ("-m ''", "needs a model id"),
        ("-m ' '", "needs a model id"),
        ("--stop ok --stop '  '", "--stop '  ': "),
        ("--no-stream --max-tokens 21334", "longer than 10 minutes"),
    ],
)
def test_bad_values_fail_before_sending(ipython, line, message):
    with pytest.raises(UsageError, match=message):
        ipython.run_cell_magic("claude", line, "hi")
    assert sent() == []
    assert claude_magic.simulator().requests == []  # not even a dry run's count_tokens


def test_an_empty_line_magic_says_the_prompt_is_empty(ipython):
    for line in ("", "-c notes", "{{''}}"):
        with pytest.raises(UsageError, match="the prompt is empty"):
            ipython.run_line_magic("claude", line)
    assert sent() == []


@pytest.mark.parametrize(
    "options, expected",
    [
        ('--stop "---"', {"stop_sequences": ["---"]}),
        ("--stop=--- --stop -x", {"stop_sequences": ["---", "-x"]}),
        ('-s "-be brief"', {"system": "-be brief"}),
        ("-s -terse", {"system": "-terse"}),
        ("--system '- be brief'", {"system": "- be brief"}),
        ('-m claude-haiku-4-5 --prefill "-"', {"prefill": "-"}),
        ("-c -notes", {"chat": "-notes"}),
    ],
)
@pytest.mark.parametrize("form", ["cell", "line"])
def test_option_values_may_start_with_a_dash(ipython, options, expected, form):
    if form == "cell":
        ipython.run_cell_magic("claude", options, "hi")
    else:
        ipython.run_line_magic("claude", f"{options} hi")
    request = sent()[-1]
    for key, value in expected.items():
        if key == "prefill":
            assert request["messages"][-1] == {"role": "assistant", "content": value}
        elif key == "chat":
            assert len(claude_magic.get_chat(value)) == 1
        else:
            assert request[key] == value


@pytest.mark.parametrize(
    "options, message",
    [
        ("--stop", "argument --stop: expected one argument"),
        ("-s --new", "argument -s/--system: expected one argument"),
        ("--prefill -- ", "argument --prefill: expected one argument"),
    ],
)
def test_a_missing_option_value_is_still_an_error(ipython, options, message):
    with pytest.raises(UsageError, match=message):
        ipython.run_cell_magic("claude", options, "hi")
    with pytest.raises(UsageError, match=message):
        ipython.run_line_magic("claude", f"{options} hi" if "--" not in options else options)
    assert sent() == []


def test_export_refuses_to_overwrite_without_force(ipython, tmp_path, capsys):
    ipython.run_cell_magic("claude", "", "hello")
    path = tmp_path / "existing.ipynb"
    path.write_text("precious")
    with pytest.raises(UsageError, match=f"{path} exists; add --force to overwrite it"):
        ipython.run_line_magic("claude", f"export {path}")
    assert path.read_text() == "precious"
    ipython.run_line_magic("claude", f"export {path} --force")
    assert "Wrote chat 'default' (1 turn)" in capsys.readouterr().out
    (chat,) = chats_from_notebook(path)
    assert chat.messages == claude_magic.get_chat().messages


def test_export_names_the_open_notebook(ipython, tmp_path):
    ipython.run_cell_magic("claude", "", "hello")
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text("{}")
    ipython.user_ns["__session__"] = str(notebook)
    try:
        with pytest.raises(UsageError, match="is the notebook you have open; add --force"):
            ipython.run_line_magic("claude", f"export {notebook}")
    finally:
        del ipython.user_ns["__session__"]
    assert notebook.read_text() == "{}"


def test_export_of_a_chat_without_turns_is_an_error(ipython, tmp_path):
    ipython.run_cell_magic("claude", "-c kept", "hello")
    claude_magic.get_chat("empty")  # exists, no turns
    for name in ("empty", "nope"):
        with pytest.raises(UsageError, match=f"chat '{name}' has no turns .chats with turns: kept"):
            ipython.run_line_magic("claude", f"export {name} {tmp_path}/x.ipynb")
        with pytest.raises(ValueError, match=f"chat '{name}' has no turns"):
            claude_magic.export(tmp_path / "x.ipynb", chat=name)
    assert not (tmp_path / "x.ipynb").exists()


def test_export_function_refuses_to_overwrite(ipython, tmp_path):
    ipython.run_cell_magic("claude", "", "hello")
    path = tmp_path / "out.ipynb"
    path.write_text("precious")
    with pytest.raises(FileExistsError, match="force=True"):
        claude_magic.export(path)
    assert path.read_text() == "precious"
    claude_magic.export(path, force=True)
    assert len(chats_from_notebook(path)[0]) == 1


class Unprintable:
    def __str__(self):
        raise RuntimeError("no text for you")


@pytest.mark.parametrize(
    "value, message",
    [
        (Unprintable(), r"\{\{thing\}\}: its value could not be turned into text .*RuntimeError"),
        (
            "ok \ud800 not ok",
            r"\{\{thing\}\}: its text holds '\\ud800' at position 3, a lone surrogate",
        ),
    ],
)
@pytest.mark.parametrize("where", ["body", "system"])
def test_interpolated_values_that_cannot_be_sent_are_one_line_errors(
    ipython, value, message, where
):
    ipython.user_ns["thing"] = value
    line, body = ("-s {{thing}}", "hi") if where == "system" else ("", "about {{thing}}")
    with pytest.raises(UsageError, match=message) as info:
        ipython.run_cell_magic("claude", line, body)
    assert "\n" not in str(info.value)
    assert sent() == []


def test_chats_counts_in_words(ipython, capsys):
    ipython.run_cell_magic("claude", "", "hello")
    capsys.readouterr()
    ipython.run_line_magic("claude", "chats")
    assert capsys.readouterr().out == "default: 1 turn, 2 messages\n"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("-m claude-opus-5-5 --thinking 2048", "does not take a thinking budget"),
        # not first "must be below --max-tokens", then, once fixed, "no budgets here"
        ("-m claude-opus-5-5 --thinking 8000", "does not take a thinking budget"),
        ("-m claude-haiku-4-5 --thinking 8000", r"--thinking 8000 must be below --max-tokens"),
        ("-m claude-unknown-9 --thinking 8000", r"--thinking 8000 must be below --max-tokens"),
        ("-m claude-haiku-4-5 --thinking", "has no adaptive thinking"),
        ("-m claude-opus-5-5 --thinking off", "cannot turn thinking off"),
        ("-m claude-sonnet-5-5 --prefill {", "does not accept a prefill"),
        ("-m claude-haiku-4-5 --max-tokens 100000", "more than claude-haiku-4-5 can write"),
    ],
)
def test_options_a_model_rejects_are_refused_before_sending(ipython, options, says):
    """The model table knows what the API would answer 400 to: say so, send nothing."""
    import claude_magic

    sim = claude_magic.simulator()
    sent = len(sim.requests)
    with pytest.raises(UsageError, match=says):
        ipython.run_cell_magic("claude", options, "hello")
    assert len(sim.requests) == sent


def test_a_model_missing_from_the_table_is_not_checked_early(ipython):
    """A new model must still reach the API with a stale table (here: the simulator's 404)."""
    from claude_magic.errors import ExchangeFailed

    with pytest.raises(ExchangeFailed, match="Unknown model 'claude-future-9'"):
        ipython.run_cell_magic("claude", "-m claude-future-9 --thinking 2048", "hello")


def test_no_credentials_with_an_sdk_config_dir_is_one_clear_error(ipython):
    """ANTHROPIC_CONFIG_DIR without a profile made the SDK raise CredentialsError raw."""
    from claude_magic.errors import ClaudeError

    ipython.run_line_magic("config", "ClaudeMagics.backend = 'api'")
    try:
        with pytest.raises(ClaudeError, match="No API key found") as caught:
            ipython.run_cell_magic("claude", "", "hello")
    finally:
        ipython.run_line_magic("config", "ClaudeMagics.backend = 'auto'")
    assert "ANTHROPIC_API_KEY" in str(caught.value)


def test_usage_by_model_shows_the_cost_summary_and_a_chart(ipython):
    from IPython.utils.capture import capture_output

    ipython.run_cell_magic("claude", "", "hello")
    ipython.run_cell_magic("claude", "-m claude-haiku-5-5", "hello again")
    with capture_output() as captured:
        ipython.run_line_magic("claude", "usage --by model")
    table = "".join(o.data.get("text/plain", "") for o in captured.outputs)  # a terminal's view
    assert "claude-haiku-5-5" in table and "claude-sonnet-5-5" in table
    assert "cache_hit_rate" in table
    assert any("Figure" in o.data.get("text/plain", "") for o in captured.outputs)
    with pytest.raises(UsageError, match="by must be one of cell, chat, model, notebook, day"):
        ipython.run_line_magic("claude", "usage --by week")


def test_thinking_off_sends_what_the_model_takes(ipython):
    """`disabled` where the model takes it, `between_tools` on Sonnet 5.5 (its documented
    way to turn up-front thinking off), refused before sending where neither works."""
    import claude_magic

    sim = claude_magic.simulator()
    for model, expected in (
        ("claude-sonnet-5-5", "between_tools"),
        ("claude-haiku-5-5", "disabled"),
    ):
        ipython.run_cell_magic("claude", f"-m {model} --thinking off", "hello")
        assert sim.requests[-1].json["thinking"] == {"type": expected}
    with pytest.raises(UsageError, match="refuses with --effort max"):
        ipython.run_cell_magic("claude", "--thinking off --effort max", "hello")


def test_restore_of_a_file_that_is_not_a_notebook_is_one_line(ipython, tmp_path):
    ipython.run_cell_magic("claude", "", "keep me")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(UsageError, match=r"broken.ipynb is not a readable notebook \(NotJSON"):
        ipython.run_line_magic("claude", f"restore {broken}")
    assert len(claude_magic.get_chat()) == 1  # chats unchanged


def test_export_and_restore_expand_the_home_directory(ipython, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    ipython.run_cell_magic("claude", "", "hello there")
    ipython.run_line_magic("claude", "export ~/out.ipynb")
    assert (tmp_path / "out.ipynb").is_file()
    ipython.run_line_magic("claude", "reset")
    ipython.run_line_magic("claude", "restore ~/out.ipynb")
    assert len(claude_magic.get_chat()) == 1
    assert claude_magic.usage_from_notebooks("~/out.ipynb").shape[0] == 1


def test_a_schema_reply_cut_off_by_max_tokens_says_so(ipython):
    ipython.user_ns["Point"] = {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "required": ["x"],
        "additionalProperties": False,
    }
    claude_magic.simulator().script(
        {"content": [{"type": "text", "text": '{"x": 1'}], "stop_reason": "max_tokens"}
    )
    with pytest.raises(ReplyMismatch, match=r"cut off at max_tokens \(4,096\).*--max-tokens"):
        ipython.run_cell_magic("claude", "--schema Point -o pt", "a point")
    assert "pt" not in ipython.user_ns


def test_no_stream_takes_max_tokens_up_to_what_the_sdk_sends_without_streaming(ipython):
    """The SDK's own limit (10 minutes at 128K tokens an hour): up to 21,333 is sent with
    the SDK's timeout, not one the magic chose to get past the SDK's check."""
    ipython.run_cell_magic("claude", "--no-stream --max-tokens 21333", "hi")
    request = claude_magic.simulator().requests[-1]
    assert request.json["max_tokens"] == 21333 and "stream" not in request.json
    assert request.headers["x-stainless-timeout"] == "600"


def test_subcommand_arguments_take_double_brace_expressions(ipython, tmp_path):
    """`%claude export {{path}}` like a prompt's `{{expr}}`: the value is one argument, spaces
    included; a bad expression is one line and does nothing."""
    ipython.run_cell_magic("claude", "", "hello there")
    ipython.user_ns["target"] = tmp_path / "my chat.ipynb"
    ipython.run_line_magic("claude", "export {{target}}")
    assert (tmp_path / "my chat.ipynb").is_file()
    with pytest.raises(UsageError, match=r"\{\{nowhere\}\}: name 'nowhere' is not defined"):
        ipython.run_line_magic("claude", "restore {{nowhere}}")
    assert len(claude_magic.get_chat()) == 1
