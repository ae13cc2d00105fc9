"""`%%claude` in a real ipykernel, driven like JupyterLab (execute_request with cellId).

The kernel has no API key, so every cell runs on the in-process offline simulator; the
loopback tests start `python -m claude_magic.offline`'s server in this process and point the
kernel's real `anthropic.Anthropic()` client at it with a (fake) key.
"""

from __future__ import annotations

import base64
import time

import pytest

from claude_magic.offline import serve
from claude_magic.turn import TURN_MIME
from tests.kernel import Kernel

SETUP = "%load_ext claude_magic\n%config ClaudeMagics.view = 'text'\nimport claude_magic"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(cwd=str(tmp_path_factory.mktemp("kernel")))
    result = k.run(SETUP)
    assert result.error is None, result.error_text
    yield k
    k.close()


@pytest.fixture(autouse=True)
def fresh_chats(kernel):
    kernel.run("import claude_magic; from claude_magic import session as _s; _s._current = None")


def messages(kernel, chat="default"):
    return kernel.value(f"claude_magic.get_chat({chat!r}).messages")


def requests(kernel):
    return kernel.value(
        "[r.json for r in claude_magic.simulator().requests if r.path == '/v1/messages']"
    )


def texts(message):
    return [b["text"] for b in message["content"] if b["type"] == "text"]


def test_conversation_across_cells(kernel):
    first = kernel.run("%%claude\nMy name is Ada.", cell_id="c1")
    assert first.error is None, first.error_text
    assert "offline simulator" in first.stdout
    second = kernel.run("%%claude\nWhat is my name?", cell_id="c2")
    assert second.error is None, second.error_text
    history = messages(kernel)
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert texts(history[0]) == ["My name is Ada.\n"]
    sent = requests(kernel)[-1]["messages"]
    assert sent[:2] == history[:2]  # the second request resent the first turn, blocks as returned
    assert {b["type"] for b in history[1]["content"]} >= {"thinking", "text"}
    assert all(b.get("signature") for b in history[1]["content"] if b["type"] == "thinking")


def test_rerun_rewinds_instead_of_duplicating(kernel):
    for cell_id, text in [("a", "one"), ("b", "two"), ("c", "three")]:
        assert kernel.run(f"%%claude\n{text}", cell_id=cell_id).error is None
    rerun = kernel.run("%%claude\ntwo, edited", cell_id="b")
    assert rerun.error is None, rerun.error_text
    assert "1 later turn of chat 'default' will be dropped" in rerun.stdout
    history = messages(kernel)
    assert [texts(m)[0] for m in history if m["role"] == "user"] == ["one\n", "two, edited\n"]
    assert kernel.value("[t.cell_id for t in claude_magic.get_chat().turns]") == ["a", "b"]
    assert len(requests(kernel)[-1]["messages"]) == 3  # turn a + the new user message


def test_without_cell_id_turns_append(kernel):
    kernel.run("%%claude\nsame")
    kernel.run("%%claude\nsame")
    assert len(messages(kernel)) == 4


def test_named_chats_new_and_reset(kernel):
    kernel.run("%%claude -c tutor\nhello tutor", cell_id="t1")
    kernel.run("%%claude\nhello default", cell_id="d1")
    assert len(messages(kernel, "tutor")) == 2
    assert len(messages(kernel, "default")) == 2
    kernel.run("%%claude -c tutor --new\nstart over", cell_id="t2")
    tutor = messages(kernel, "tutor")
    assert len(tutor) == 2 and texts(tutor[0]) == ["start over\n"]
    out = kernel.run("%claude reset tutor")
    assert "empty" in out.stdout
    assert messages(kernel, "tutor") == []
    assert len(messages(kernel, "default")) == 2
    assert "default: 1 turn, 2 messages" in kernel.run("%claude chats").stdout


def test_line_magic_prompt_keeps_its_text(kernel):
    result = kernel.run('%claude -m claude-haiku-5-5 What\'s 2+2? Use "quotes" {x}', cell_id="l1")
    assert result.error is None, result.error_text
    sent = requests(kernel)[-1]
    assert sent["model"] == "claude-haiku-5-5"
    assert texts(sent["messages"][-1]) == ['What\'s 2+2? Use "quotes" {x}']


