"""Many rows out of the database without a Python object per row beyond the driver's tuple.

A million-response wave is a million rows: SQLAlchemy Row objects or ORM instances would cost
more than the statistics. Rows come straight from the driver's cursor, a chunk at a time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Select

from survey_app.extensions import db

CHUNK_ROWS = 200_000


def row_chunks(statement: Select, rows: int | None = None) -> Iterator[list[tuple]]:
    """A query's rows as lists of plain tuples, at most ``rows`` at a time."""
    cursor = db.session.connection().execute(statement).cursor
    while batch := cursor.fetchmany(rows or CHUNK_ROWS):
        yield batch


@contextmanager
def cycles_unchecked() -> Iterator[None]:
    """Pauses Python's cycle collector while a million rows arrive: the driver's tuples hold
    no cycles, yet each batch of new objects set off a collection that walked every row read
    so far (60% of loading a 300,000-response wave)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
