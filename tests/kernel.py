"""Drive a real ipykernel the way JupyterLab does: execute_request with `cellId` metadata.

`Kernel.run(code, cell_id=...)` sends one cell and collects every iopub message it caused
until the kernel is idle again, so tests can assert on what a frontend would receive.
"""

from __future__ import annotations

import json
import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import start_new_kernel

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
