"""Small data sets shipped with the package, for the tutorials and your own experiments.

`reviews()`: 30 short app-store reviews written for this package (not real customers),
with `review_id`, `app`, `platform`, `stars` and the `review` text: mixed sentiment,
devices, versions, prices and order numbers to extract.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def reviews() -> pd.DataFrame:
    """The sample reviews, indexed by `review_id`."""
    import pandas as pd

    with files(__name__).joinpath("reviews.csv").open(encoding="utf-8") as handle:
        return pd.read_csv(handle, index_col="review_id")
