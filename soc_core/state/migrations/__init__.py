"""Alembic migrations of the StateStore (run by ``soc_core.state.db.open_state``)."""
