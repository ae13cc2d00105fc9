"""The reply as a user sees it: a real JupyterLab 4 and Notebook 7 in headless Chromium, the
kernel on the offline simulator paced like the API.

Checked in the DOM: the live view grows smoothly while text arrives, a GFM table is a
`<table>`, code has highlight spans in theme colours, math is typeset and currency is not,
nothing from the reply executes or loads, the switch from the live view to the static output
moves nothing, the dark theme reads, and an interrupted cell keeps its partial reply and
runs again. The in-page sampler records the state of a cell's output on every animation
frame, so gaps and shifts are measured in the browser, not guessed from the kernel.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import setup_cells
from tests.views_helpers import RICH_REPLY

PROSE = " ".join(
    f"Paragraph {n} explains step {n} of the method in plain words, with `code_{n}()` and "
    f"**bold {n}** so the stream has some inline markup to format as it goes."
    + ("\n\n" if n % 2 else " ")
    for n in range(8)
)
REPLY = f"{RICH_REPLY}\n{PROSE}"
"""~2.5 KB: the rich part first (table, code, math), then prose: ~6 s at 100 tokens/s."""
CLAUDE_CELL = "%%claude\nCompare the options, with a table, code and the maths."
ATTEMPTS = 3

SAMPLER = """(index) => {
  const cell = () => document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const samples = (window.__samples = []);
  const t0 = performance.now();
  const stores = () => [...(globalThis.__claudeMagicLive || new Map()).values()];
  const top = (turn, selector) => {
    const e = turn.querySelector(selector);
    return e ? e.getBoundingClientRect().top - cell().getBoundingClientRect().top : null;
  };
  const tick = () => {
    const c = cell();
    const turn = c && c.querySelector('.jp-OutputArea .cm-turn');
    if (turn) {
      const text = turn.querySelector('.cm-text');
      samples.push({
        t: performance.now() - t0,
        live: !!turn.closest('.cm-live'),
        text: text ? text.textContent : '',
        tail: !!turn.querySelector('.cm-tail'),
        table: top(turn, 'table'),
        code: top(turn, 'pre.cm-code'),
        math: top(turn, 'div.cm-math'),
        typeset: turn.querySelectorAll('.cm-math mjx-container').length,
        n: Math.max(0, ...stores().map((s) => s.n)),
      });
    }
    if (!window.__stopSampler) requestAnimationFrame(tick);
  };
  window.__stopSampler = false;
  requestAnimationFrame(tick);
}"""

OUTPUT_STATE = """(index) => {
  const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const out = c.querySelector('.jp-OutputArea');
  const turn = out.querySelector('.cm-turn');
  return {
    live: !!out.querySelector('.cm-live'),
    final: !!(turn && !turn.closest('.cm-live') && turn.querySelector('.cm-footer')),
    html: turn ? turn.innerHTML : '',
    text: turn ? turn.innerText : '',
  };
}"""


def output_state(nb: Any, index: int) -> dict[str, Any]:
    return nb.page.evaluate(OUTPUT_STATE, index)


def wait_for(nb: Any, index: int, ok, what: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = output_state(nb, index)
        if ok(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"cell {index}: no {what} after {timeout} s: {state}")
        time.sleep(0.05)


def run_sampled(nb: Any, index: int, rescript: bool = False) -> list[dict[str, Any]]:
    """Run cell `index` to the end with the sampler on; its samples, the static ones last.
    `rescript`: first run the cell before it again (it scripts the simulator's reply)."""
    if rescript:
        nb.run_and_wait(index - 1)
    nb.page.evaluate(SAMPLER, index)
    nb.run(index)
    wait_for(nb, index, lambda s: s["final"], "static output")
    nb.wait_kernel_idle()
    nb.page.wait_for_timeout(800)  # MathJax settles in the static output
    nb.page.evaluate("() => { window.__stopSampler = true; }")
    return nb.page.evaluate("() => window.__samples")


def longest_stall(samples: list[dict[str, Any]]) -> float:
    """The longest time the live view's text did not change while text was arriving."""
    live = [s for s in samples if s["live"] and s["text"]]
    changes = [live[0]["t"]]
    changes += [b["t"] for a, b in zip(live, live[1:], strict=False) if b["text"] != a["text"]]
    return max((b - a for a, b in zip(changes, changes[1:], strict=False)), default=0.0) / 1000


def longest_silence(samples: list[dict[str, Any]]) -> float:
    """The longest time between two messages reaching the page while the view was live."""
    live = [s for s in samples if s["live"] and s["n"]]
    arrivals = [live[0]["t"]] + [
        b["t"] for a, b in zip(live, live[1:], strict=False) if b["n"] != a["n"]
    ]
    return max((b - a for a, b in zip(arrivals, arrivals[1:], strict=False)), default=0.0) / 1000


def run_rich(nb: Any) -> list[dict[str, Any]]:
    nb.run_and_wait(0)
    nb.run_and_wait(1)
    nb.set_cell(2, CLAUDE_CELL)
    return run_sampled(nb, 2)


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_a_reply_streams_smoothly_and_renders_faithfully(notebook, ui: str) -> None:
    nb = notebook([*setup_cells(REPLY), CLAUDE_CELL], ui=ui)
    stalls = []
    for attempt in range(ATTEMPTS):
        samples = run_rich(nb) if attempt == 0 else run_sampled(nb, 2, rescript=True)
        live = [s for s in samples if s["live"]]
        static = [s for s in samples if not s["live"]]
        assert len(live) > 50 and static, (len(live), len(static))
        assert live[-1]["t"] - live[0]["t"] > 3  # it really streamed (~6 s at 100 tokens/s)
        stall, silence = longest_stall(samples), longest_silence(samples)
        stalls.append(stall)
        print(f"\n{ui}: longest stall of the text {stall:.3f} s, between messages {silence:.3f} s")
        if stall <= 0.3:
            break
    # smooth: while text arrives the screen never stands still for more than 0.3 s (best of
    # ATTEMPTS runs: a machine shared with other work can starve the kernel or the page,
    # while a view that holds text back fails every run)
    assert min(stalls) <= 0.3, stalls
    # finished blocks were formatted while the rest streamed: the table and the code
    # block were on screen while the text still had a raw tail
    assert any(s["table"] is not None and s["tail"] for s in live)
    assert any(s["code"] is not None and s["tail"] for s in live)
    assert any(s["typeset"] >= 2 for s in live)  # math typeset live, not only at the end

    final = output_state(nb, 2)
    page = nb.page
    out = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".cm-turn")
    assert out.locator("table th").count() == 3 and out.locator("table td").count() == 9
    keyword = out.locator("pre.cm-code .cm-k").first
    assert keyword.inner_text().strip() == "import"
    colour = keyword.evaluate("e => getComputedStyle(e).color")
    plain = out.locator("pre.cm-code code").evaluate("e => getComputedStyle(e).color")
    assert colour != plain  # highlighted in the theme's keyword colour
    # math typeset with its backslash spacing intact; currency left as text
    maths = out.locator(".cm-math mjx-container")
    assert maths.count() == 3
    spacing = out.locator(".cm-math").nth(1).locator("mjx-mspace")
    assert spacing.count() == 1  # \, became a thin space, not a comma
    assert "costs $5 and $10 today" in final["text"]
    assert "<s><code>iterrows</code></s>" in final["html"]
    # the switch from the live view to the static output moves nothing
    before, after = live[-1], static[-1]
    shifts = {key: after[key] - before[key] for key in ("table", "code", "math")}
    print(f"{ui}: shift at the switch (px): {shifts}")
    assert all(abs(shift) <= 40 for shift in shifts.values()), shifts
    assert page.errors == []


