"""Keep a working copy of the tutorials, so running them never dirties the tracked files.

`python scripts/lab_copy.py [SOURCE [TARGET]]` (default: notebooks/ into lab/, which git
ignores) copies every file of SOURCE that TARGET lacks. A copy that is still exactly as it
was copied is brought up to date when the tutorial changes; a copy the student has run,
edited or saved is never overwritten. What was copied is remembered in TARGET/.copied.json
(file → SHA-256 of the copied content).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

MANIFEST = ".copied.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(source: Path, target: Path) -> dict[str, list[str]]:
    """Copy new files, update untouched copies, keep edited ones; returns what it did
    ("kept" lists edited copies whose original has changed since)."""
    manifest_path = target / MANIFEST
    copied: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    done: dict[str, list[str]] = {"copied": [], "updated": [], "kept": []}
    for src in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = src.relative_to(source)
        if ".ipynb_checkpoints" in rel.parts:
            continue
        name, dst = rel.as_posix(), target / rel
        if not dst.exists():
            action = "copied"
        elif _digest(dst) == _digest(src):
            copied[name] = _digest(src)
            continue
        elif copied.get(name) == _digest(dst):
            action = "updated"  # an untouched copy of a tutorial that changed since
        else:  # the student's own version: never overwritten
            if copied.get(name) != _digest(src):
                done["kept"].append(name)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        copied[name] = _digest(dst)
        done[action].append(name)
    target.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(copied, indent=1, sort_keys=True) + "\n")
    return done


def main(argv: list[str]) -> None:
    source = Path(argv[0] if argv else "notebooks")
    target = Path(argv[1] if len(argv) > 1 else "lab")
    done = sync(source, target)
    for action in ("copied", "updated"):
        if done[action]:
            print(f"{target}/: {action} {', '.join(done[action])}")
    if done["kept"]:
        print(
            f"{target}/: kept your edited {', '.join(done['kept'])} "
            f"(the original changed: see {source}/; delete your copy to get the new one)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
