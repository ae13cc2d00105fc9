"""The course's rules, checked on every numbered notebook (notebooks/NN_*.ipynb).

Each notebook: opens with what you will learn and how long it takes; shows a `%%claude`
cell and the raw SDK call; has an "If you learned from an older tutorial" box; ends with an
exercise whose check the learner's stub fails and the hidden solution passes (checked on the
executed notebook in test_notebooks.py), then a quiz with answers in <details>. Model ids
must be known to the model table (courses rot when models retire). docs/course.md maps each
topic of the course's coverage table to a notebook section that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from claude_magic.models import get_model

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK = re.compile(r"course\.check_(\w+)\(")
MODEL_ID = re.compile(r"\bclaude-[a-z]+(?:-[a-z0-9]+)*\b")
# Ids a lesson uses on purpose to show an error (an unknown or retired model).
DELIBERATELY_UNKNOWN = {"claude-nonexistent-9", "claude-3-opus-20240229", "claude-future-9"}
NOT_MODEL_IDS = {"claude-magic", "claude-code"}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _text(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def test_the_course_has_its_notebooks():
    numbers = sorted(int(p.name[:2]) for p in COURSE)
    assert len(COURSE) >= 14, [p.name for p in COURSE]
    assert numbers == list(range(len(numbers))), "notebooks are numbered 00, 01, ... in order"


@pytest.mark.parametrize("path", COURSE, ids=_ids(COURSE))
def test_a_lesson_follows_the_course_template(path: Path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    intro = _text(cells[0])
    assert cells[0].cell_type == "markdown" and intro.startswith("# "), "starts with a title"
    assert "you will learn" in intro.lower(), "the intro lists what you will learn"
    assert re.search(r"about \d+ minutes", intro.lower()), "the intro says how long it takes"
    code = [_text(c) for c in cells if c.cell_type == "code"]
    markdown = [_text(c) for c in cells if c.cell_type == "markdown"]
    assert any(c.lstrip().startswith(("%%claude", "%claude")) for c in code), "a %%claude cell"
    assert any(re.search(r"\bclient\.(beta\.)?messages\.|anthropic\.", c) for c in code), (
        "the raw SDK call for the same thing"
    )
    assert any("if you learned from an older tutorial" in m.lower() for m in markdown)
    exercise = next(
        (i for i, c in enumerate(cells) if c.cell_type == "markdown"
         and re.match(r"#+ Exercise", _text(c).strip())),
        None,
    )  # fmt: skip
    assert exercise is not None, "an '## Exercise' section"
    checks = [
        (i, CHECK.search(_text(c)).group(1))
        for i, c in enumerate(cells)
        if i > exercise and c.cell_type == "code" and CHECK.search(_text(c))
    ]
    assert len(checks) >= 2, "the learner's check, then the hidden solution's check"
    (stub_at, name), (solution_at, again) = checks[0], checks[-1]
    assert name == again, "the solution is checked by the same check as the learner's code"
    solution = cells[solution_at]
    assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, (
        "the solution cell is hidden (metadata jupyter.source_hidden)"
    )
    quiz = [
        _text(c)
        for c in cells[stub_at:solution_at]
        if c.cell_type == "markdown" and "<details>" in _text(c)
    ]
    assert quiz, "a quiz with its answers in <details>, between the exercise and the solution"
    from claude_magic import course

    assert name in course.exercises(), f"course.check_{name} is not a registered exercise"


@pytest.mark.parametrize("path", COURSE, ids=_ids(COURSE))
def test_model_ids_are_known_to_the_model_table(path: Path):
    nb = nbformat.read(path, as_version=4)
    found = {m for cell in nb.cells for m in MODEL_ID.findall(_text(cell))}
    unknown = {
        m for m in found - DELIBERATELY_UNKNOWN - NOT_MODEL_IDS if get_model(m) is None
    }
    assert not unknown, f"model ids the model table does not know: {sorted(unknown)}"


def _course_map() -> list[tuple[str, str, str]]:
    """(topic, notebook stem, section) rows of docs/course.md's coverage tables."""
    rows = []
    for line in (ROOT / "docs" / "course.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"\d\d_\w+", cells[1]):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_every_topic_maps_to_a_notebook_section_that_exists():
    rows = _course_map()
    assert len(rows) >= 109, f"docs/course.md maps {len(rows)} topics; the plan has 109"
    headings: dict[str, str] = {}
    for path in COURSE:
        nb = nbformat.read(path, as_version=4)
        headings[path.stem] = "\n".join(
            line for c in nb.cells if c.cell_type == "markdown"
            for line in _text(c).splitlines() if line.startswith("#")
        )  # fmt: skip
    for topic, stem, section in rows:
        assert stem in headings, f"{topic!r}: no notebook {stem}"
        assert section.lower() in headings[stem].lower(), (
            f"{topic!r}: {stem} has no heading containing {section!r}"
        )


def test_the_caching_lesson_names_every_model_whose_cache_read_is_not_a_tenth():
    """08 states the read multipliers in prose, next to a table computed from the price
    table: every active model whose read is not 0.1× input must be named with its rate."""
    from claude_magic.models import MODELS

    nb = nbformat.read(ROOT / "notebooks" / "08_prompt_caching.ipynb", as_version=4)
    prose = next(
        c.source for c in nb.cells if c.source.startswith("## What writes and reads cost")
    )
    for model in MODELS.values():
        ratio = round(model.price.cache_read / model.price.input, 4)
        if model.lifecycle != "active" or ratio == 0.1:
            continue
        name = model.display_name.removeprefix("Claude ")
        assert name in prose and f"{ratio:g}×" in prose, (name, ratio)


def test_a_notebook_that_names_the_course_index_links_to_it():
    """The index of the notebooks is notebooks/README.md (docs/course.md is the topic map)."""
    for path in COURSE:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            text = _text(cell)
            if cell.cell_type == "markdown" and "index of all notebooks" in text:
                assert "(README.md)" in text, f"{path.name}: {text!r}"