XSS = {
    "content": [
        {
            "type": "thinking",
            "thinking": "Plan: <script>window.__pwned='thinking'</script><img src=x "
            "onerror=\"window.__pwned='thinking-img'\">",
            "signature": "",
        },
        {
            "type": "text",
            "text": "Here: <script>window.__pwned='script'</script> and "
            "<img src=x onerror=\"window.__pwned='img'\"> and "
            "[click](javascript:window.__pwned='link') and "
            "<a href=\"javascript:window.__pwned='a'\">a</a> and "
            "![pixel](https://evil.example/pixel.png?leak=1) and "
            '<img src="https://evil.example/raw.png">\n\n'
            "```html\n<script>window.__pwned='code'</script>\n```\n\n"
            "$<script>window.__pwned='math'</script>$ and "
            "$\\href{javascript:window.__pwned='href'}{click}$ and **done**.\n",
        },
    ]
}


def test_nothing_from_the_reply_executes_or_loads(notebook) -> None:
    nb = notebook([*setup_cells(XSS, rate=200), "%%claude\nShow me some HTML."])
    nb.run_and_wait(0)
    nb.run_and_wait(1)
    nb.page.evaluate(SAMPLER, 2)
    nb.run(2)
    wait_for(nb, 2, lambda s: s["final"], "static output")
    nb.wait_kernel_idle()
    page = nb.page
    out = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea")
    links = out.locator("a, [href]")
    for i in range(links.count()):
        links.nth(i).click(modifiers=["Control"])  # javascript: ones must not exist to click
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    assert out.locator("script, img, iframe, object, embed").count() == 0
    assert out.locator("a[href^='javascript' i]").count() == 0
    assert not [u for u in page.requests if "evil.example" in u]
    text = output_state(nb, 2)["text"]
    assert "<script>window.__pwned='script'</script>" in text  # shown, as text
    assert "Plan: <script>" in text
    samples = page.evaluate("() => window.__samples")
    assert any(s["live"] and "<script>" in s["text"] for s in samples)  # live, as text too


