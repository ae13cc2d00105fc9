"""Regenerate claude_magic/data/saved_course/: a small course's saved notebooks, with outputs.

The cost-analysis section of notebooks/07_tokens_usage_and_cost.ipynb reads this folder
with `usage_from_notebooks`, offline. Each lesson below is written as a notebook, executed
top to bottom with nbclient on a fresh kernel (real `%%claude` cells on the offline
simulator: no API key, instant streaming) and saved with its outputs, as a student's
notebook would be. Three lessons, four chats, three models, cache writes and reads.

The replies are short answers scripted on the simulator (`simulator().script`, run before
the first cell and not saved), which keeps each file small; usage, caching and cost are
the simulator's own, computed from the requests as always.

The simulator runs every lesson today. So that the folder spans several days (for
`cost_summary(by="day")`), the script then dates each lesson's calls to its lesson day,
keeping the time of day: only the `started_at` of the turn records' calls is changed.

Run from the repository root, in the project's venv:

    python scripts/make_saved_course.py [--out claude_magic/data/saved_course]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TURN_MIME = "application/vnd.claude-magic.turn.v1+json"
SCRUBBED_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_MAGIC_BACKEND",
)

# A reading passage long enough to be cached (the simulator caches from 512 tokens on 5.x
# models, about 2,000 characters).
PASSAGE = '''passage = """
A DataFrame is a table whose columns each have one type. Select columns with df["name"],
rows with df.loc[label] or df.iloc[position], and both with df.loc[rows, columns].
groupby splits the rows by the values of one or more columns, applies a function to each
group and combines the results: df.groupby("chat")["cost_usd"].sum() adds up the cost of
every chat. agg runs several functions at once and names the results. A boolean mask such
as df["cost_usd"] > 0.01 keeps the rows where it is True. sort_values orders rows by one or
more columns; nlargest(5, "cost_usd") is the quick way to the five most expensive rows.
Dates live in datetime64 columns; the .dt accessor gives their parts, and
df["timestamp"].dt.date is the calendar day. Missing values are NaN (or NA for nullable
types): isna finds them, fillna replaces them, and most reductions skip them unless told
otherwise with skipna=False, which is what you want when a missing price must not look like
a free call. merge joins two tables on key columns, like SQL; concat stacks them. A pivot
table turns the values of one column into columns: df.pivot_table(index="day",
columns="model", values="cost_usd", aggfunc="sum"). Plot straight from a frame with
df.plot.bar() or hand matplotlib the columns you need. Keep raw data and summaries apart:
summarise late, so that every question can still be asked of the raw rows.
Read a folder of CSV files with a list comprehension and concat, adding a column that says
which file each row came from. Check a frame with df.info() for types and missing values,
df.describe() for the spread of the numbers, and df.sample(5) for a few real rows. Name
columns in snake_case so that attribute access works. Chain methods inside parentheses, one
step per line, and give each intermediate result a name once it is used twice. When a
number looks wrong, go back to the rows that produced it: groupby(...).get_group(key).
Prefer vectorised column arithmetic to loops over rows: df["total"] = df["a"] + df["b"]
works on every row at once and is many times faster than iterrows. Categorical columns save
memory when a few values repeat many times, like a model name in a usage log. Save
intermediate results with to_parquet when a notebook takes long to recompute, and keep the
code that made them next to them, so that a reader can always rebuild every number.
""".strip()
print(len(passage), "characters")'''

# Per lesson: its day, its Markdown intro, and its cells: code, or (%%claude cell, reply).
LESSONS = {
    "lesson1_first_chat.ipynb": (
        "2026-11-16",
        "# Lesson 1: a first chat\n\nShort questions on the default model, and a quick one "
        "on Haiku. (Saved from the offline simulator, with scripted replies.)",
        [
            (
                "%%claude -c intro\nIn one sentence: what is a DataFrame?",
                "A table of named columns, each holding one type, with a row index.",
            ),
            ("%%claude -c intro\nAnd a Series?", "One such column: values with an index."),
            (
                "%%claude -c quick -m claude-haiku-5-5\nName three pandas reductions.",
                "`sum`, `mean` and `max`.",
            ),
        ],
    ),
    "lesson2_caching.ipynb": (
        "2026-11-18",
        "# Lesson 2: a long passage, cached\n\nThe passage is written to the cache once and "
        "read from it on the next turns. (Saved from the offline simulator, with scripted "
        "replies.)",
        [
            PASSAGE,
            (
                "%%claude -c reader\nRead this passage; I will ask about it.\n\n{{passage}}",
                "Done: I have read it.",
            ),
            (
                "%%claude -c reader\nHow do I sum the cost of every chat?",
                '`df.groupby("chat")["cost_usd"].sum()`.',
            ),
            (
                "%%claude -c reader\nWhy use skipna=False for costs?",
                "So that a call without a price makes the total NaN instead of looking free.",
            ),
        ],
    ),
    "lesson3_models.ipynb": (
        "2026-11-20",
        "# Lesson 3: a bigger model and a smaller one\n\nThe same kind of question on Opus "
        "and on Haiku. (Saved from the offline simulator, with scripted replies.)",
        [
            (
                "%%claude -c opus -m claude-opus-5-5\nWhich method gives the five costliest rows?",
                '`df.nlargest(5, "cost_usd")`.',
            ),
            (
                "%%claude -c opus -m claude-opus-5-5\nAnd the cheapest five?",
                '`df.nsmallest(5, "cost_usd")`.',
            ),
            (
                "%%claude -c quick -m claude-haiku-5-5\nHow do I count rows per model?",
                '`df["model"].value_counts()`.',
            ),
        ],
    ),
}


def lesson_notebook(intro: str, cells: list[str | tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    sources = [cell if isinstance(cell, str) else cell[0] for cell in cells]
    nb.cells = [
        nbformat.v4.new_markdown_cell(intro),
        nbformat.v4.new_code_cell("%load_ext claude_magic"),
        *(nbformat.v4.new_code_cell(source) for source in sources),
    ]
    return nb


def run(nb: nbformat.NotebookNode, replies: list[str], cwd: Path) -> None:
    """Execute on a fresh kernel with no credentials: every cell runs on the simulator,
    which first has `replies` queued (by code that is not part of the notebook)."""
    saved = {name: os.environ.pop(name) for name in SCRUBBED_ENV if name in os.environ}
    os.environ["CLAUDE_MAGIC_OFFLINE_TOKEN_RATE"] = "0"
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    setup = (
        "import claude_magic as _cm\n"
        f"for _reply in {replies!r}:\n"
        "    _cm.simulator().script(_reply)"
    )
    try:
        with client.setup_kernel():
            reply = run_sync(client.kc.execute_interactive)(
                setup, store_history=False, timeout=60, output_hook=lambda msg: None
            )
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"scripting the replies failed: {reply['content']}")
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    finally:
        os.environ.update(saved)


def date_calls(nb: nbformat.NotebookNode, day: str) -> int:
    """Set the date of every call's `started_at` to `day` (the time is kept); returns calls."""
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(TURN_MIME)
            for call in (record or {}).get("calls", []):
                call["started_at"] = day + call["started_at"][10:]
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "claude_magic" / "data" / "saved_course")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cm-course-") as tmp:
        for name, (day, intro, cells) in LESSONS.items():
            nb = lesson_notebook(intro, cells)
            run(nb, [cell[1] for cell in cells if isinstance(cell, tuple)], Path(tmp))
            calls = date_calls(nb, day)
            for cell in nb.cells:
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                if errors:
                    raise RuntimeError(f"{name}: a cell failed: {errors[0].get('evalue')}")
            target = args.out / name
            nbformat.write(nb, target)
            print(
                f"wrote {target.relative_to(ROOT)}: {calls} calls dated {day}, "
                f"{target.stat().st_size / 1024:.1f} KB"
            )


if __name__ == "__main__":
    main()
