"""``python -m claude_magic.offline --port N [--host H] [--token-rate R]``"""

from __future__ import annotations

import argparse

from .server import serve
from .simulator import Simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m claude_magic.offline",
        description="Serve the offline Claude Messages API simulator on loopback.",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--token-rate",
        type=float,
        default=None,
        help="output tokens per second when streaming (default: instant)",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request")
    args = parser.parse_args(argv)
    server = serve(
        Simulator(token_rate=args.token_rate), port=args.port, host=args.host, verbose=args.verbose
    )
    print(
        f"offline Claude API simulator on {server.url} "
        f"(use anthropic.Anthropic(base_url={server.url!r}, api_key='anything'))",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
