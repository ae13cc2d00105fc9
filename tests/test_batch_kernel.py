"""`claude_magic.batch` in a real ipykernel, as JupyterLab drives it: the progress bar, an
interrupt while polling, and reattaching after a kernel restart.

The "API" is the simulator served on loopback from the test process (a key and
ANTHROPIC_BASE_URL point the kernel at it), so the batch outlives the kernel's restart as it
would on Anthropic's side.
"""

from __future__ import annotations

import re
import time

from claude_magic.offline import Simulator, serve
from tests.kernel import Kernel

DATA = (
    "import pandas as pd, claude_magic\n"
    "df = pd.DataFrame({'review': [f'Review number {i}' for i in range(8)]},\n"
    "                  index=[f'r{i}' for i in range(8)])"
)


def test_progress_interrupt_restart_and_reattach(tmp_path):
    sim = Simulator()
    with serve(sim) as server:
        kernel = Kernel(
            env={"ANTHROPIC_API_KEY": "test-key-not-real", "ANTHROPIC_BASE_URL": server.url},
            cwd=str(tmp_path),
        )
        try:
            assert kernel.run("%load_ext claude_magic\n" + DATA).error is None

            # a quick batch: the bar is a widget, updated a few times a second at most
            sim.batches.seconds_per_request = 0.2  # 8 rows: about 1.6 s
            quick = kernel.run("out = claude_magic.batch(df, 'Classify: {review}')\nout",
                               cell_id="b1")  # fmt: skip
            assert quick.error is None, quick.error_text
            assert "Created batch msgbatch_" in quick.stdout
            assert "claude_magic.batch_job('msgbatch_" in quick.stdout
            widgets = quick.of_type("comm_open")
            assert widgets, "tqdm.auto shows an ipywidgets bar in a kernel"
            updates = quick.of_type("comm_msg")
            assert len(updates) < 60, f"{len(updates)} widget messages for a 2 s batch"
            frame = quick.displays()[-1]["text/plain"]
            assert "r7" in frame and "end_turn" in frame

            # a slow batch, interrupted while polling: it keeps running
            sim.batches.seconds_per_request = 1.0  # 8 rows: 8 s
            msg_id = kernel.send("claude_magic.batch(df, 'Again: {review}')", cell_id="b2")
            time.sleep(2.5)
            kernel.interrupt()
            stopped = kernel.collect(msg_id)
            assert stopped.error is not None and stopped.error["ename"] == "Interrupted"
            assert len(stopped.error["traceback"]) == 1  # one line
            text = stopped.error["evalue"]
            assert "keeps running (nothing was canceled)" in text
            batch_id = re.search(r"batch_job\('(msgbatch_\w+)'\)", text)[1]
            assert sim.batches.retrieve(batch_id)["processing_status"] == "in_progress"

            # a restart loses the kernel, not the batch
            kernel.restart()
            setup = kernel.run("import claude_magic\n" + DATA)
            assert setup.error is None, setup.error_text
            back = kernel.run(
                f"job = claude_magic.batch_job({batch_id!r}, data=df)\n"
                "out = job.wait(poll_interval=0.2)\n"
                "again = job.results()\n"
                "u = claude_magic.usage_frame()\n"
                "print(list(out.index), out.error.isna().all(), len(u), set(u.batch_id),"
                " set(u.service_tier))",
                timeout=60,
            )
            assert back.error is None, back.error_text
            assert back.stdout.strip().splitlines()[-1] == (
                f"{['r' + str(i) for i in range(8)]} True 8 {{'{batch_id}'}} {{'batch'}}"
            )
        finally:
            kernel.close()
