"""How long `%load_ext claude_magic` and the first `%%claude` cell take.

Measures, each in fresh interpreters (`python -c ...`) started by this script, with the
kinds interleaved so that machine noise spreads evenly over them:

(a) `import anthropic` alone, timed inside the child with `time.perf_counter`;
(b) `shell.run_line_magic("load_ext", "claude_magic")` after an IPython
    `InteractiveShell` is already up (the shell start is not timed), plus how many modules
    the load added and whether anthropic, pandas, matplotlib and ipywidgets got imported;
(c) after the load, the first `%%claude` cell ("Hello") on the offline simulator with the
    text view and CLAUDE_MAGIC_OFFLINE_TOKEN_RATE=0, and a second (warm) cell.

Reports the median and min of REPEATS runs of each, in seconds.

Goal (issue): load_ext / import anthropic <= 0.25 (medians). The first cell's time is also
shown as a multiple of `import anthropic` for context: it has to import the SDK.
No timed assertions: this script prints figures and a verdict, it never fails on them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

REPEATS = 7
GOAL = 0.25
MARK = "@@RESULT@@ "
WATCHED = ("anthropic", "pandas", "matplotlib", "ipywidgets")

_PRELUDE = """
import json, sys, time
def emit(result):
    print("@@RESULT@@ " + json.dumps(result))
"""
_SHELL = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
"""

CHILD_IMPORT = (
    _PRELUDE
    + """
t0 = time.perf_counter()
import anthropic
t1 = time.perf_counter()
emit({"import_s": t1 - t0})
"""
)

# argv[1:] are the WATCHED module names.
CHILD_LOAD = (
    _PRELUDE
    + _SHELL
    + """
before = len(sys.modules)
t0 = time.perf_counter()
shell.run_line_magic("load_ext", "claude_magic")
t1 = time.perf_counter()
loaded = {name: name in sys.modules for name in sys.argv[1:]}
emit({"load_s": t1 - t0, "added": len(sys.modules) - before, "loaded": loaded})
"""
)

CHILD_CELL = (
    _PRELUDE
    + _SHELL
    + """
import contextlib, io
shell.run_line_magic("load_ext", "claude_magic")
shell.run_line_magic("config", "ClaudeMagics.view = 'text'")
out = io.StringIO()
with contextlib.redirect_stdout(out):
    t0 = time.perf_counter()
    shell.run_cell_magic("claude", "", "Hello")
    t1 = time.perf_counter()
    shell.run_cell_magic("claude", "", "Hello again")
    t2 = time.perf_counter()
import claude_magic
ok = len(claude_magic.get_chat().messages) == 4  # both turns committed
emit({"first_s": t1 - t0, "second_s": t2 - t1, "ok": ok})
"""
)


def child_env(ipython_dir: str) -> dict[str, str]:
    """The parent's environment, offline, instant streaming, and a private IPython dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_MAGIC_BACKEND")
    }
    env["CLAUDE_MAGIC_OFFLINE_TOKEN_RATE"] = "0"
    env["CLAUDE_MAGIC_BACKEND"] = "offline"
    env["IPYTHONDIR"] = ipython_dir
    return env


def run_child(code: str, env: dict[str, str], cwd: str) -> dict[str, Any]:
    """Run `python -c code` and return the JSON it printed after MARK."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *WATCHED],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            result: dict[str, Any] = json.loads(line[len(MARK) :])
            return result
    raise RuntimeError(
        f"child failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    )


def column(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float(row[key]) for row in rows]


def main() -> None:
    started = time.perf_counter()
    kinds: dict[str, str] = {"import": CHILD_IMPORT, "load": CHILD_LOAD, "cell": CHILD_CELL}
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="cm-bench-") as tmp:
        env = child_env(os.path.join(tmp, "ipython"))
        run_child(CHILD_LOAD, env, tmp)  # warm-up: creates the IPython profile, fills caches
        for _ in range(REPEATS):
            for kind, code in kinds.items():
                results[kind].append(run_child(code, env, tmp))

    rows: list[tuple[str, list[float]]] = [
        ("(a) import anthropic", column(results["import"], "import_s")),
        ("(b) %load_ext claude_magic", column(results["load"], "load_s")),
        ("(c) first %%claude cell", column(results["cell"], "first_s")),
        ("(c) second %%claude cell", column(results["cell"], "second_s")),
    ]
    med: Callable[[list[float]], float] = statistics.median
    print(f"load_time: {REPEATS} fresh interpreters per kind, Python {sys.version.split()[0]}")
    print()
    print(f"{'measure':<30} {'median ms':>10} {'min ms':>10} {'max ms':>10}")
    for label, values in rows:
        print(
            f"{label:<30} {med(values) * 1e3:>10.1f} {min(values) * 1e3:>10.1f} "
            f"{max(values) * 1e3:>10.1f}"
        )
    print()
    added = [int(r["added"]) for r in results["load"]]
    print(f"modules added by %load_ext: {med(added):.0f} (min {min(added)}, max {max(added)})")
    for name in WATCHED:
        hits = sum(bool(r["loaded"][name]) for r in results["load"])
        verdict = "no (good)" if hits == 0 else f"YES in {hits}/{REPEATS} runs"
        print(f"  {name:<11} imported by %load_ext: {verdict}")
    cells_ok = all(bool(r["ok"]) for r in results["cell"])
    print(f"both cells committed a turn in every run: {'yes' if cells_ok else 'NO'}")
    print()

    imp, load = rows[0][1], rows[1][1]
    first, second = rows[2][1], rows[3][1]
    ratio = med(load) / med(imp)
    ratio_min = min(load) / min(imp)
    print(f"ratio load_ext / import anthropic: {ratio:.3f} (medians), {ratio_min:.3f} (mins)")
    print(
        f"context: first cell = {med(first) / med(imp):.2f}x import anthropic; "
        f"second cell = {med(second) / med(imp):.3f}x"
    )
    print(f"elapsed: {time.perf_counter() - started:.1f} s")
    status = "MEETS" if ratio <= GOAL else "MISSES"
    print(f"VERDICT: {status} goal: %load_ext is {ratio:.3f}x import anthropic (goal <= {GOAL}x)")


if __name__ == "__main__":
    main()