def test_options_reach_the_request(kernel):
    kernel.run("sys_prompt = 'You are terse.'")
    code = (
        "%%claude -m claude-opus-5-5 --max-tokens 777 -s {{sys_prompt}} --thinking --effort low "
        "--stop END --stop STOP --cache 1h\nhi"
    )
    result = kernel.run(code, cell_id="o1")
    assert result.error is None, result.error_text
    sent = requests(kernel)[-1]
    assert sent["model"] == "claude-opus-5-5"
    assert sent["max_tokens"] == 777
    assert sent["system"] == "You are terse."
    assert sent["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert sent["output_config"] == {"effort": "low"}
    assert sent["stop_sequences"] == ["END", "STOP"]
    assert sent["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    thinking = messages(kernel)[1]["content"][0]
    assert thinking["type"] == "thinking" and thinking["thinking"]  # summarized: visible


def test_thinking_budget_no_cache_and_default_cache(kernel):
    budget = "%%claude -m claude-sonnet-4-6 --thinking 2048 --max-tokens 4000 --no-cache\nhi"
    assert kernel.run(budget, cell_id="t1").error is None
    sent = requests(kernel)[-1]
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048, "display": "summarized"}
    assert "cache_control" not in sent
    kernel.run("%%claude\nhi", cell_id="t2")
    assert requests(kernel)[-1]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}


def test_max_tokens_stop_is_flagged(kernel):
    result = kernel.run("%%claude --max-tokens 5\nTell me a long story", cell_id="m1")
    assert result.error is None, result.error_text
    assert "max_tokens" in result.stdout
    assert kernel.value("claude_magic.get_chat().turns[-1].stop_reason") == "max_tokens"


def test_prefill_is_part_of_the_reply(kernel):
    result = kernel.run(
        "%%claude -m claude-haiku-4-5 --prefill '{\"answer\":'\nJSON please", cell_id="p1"
    )
    assert result.error is None, result.error_text
    sent = requests(kernel)[-1]["messages"]
    assert sent[-1] == {"role": "assistant", "content": '{"answer":'}
    reply = messages(kernel)[-1]
    assert texts(reply)[0].startswith('{"answer":')


def test_prefill_rejected_by_model_gives_api_message(kernel):
    result = kernel.run("%%claude --prefill Sure\nhi", cell_id="p2")
    assert result.error is not None
    assert "prefill" in result.error_text
    assert messages(kernel) == []


