"""Alembic migrations for the RADEX store (run from code by ``radex.store.migrate``)."""