CONTRAST = """(selector) => {
  const lum = (c) => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (c && !c.endsWith(', 0)') && c !== 'transparent') return c;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.querySelectorAll(selector)].map((e) => {
    const a = lum(getComputedStyle(e).color), b = lum(background(e));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}"""


def test_dark_theme_reads(notebook) -> None:
    reply = {
        "content": [
            {
                "type": "thinking",
                "thinking": "Weighing apply against vectorizing.",
                "signature": "",
            },
            {"type": "text", "text": RICH_REPLY},
        ]
    }
    nb = notebook([*setup_cells(reply, rate=0), CLAUDE_CELL])
    nb.set_theme("JupyterLab Dark")
    run_rich(nb)
    scope = ".jp-Notebook .jp-Cell:nth-child(3) .cm-turn"
    checks = {
        "text": (f"{scope} .cm-text p", 4.5),
        "table": (f"{scope} td", 4.5),
        "code": (f"{scope} pre.cm-code span", 3.0),
        "thinking": (f"{scope} .cm-thinking-text", 3.0),
        "footer": (f"{scope} .cm-footer", 3.0),
    }
    try:
        for name, (selector, minimum) in checks.items():
            ratios = nb.page.evaluate(CONTRAST, selector)
            assert ratios, name
            assert min(ratios) >= minimum, (name, ratios)
    finally:
        nb.set_theme("JupyterLab Light")  # a user setting: it would outlive this page


def test_thinking_box_keeps_its_size_when_the_answer_starts(notebook) -> None:
    thinking = " ".join(f"Thought {i}: weigh the options once more." for i in range(40))
    reply = {
        "content": [
            {"type": "thinking", "thinking": thinking, "signature": ""},
            {"type": "text", "text": RICH_REPLY},
        ]
    }
    nb = notebook([*setup_cells(reply, rate=400), CLAUDE_CELL])
    nb.run_and_wait(0)
    nb.run_and_wait(1)
    box = (
        "() => { const e = document.querySelectorAll('.jp-Notebook .jp-Cell')[2]"
        ".querySelector('.cm-thinking'); return e ? e.getBoundingClientRect().height : null; }"
    )
    nb.run(2)
    wait_for(nb, 2, lambda s: s["live"] and "Thought 39" in s["text"], "all the thinking")
    full = nb.page.evaluate(box)
    wait_for(nb, 2, lambda s: s["live"] and "10,000-row" in s["text"], "the answer")
    answering = nb.page.evaluate(box)
    wait_for(nb, 2, lambda s: s["final"], "static output")
    nb.page.wait_for_timeout(300)
    final = nb.page.evaluate(box)
    assert full and full == answering == final, (full, answering, final)


def test_interrupt_keeps_the_partial_reply_and_the_cell_runs_again(notebook) -> None:
    nb = notebook([*setup_cells(REPLY, rate=40), CLAUDE_CELL])
    nb.run_and_wait(0)
    nb.run_and_wait(1)
    nb.run(2)
    wait_for(nb, 2, lambda s: s["live"] and len(s["text"]) > 80, "streamed text")
    nb.interrupt()
    not_added = "Not added to the chat"
    state = wait_for(nb, 2, lambda s: not s["live"] and not_added in s["text"], "interrupt")
    assert "Here is how the three options compare" in state["text"]
    assert "Paragraph 7" not in state["text"]
    nb.wait_done(2)  # the interrupted cell's error reply is in (it would abort a queued run)
    error = nb.cell(2).locator(".jp-OutputArea-output[data-mime-type*='stderr']").inner_text()
    assert error.strip().startswith("Interrupted: Nothing was added to the chat")
    assert len(error.strip().splitlines()) == 1  # one line, not a traceback through the SDK
    nb.set_cell(1, setup_cells(REPLY, rate=0)[1] + "\n%config ClaudeMagics.offline_token_rate = 0")
    nb.run_and_wait(1)
    nb.run_and_wait(2)
    state = wait_for(nb, 2, lambda s: s["final"], "the re-run's static output")
    assert not_added not in state["text"] and "Paragraph 7" in state["text"]
