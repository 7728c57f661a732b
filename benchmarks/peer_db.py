"""The bare peers' database connection: one per thread, as a pool hands out, because the
servers run with production's gunicorn settings (deploy/gunicorn.conf.py: threaded workers)."""

from __future__ import annotations

import os
import threading

import psycopg

_per_thread = threading.local()


def connection() -> psycopg.Connection:
    if not hasattr(_per_thread, "connection"):
        _per_thread.connection = psycopg.connect(os.environ["PEER_DSN"], autocommit=True)
    return _per_thread.connection
