"""Drive a real ipykernel the way JupyterLab does: execute_request with `cellId` metadata.

`Kernel.run(code, cell_id=...)` sends one cell and collects every iopub message it caused
until the kernel is idle again, so tests can assert on what a frontend would receive.
`Frontend` turns those messages into the .ipynb JupyterLab would save: nbformat 4.5 cells
whose `id` is the cellId, outputs cleared on re-run, `update_display_data` applied to every
output with its display_id, streams merged, no widget state (JupyterLab's default).
"""

from __future__ import annotations

import json
import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import start_new_kernel
from nbformat.v4 import new_code_cell, new_notebook, new_output

# Credentials and settings a developer's shell may have; tests start from none of them.
SCRUBBED_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_MAGIC_BACKEND",
    "JPY_SESSION_NAME",
)


@dataclass
class CellResult:
    messages: list[dict[str, Any]] = field(default_factory=list)
    reply: dict[str, Any] | None = None

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stdout"
        )

    @property
    def stderr(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stderr"
        )

    @property
    def error(self) -> dict[str, Any] | None:
        """The cell's error: an iopub error, or (UsageError) only the reply's status."""
        errors = self.of_type("error")
        if errors:
            return errors[0]["content"]
        if self.reply and self.reply.get("status") == "error":
            return self.reply
        return None

    @property
    def error_text(self) -> str:
        error = self.error
        if error is None:
            return ""
        return "\n".join([*error.get("traceback", []), self.stderr, error.get("evalue", "")])

    def displays(self) -> list[dict[str, Any]]:
        """Data of display_data / update_display_data / execute_result, in order."""
        kinds = ("display_data", "update_display_data", "execute_result")
        return [m["content"]["data"] for m in self.of_type(*kinds)]

    def raw(self) -> str:
        """Everything the frontend received, as one string (for leak checks)."""
        return json.dumps([m["content"] for m in self.messages], default=str)


class Kernel:
    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        kernel_env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        kernel_env.update(
            {"CLAUDE_MAGIC_OFFLINE_TOKEN_RATE": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        )
        kernel_env.update(env or {})
        self.manager, self.client = start_new_kernel(
            kernel_name="python3", env=kernel_env, cwd=cwd, startup_timeout=60
        )

    def send(self, code: str, cell_id: str | None = None) -> str:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = self.client.session.msg("execute_request", content, metadata=metadata)
        self.client.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def collect(self, msg_id: str, timeout: float = 60) -> CellResult:
        result = CellResult()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell {msg_id} did not finish in {timeout}s")
            try:
                msg = self.client.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    break
                continue
            result.messages.append(msg)
        while True:
            reply = self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                result.reply = reply["content"]
                return result

    def run(self, code: str, cell_id: str | None = None, timeout: float = 60) -> CellResult:
        return self.collect(self.send(code, cell_id), timeout)

    def value(self, expr: str) -> Any:
        """Evaluate `expr` in the kernel and return it, JSON-decoded."""
        result = self.run(f"import json as _j; print(_j.dumps({expr}, default=str))")
        assert result.error is None, result.error_text
        return json.loads(result.stdout.strip().splitlines()[-1])

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()

    def restart(self) -> None:
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


class Frontend:
    """The notebook model a frontend keeps from the iopub messages of the cells it runs."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.cells: dict[str, Any] = {}
        self.display_ids: dict[int, str] = {}
        """id(output) -> its display_id (transient: not saved in the file)."""
        self.runs: dict[str, list[CellResult]] = {}

    def run(self, cell_id: str, code: str, *, fails: bool = False) -> CellResult:
        """Run a cell and keep its outputs as the frontend would; `fails`: it must fail."""
        result = self.kernel.run(code, cell_id=cell_id)
        assert (result.error is not None) == fails, result.error_text or "no error"
        cell = self.cells.get(cell_id)
        if cell is None:
            cell = self.cells[cell_id] = new_code_cell(code, id=cell_id)
        cell.source = code
        cell.outputs = []
        self.runs.setdefault(cell_id, []).append(result)
        for msg in result.messages:
            self._apply(cell, msg)
        cell.execution_count = result.reply["execution_count"]
        return result

    def _apply(self, cell: Any, msg: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            last = cell.outputs[-1] if cell.outputs else None
            if last and last.output_type == "stream" and last.name == content["name"]:
                last.text += content["text"]
            else:
                cell.outputs.append(
                    new_output("stream", name=content["name"], text=content["text"])
                )
        elif kind in ("display_data", "execute_result"):
            extra = (
                {"execution_count": content["execution_count"]} if kind == "execute_result" else {}
            )
            output = new_output(kind, data=content["data"], metadata=content["metadata"], **extra)
            cell.outputs.append(output)
            display_id = (content.get("transient") or {}).get("display_id")
            if display_id:
                self.display_ids[id(output)] = display_id
        elif kind == "update_display_data":
            display_id = content["transient"]["display_id"]
            for other in self.cells.values():
                for output in other.outputs:
                    if self.display_ids.get(id(output)) == display_id:
                        output.data = content["data"]
                        output.metadata = content["metadata"]
        elif kind == "error":
            cell.outputs.append(new_output("error", **content))

    def notebook(self) -> Any:
        nb = new_notebook(cells=list(self.cells.values()))
        nb.nbformat, nb.nbformat_minor = 4, 5
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        return nb

    def save(self, path: Path) -> Path:
        nb = self.notebook()
        nbformat.validate(nb)
        nbformat.write(nb, os.fspath(path))
        return path