def test_attach_file_and_variable(kernel, tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    kernel.run(f"png_bytes = open({str(path)!r}, 'rb').read()")
    result = kernel.run(f"%%claude --attach {path} --attach png_bytes\nWhat is this?", cell_id="a1")
    assert result.error is None, result.error_text
    user = requests(kernel)[-1]["messages"][-1]
    assert [b["type"] for b in user["content"]] == ["image", "image", "text"]
    assert user["content"][0]["source"]["media_type"] == "image/png"
    assert "image/png" in result.stdout
    bad = kernel.run("%%claude --attach nothing_here\nhi", cell_id="a2")
    assert bad.error is not None and "--attach nothing_here" in bad.error_text


def test_no_stream_out_variable_and_offline_flag(kernel):
    result = kernel.run("%%claude --no-stream --offline -o reply\nhi", cell_id="n1")
    assert result.error is None, result.error_text
    assert "offline simulator" in result.stdout
    assert kernel.value("type(reply).__name__") == "Message"
    assert kernel.value("reply.stop_reason") == "end_turn"
    assert "stream" not in requests(kernel)[-1] or requests(kernel)[-1]["stream"] is False


def test_dry_run_sends_nothing(kernel):
    before = len(requests(kernel))
    result = kernel.run("%%claude --dry-run -s 'Be brief'\nCount me", cell_id="d1")
    assert result.error is None, result.error_text
    assert len(requests(kernel)) == before
    assert '"max_tokens": 4096' in result.stdout
    assert any("count_tokens" in str(d.get("text/markdown", "")) for d in result.displays())
    assert messages(kernel) == []


def test_interpolation_and_code_passthrough(kernel):
    kernel.run("name = 'Ada'\nnums = [1, 2, 3]")
    count = kernel.run("40 + 2").reply["execution_count"]
    cell = (
        "%%claude\n"
        "Hi {{name}}, sum={{sum(nums)}}, out={{Out[" + str(count) + "]}}.\n"
        '{"json": {"nested": [1, 2]}} and {single} braces\n'
        "```python\n"
        'print(f"{{name}} {value!r}")\n'
        "```\n"
        "inline `{{not_evaluated}}` too"
    )
    result = kernel.run(cell, cell_id="i1")
    assert result.error is None, result.error_text
    sent = texts(requests(kernel)[-1]["messages"][-1])[0]
    assert sent.startswith("Hi Ada, sum=6, out=42.\n")
    assert '{"json": {"nested": [1, 2]}} and {single} braces' in sent
    assert 'print(f"{{name}} {value!r}")' in sent
    assert "`{{not_evaluated}}`" in sent


def test_unknown_name_fails_before_any_request(kernel):
    before = len(requests(kernel))
    result = kernel.run("%%claude\nHello {{undefined_thing}}", cell_id="u1")
    assert result.error is not None
    assert "undefined_thing" in result.error_text
    assert len(requests(kernel)) == before
    raw = kernel.run("%%claude --no-interpolate\nHello {{undefined_thing}}", cell_id="u2")
    assert raw.error is None
    assert texts(requests(kernel)[-1]["messages"][-1]) == ["Hello {{undefined_thing}}\n"]


@pytest.mark.parametrize(
    "line, needle",
    [
        ("--max-tokens lots", "max-tokens"),
        ("--thinking sometimes", "--thinking"),
        ("--effort extreme", "effort"),
        ("--bogus", "unrecognized"),
        ("--tools no_such_function", "no_such_function"),
    ],
)
def test_bad_options_are_usage_errors_and_send_nothing(kernel, line, needle):
    before = len(requests(kernel))
    result = kernel.run(f"%%claude {line}\nhi", cell_id="b1")
    assert result.error is not None
    assert result.error["ename"] == "UsageError"
    assert needle in result.error_text
    assert len(requests(kernel)) == before


def test_unknown_model_lists_valid_ids(kernel):
    result = kernel.run("%%claude -m claude-nonexistent-9\nhi", cell_id="x1")
    assert result.error is not None
    assert "Unknown model 'claude-nonexistent-9'" in result.error_text
    assert "claude-sonnet-5-5" in result.error_text
    assert "Traceback" not in result.error_text
    assert messages(kernel) == []


def test_mid_stream_error_leaves_chat_unchanged(kernel):
    kernel.run("%%claude\nfirst", cell_id="e1")
    before = messages(kernel)
    kernel.run("claude_magic.simulator().error_after(6)")
    result = kernel.run("%%claude\nsecond", cell_id="e2")
    assert result.error is not None
    assert "broke mid-reply" in result.error_text
    assert messages(kernel) == before
    rows = kernel.value("claude_magic.usage_frame()['error'].fillna('').tolist()")
    assert rows[-1]  # the billed, failed call is in the ledger
    assert kernel.run("%%claude\nsecond", cell_id="e2").error is None  # kernel still usable
    assert len(messages(kernel)) == 4


def test_dropped_connection_leaves_chat_unchanged(kernel):
    kernel.run("claude_magic.simulator().drop_after(5)")
    result = kernel.run("%%claude\nhello", cell_id="dr")
    assert result.error is not None
    assert "ended before the reply was complete" in result.error_text
    assert messages(kernel) == []


def test_interrupt_leaves_chat_unchanged_and_kernel_usable(kernel):
    kernel.run("%%claude\nfirst", cell_id="k1")
    before = messages(kernel)
    kernel.run("%config ClaudeMagics.offline_token_rate = 20")  # beats the environment's 0
    msg_id = kernel.send("%%claude\nsecond, slowly", cell_id="k2")
    time.sleep(1.5)
    kernel.interrupt()
    result = kernel.collect(msg_id)
    kernel.run("%config ClaudeMagics.offline_token_rate = 0")
    assert result.error is not None and result.error["ename"] == "Interrupted"
    assert len(result.error["traceback"]) == 1  # one line, not 115+ through the SDK
    assert "Not added to the chat" in result.stdout  # once: the reason is the error
    assert result.stdout.count("offline simulator") >= 1  # the partial reply stayed visible
    assert messages(kernel) == before
    assert kernel.run("%%claude\nagain", cell_id="k3").error is None


def test_help_comes_from_the_parser(kernel):
    result = kernel.run("%claude help")
    assert "--max-tokens" in result.stdout and "--dry-run" in result.stdout


def test_forced_api_backend_without_key_explains(kernel):
    kernel.run("%config ClaudeMagics.backend = 'api'")
    try:
        result = kernel.run("%%claude\nhi", cell_id="k")
    finally:
        kernel.run("%config ClaudeMagics.backend = 'auto'")
    assert result.error is not None
    assert "ANTHROPIC_API_KEY" in result.error_text and "--offline" in result.error_text


SECRET = "sk-ant-api03-test-SECRET-never-shown-0123456789"


@pytest.fixture(scope="module")
def loopback(tmp_path_factory):
    with serve(port=0) as server:
        k = Kernel(
            env={"ANTHROPIC_API_KEY": SECRET, "ANTHROPIC_BASE_URL": server.url},
            cwd=str(tmp_path_factory.mktemp("loop")),
        )
        assert k.run(SETUP).error is None
        yield k, server
        k.close()


def test_loopback_uses_the_real_client_and_never_shows_the_key(loopback):
    kernel, server = loopback
    first = kernel.run("%%claude\nhello over loopback", cell_id="L1")
    second = kernel.run("%%claude -o msg\nand again", cell_id="L2")
    dry = kernel.run("%%claude --dry-run\npreview", cell_id="L3")
    usage = kernel.run("claude_magic.usage_frame()")
    for result in (first, second, dry, usage):
        assert result.error is None, result.error_text
        assert SECRET not in result.raw()
    bodies = [r.json for r in server.simulator.requests if r.path == "/v1/messages"]
    assert len(bodies) == 2 and len(bodies[1]["messages"]) == 3
    assert all(SECRET not in str(r.headers) for r in server.simulator.requests)
    assert "offline simulator" not in first.stdout.split("\n")[-2]  # footer: API backend
    assert kernel.value("claude_magic.usage_frame()['offline'].tolist()") == [False, False]


def test_loopback_overload_after_retries_says_try_again(loopback):
    kernel, server = loopback
    server.simulator.fail_next(3, status=529, retry_after=0.05)
    result = kernel.run("%%claude\nhi", cell_id="L9", timeout=90)
    assert result.error is not None
    assert "Try again" in result.error_text or "try again" in result.error_text
    assert SECRET not in result.raw()


def test_usage_shows_a_compact_table_and_a_png_chart(kernel):
    kernel.run("%%claude\none", cell_id="u1")
    kernel.run("%%claude -c side\ntwo", cell_id="u2")
    third = kernel.run("%%claude\nthree", cell_id="u1")  # a re-run: the cell's own count
    count = third.of_type("execute_input")[0]["content"]["execution_count"]
    result = kernel.run("%claude usage")
    assert result.error is None, result.error_text
    data = result.displays()
    (table,) = [d for d in data if "text/html" in d]
    html = table["text/html"]
    for header in ("cell", "chat", "calls", "input", "cache write", "cache read", "output", "cost"):
        assert f"<th>{header}</th>" in html
    assert "notebook" not in html and "NA" not in html and "u1" not in html  # no id, no <NA>
    assert html.index("side") < html.index(f"<th>[{count}]</th>")  # execution order
    assert "$0.0000" not in html and "$0.00" in html
    assert "claude_magic.usage_frame()" in result.stdout
    assert any("image/png" in d for d in data)  # the chart, without %matplotlib inline
    frame = kernel.value("claude_magic.usage_frame()[['cell_id', 'chat']].values.tolist()")
    assert frame == [["u1", "default"], ["u2", "side"], ["u1", "default"]]


def test_usage_and_turn_record_carry_the_cells_own_execution_count(kernel):
    kernel.run("%config ClaudeMagics.view = 'live'")
    try:
        result = kernel.run("%%claude\nhi", cell_id="ec1")
    finally:
        kernel.run("%config ClaudeMagics.view = 'text'")
    assert result.error is None, result.error_text
    count = result.of_type("execute_input")[0]["content"]["execution_count"]
    assert result.reply["execution_count"] == count
    records = [d[TURN_MIME] for d in result.displays() if TURN_MIME in d]
    assert records and records[-1]["execution_count"] == count
    assert kernel.value("claude_magic.get_chat().turns[-1].execution_count") == count
    assert kernel.value("claude_magic.usage_frame()['execution_count'].tolist()") == [count]
    line = kernel.run("%claude What about a line?", cell_id="ec2")
    line_count = line.of_type("execute_input")[0]["content"]["execution_count"]
    assert kernel.value("claude_magic.usage_frame()['execution_count'].tolist()")[-1] == line_count


HELP_PAGE = "--max-tokens"


def help_page(result) -> str:
    pages = [p for p in (result.reply or {}).get("payload", []) if p.get("source") == "page"]
    return "".join(p["data"].get("text/plain", "") for p in pages)


@pytest.mark.parametrize(
    "line, prompt",
    [
        ("%claude What is a content block?", "What is a content block?"),
        ("%claude -m claude-haiku-5-5 Really??", "Really??"),
        ("x = 2\n%claude Is {{x}} even?", "Is 2 even?"),
        ("if True:\n    %claude Indented question?", "Indented question?"),
    ],
)
def test_a_line_ending_in_a_question_mark_is_a_prompt(kernel, line, prompt):
    before = len(requests(kernel))
    result = kernel.run(line, cell_id="q1")
    assert result.error is None, result.error_text
    assert "not found" not in result.stdout and not help_page(result)
    assert len(requests(kernel)) == before + 1
    assert texts(requests(kernel)[-1]["messages"][-1]) == [prompt]


@pytest.mark.parametrize("line", ["%claude?", "%claude??", "%%claude?"])
def test_question_mark_alone_still_shows_help(kernel, line):
    before = len(requests(kernel))
    result = kernel.run(line)
    assert result.error is None, result.error_text
    assert HELP_PAGE in help_page(result)
    assert len(requests(kernel)) == before


def test_question_lines_in_a_cell_body_or_a_string_are_left_alone(kernel):
    body = "%%claude\nWhat is this?\n%claude not a magic here?\n"
    assert kernel.run(body, cell_id="q2").error is None
    assert texts(requests(kernel)[-1]["messages"][-1]) == [body.split("\n", 1)[1]]
    quoted = kernel.run('s = """\n%claude inside a string?\n"""\nprint(repr(s))', cell_id="q3")
    assert quoted.error is None, quoted.error_text
    assert quoted.stdout.strip() == repr("\n%claude inside a string?\n")


def test_reload_ext_keeps_one_question_transform(kernel):
    count = (
        "sum(getattr(t, '__name__', '') == 'questions_are_prompts' "
        "for t in get_ipython().input_transformer_manager.cleanup_transforms)"
    )
    assert kernel.value(count) == 1
    for _ in range(2):
        assert kernel.run("%reload_ext claude_magic").error is None
    assert kernel.value(count) == 1
    assert kernel.run("%unload_ext claude_magic").error is None
    assert kernel.value(count) == 0
    assert kernel.run(SETUP).error is None
    assert kernel.value(count) == 1
    assert kernel.run("%claude Still a prompt?", cell_id="q4").error is None


@pytest.fixture
def config_dir(tmp_path):
    """An IPython profile whose config file sets the backend explicitly to auto."""
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text("c.ClaudeMagics.backend = 'auto'\n")
    return tmp_path / "ipython"


def test_explicit_settings_beat_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_CONFIG_DIR")  # no SDK profile either: "No API key found"
    env = {"CLAUDE_MAGIC_BACKEND": "api", "CLAUDE_MAGIC_OFFLINE_TOKEN_RATE": "fast"}
    k = Kernel(env=env, cwd=str(tmp_path))
    try:
        loaded = k.run(SETUP)
        assert loaded.error is None, loaded.error_text  # a bad variable never breaks loading
        from_env = k.run("%%claude\nhi", cell_id="b1")
        assert from_env.error is not None and "ANTHROPIC_API_KEY" in from_env.error_text
        offline = k.run("%%claude --offline\nhi", cell_id="b2")
        assert offline.error is not None and offline.error["ename"] == "UsageError"
        assert "CLAUDE_MAGIC_OFFLINE_TOKEN_RATE='fast' is not a speed" in offline.error_text
        assert "Traceback" not in offline.error_text and "\n" not in offline.error["evalue"]
        k.run("%config ClaudeMagics.offline_token_rate = 0")
        k.run("%config ClaudeMagics.backend = 'offline'")
        configured = k.run("%%claude\nhi", cell_id="b3")
        assert configured.error is None, configured.error_text
        assert "offline simulator" in configured.stdout
    finally:
        k.close()


def test_a_config_file_beats_the_environment(tmp_path, config_dir):
    env = {"CLAUDE_MAGIC_BACKEND": "api", "IPYTHONDIR": str(config_dir)}
    k = Kernel(env=env, cwd=str(tmp_path))
    try:
        assert k.run(SETUP).error is None
        result = k.run("%%claude\nhi", cell_id="c1")  # auto, no key: the simulator
        assert result.error is None, result.error_text
        assert "offline simulator" in result.stdout
    finally:
        k.close()
