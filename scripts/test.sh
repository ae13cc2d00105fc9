#!/usr/bin/env bash
# Install claude_magic with its test extras (into the active virtualenv, or ./.venv) and
# run the whole suite on the offline simulator: ruff, unit, kernel and notebook tests.
# No API key and no network beyond the package index are needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
python -m pip install -q -e ".[test]"
python -m ruff check claude_magic tests benchmarks
python -m pytest "$@"
