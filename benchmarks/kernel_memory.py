"""The kernel's memory after many offline turns: what a long session costs in RSS.

What: a real ipykernel (started like JupyterLab starts one) runs `%%claude` cells on the
offline simulator, each a new turn of one growing chat (each cell with its own cell id, as
JupyterLab sends), N = 200 by default. The kernel process's resident memory (VmRSS) is read
before the first turn (after `%load_ext` and one warm-up turn, so imports are counted once)
and after the last; a second run attaches a 1 MB PDF to one of 20 turns.

How to compare two versions: run it once per checkout (the figures are absolute RSS, so run
both on the same machine in one sitting). Prints figures; no assertions.

    python benchmarks/kernel_memory.py [--turns 200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kernel import Kernel  # noqa: E402

SETUP = "%load_ext claude_magic\n%config ClaudeMagics.view = 'text'\nimport claude_magic"
PDF = "pdf = b'%PDF-1.4\\n' + b'0' * (1024 * 1024)"


def rss_mb(kernel: Kernel) -> float:
    pid = kernel.manager.provisioner.process.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def session(turns: int, attach_pdf: bool) -> tuple[float, float]:
    kernel = Kernel()
    try:
        assert kernel.run(SETUP).error is None
        if attach_pdf:
            kernel.run(PDF)
        kernel.run("%%claude -c warm\nwarm up", cell_id="warm")
        before = rss_mb(kernel)
        for n in range(turns):
            attach = " --attach pdf" if attach_pdf and n == 0 else ""
            result = kernel.run(
                f"%%claude{attach}\nTurn {n}: say something short.", cell_id=f"c{n}"
            )
            assert result.error is None, result.error_text
        return before, rss_mb(kernel)
    finally:
        kernel.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    before, after = session(args.turns, attach_pdf=False)
    print(
        f"{args.turns} short offline turns: RSS {before:.1f} -> {after:.1f} MB "
        f"(+{after - before:.1f} MB)"
    )
    before, after = session(20, attach_pdf=True)
    print(
        f"20 turns, a 1 MB PDF attached to the first: RSS {before:.1f} -> {after:.1f} MB "
        f"(+{after - before:.1f} MB)"
    )


if __name__ == "__main__":
    main()
