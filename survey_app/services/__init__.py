"""Plain functions that change the database: they add and flush, log, and never commit.

The caller (a view or a CLI command) owns the transaction and commits once.
"""
