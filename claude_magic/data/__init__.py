"""Small data sets shipped with the package, for the tutorials and your own experiments.

`reviews()`: 30 short app-store reviews written for this package (not real customers),
with `review_id`, `app`, `platform`, `stars` and the `review` text: mixed sentiment,
devices, versions, prices and order numbers to extract.

`saved_course()`: a folder of three lessons saved with their outputs (turn records and
usage), for cost analysis (`usage_from_notebooks`) and replay (`%claude replay`) without a
key. Regenerated with `scripts/make_saved_course.py`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def reviews() -> pd.DataFrame:
    """The sample reviews, indexed by `review_id`."""
    import pandas as pd

    with files(__name__).joinpath("reviews.csv").open(encoding="utf-8") as handle:
        return pd.read_csv(handle, index_col="review_id")


def saved_course(name: str = "") -> Path:
    """The shipped folder of saved lessons, or the notebook `name` in it."""
    path = Path(str(files(__name__).joinpath("saved_course"))) / name
    if not path.exists():
        shipped = ", ".join(sorted(p.name for p in path.parent.glob("*.ipynb")))
        raise FileNotFoundError(f"no {name!r} in the saved course; it has {shipped}")
    return path
