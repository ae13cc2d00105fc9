#!/usr/bin/env bash
# Install claude_magic with JupyterLab (into the active virtualenv, or ./.venv) and open a
# working copy of the tutorial notebooks in lab/ (git-ignored; made from notebooks/ on the
# first run, later runs add new tutorials and never overwrite a notebook you changed).
# Without ANTHROPIC_API_KEY every %%claude cell runs on the offline simulator; extra
# arguments go to `jupyter lab` (e.g. --no-browser --port 8899).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
python -m pip install -q -e ".[lab]"
python scripts/lab_copy.py notebooks lab
exec python -m jupyter lab lab/ "$@"
