"""`show_usage` (what `%claude usage --by ...` shows) in a real ipykernel, as JupyterLab gets it."""

from __future__ import annotations

import base64

from tests.kernel import Kernel

SETUP = (
    "%load_ext claude_magic\n%config ClaudeMagics.view = 'text'\nimport claude_magic\n"
    # A fixed today, a week after the price table's date: no stale-price warning, ever.
    "import datetime\nfrom claude_magic import pricing\n"
    "pricing._today = lambda: datetime.date(2026, 11, 29)"
)


def test_show_usage_sends_an_html_table_and_a_png_chart(tmp_path):
    kernel = Kernel(cwd=str(tmp_path))
    try:
        assert kernel.run(SETUP).error is None
        for cell, model in (("c1", "claude-sonnet-5-5"), ("c2", "claude-haiku-5-5")):
            result = kernel.run(f"%%claude -m {model}\nHello from {cell}.", cell_id=cell)
            assert result.error is None, result.error_text
        shown = kernel.run("from claude_magic.costs import show_usage\nshow_usage(by='model')")
        assert shown.error is None, shown.error_text
        table, chart = shown.displays()
        assert "<strong>Cost by model · 2 calls · total &#36;" in table["text/html"]
        assert "claude-haiku-5-5" in table["text/html"] and "cache hit rate" in table["text/html"]
        assert base64.b64decode(chart["image/png"]).startswith(b"\x89PNG")
        assert not shown.stderr
        empty = kernel.run("show_usage('chat', df=claude_magic.usage_frame().iloc[:0])")
        assert empty.stdout == "No API calls yet.\n" and not empty.displays()
    finally:
        kernel.close()


def test_usage_says_when_nothing_was_billed(tmp_path):
    """`%claude usage` summed simulator calls into '$… in all' like a bill."""
    kernel = Kernel(cwd=str(tmp_path))
    try:
        assert kernel.run(SETUP).error is None
        assert kernel.run("%%claude\nHello.", cell_id="c1").error is None
        shown = kernel.run("%claude usage")
        assert shown.error is None, shown.error_text
        assert "1 cell, 1 API call, $" in shown.stdout
        assert "Nothing here was billed (1 on the offline simulator)" in shown.stdout
    finally:
        kernel.close()
