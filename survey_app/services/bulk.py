"""Many rows out of the database without a Python object per row beyond the driver's tuple.

A million-response wave is a million rows: SQLAlchemy Row objects or ORM instances would cost
more than the statistics. Rows come straight from the driver's cursor, a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select

from survey_app.extensions import db

CHUNK_ROWS = 200_000


def row_chunks(statement: Select, rows: int | None = None) -> Iterator[list[tuple]]:
    """A query's rows as lists of plain tuples, at most ``rows`` at a time."""
    cursor = db.session.connection().execute(statement).cursor
    while batch := cursor.fetchmany(rows or CHUNK_ROWS):
        yield batch
