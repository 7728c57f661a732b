"""Many rows in and out of the database without a Python object per row.

A million-response wave has over ten million answers: ORM objects, SQLAlchemy rows or one
driver result holding them all would cost more time and memory than the statistics. Reads
come straight from the driver's cursor in chunks; on PostgreSQL they use COPY.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Select

from survey_app.extensions import db

CHUNK_ROWS = 200_000


def frame_of(statement: Select) -> pd.DataFrame:
    """A query's rows as a DataFrame, straight from the driver's cursor: no Row object per
    row, which costs more than the query itself on a large wave."""
    result = db.session.connection().execute(statement)
    return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))


def chunks_of(statement: Select, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """A query's rows a chunk at a time, as text: a million-response wave has over ten
    million answers, more than fit in memory as Python rows or as one driver result.

    PostgreSQL streams them with ``COPY ... TO STDOUT`` into pandas' CSV reader; SQLite's
    cursor already produces rows only as they are fetched.
    """
    rows = rows or CHUNK_ROWS
    connection = db.session.connection()
    columns = list(statement.selected_columns.keys())
    if connection.dialect.name != "postgresql":
        cursor = connection.execute(statement).cursor
        while batch := cursor.fetchmany(rows):
            yield pd.DataFrame(batch, columns=columns)
        return
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    with connection.connection.driver_connection.cursor() as cursor:
        # Compiling a wave-sized query to machine code took longer than it saved (1.2 s of
        # 11.6 at a million responses); off until this transaction ends.
        cursor.execute("SET LOCAL jit = off")
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy:
            yield from pd.read_csv(
                io.BufferedReader(_CopyStream(copy), 1 << 20),
                names=columns,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                chunksize=rows,
            )


class _CopyStream(io.RawIOBase):
    """The blocks of a psycopg COPY as a readable byte stream."""

    def __init__(self, copy) -> None:
        self._blocks = iter(copy)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = memoryview(block)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
