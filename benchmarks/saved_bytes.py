"""Bytes a `%%claude` turn adds to the saved .ipynb, per byte of the reply.

What: the static bundle that replaces the live view (and is all a saved notebook keeps of
the turn) for three replies: a short technical answer with a table, a Python code block,
math and currency (`_reply.RICH`), ~4 KB of prose paragraphs, and ~78 KB of them.

How: each reply is scripted in the offline simulator and run through the real SDK by
`Exchange`; the bundle is built from the committed turn by `views.static.static_bundle`
(as the live view does at the end), written as a display_data output of a one-cell
notebook by nbformat, and measured as the file's growth over the same notebook without
the output. The share of each mimetype is its JSON size inside the output.

Goal (issue): the saved bundle <= 3.5x the reply. Prints a table; no assertions.
"""

from __future__ import annotations

import json

from _reply import RICH, reply_text  # noqa: E402 - benchmarks/ is the script directory


def turn_for(text: str):
    from claude_magic.chat import Chat
    from claude_magic.exchange import Exchange
    from claude_magic.offline import Simulator
    from claude_magic.protocol import NullView
    from claude_magic.request import RequestOptions, user_message

    sim = Simulator(token_rate=0)
    sim.script(text)
    turn, _ = Exchange(
        client=sim.client(),
        chat=Chat("bench"),
        user=user_message("Compare the options, with a table, code and the maths."),
        options=RequestOptions(model="claude-sonnet-5-5", max_tokens=64000),
        view=NullView(),
        offline=True,
        cell_id="c1",
    ).run()
    return turn


def saved_bytes(bundle: dict) -> int:
    import nbformat

    def notebook(outputs: list) -> int:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("%%claude\nCompare the options.")
        cell.id = "c1"
        cell.outputs = outputs
        nb.cells = [cell]
        return len(nbformat.writes(nb).encode())

    output = nbformat.v4.new_output("display_data", data=bundle)
    return notebook([output]) - notebook([])


def main() -> None:
    from claude_magic.views.static import static_bundle

    replies = {"rich (table, code, math)": RICH, "prose ~4 KB": reply_text(600)}
    replies["prose ~78 KB"] = reply_text(12000)
    header = f"{'reply':<26}{'reply B':>9}{'saved B':>10}{'ratio':>7}   per mimetype (x reply)"
    print(header)
    print("-" * (len(header) + 40))
    for name, text in replies.items():
        turn = turn_for(text)
        bundle = static_bundle(turn, offline=True, running_cost=turn.cost_usd)
        size = saved_bytes(bundle)
        reply = len(text.encode())
        shares = ", ".join(
            f"{mime.split('/')[-1]} {len(json.dumps(v, ensure_ascii=False).encode()) / reply:.2f}"
            for mime, v in bundle.items()
        )
        print(f"{name:<26}{reply:>9,}{size:>10,}{size / reply:>7.2f}   {shares}")


if __name__ == "__main__":
    main()
