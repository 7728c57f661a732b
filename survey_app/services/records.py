"""Tables as JSON-ready records: what a snapshot, a weight run's margins and a release store."""

from __future__ import annotations

from typing import Any

import pandas as pd


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row as a dict of plain Python values, NaN and ``pd.NA`` as ``None`` (JSON has no
    NaN, and PostgreSQL's json type refuses it)."""
    return [
        {k: (None if v is None or v is pd.NA or v != v else v) for k, v in row.items()}
        for row in table.astype(object).to_dict("records")
    ]
