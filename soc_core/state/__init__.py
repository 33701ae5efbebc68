"""The StateStore: SQLAlchemy 2 models, Alembic migrations, users, roles and sessions.

Open it with :func:`open_state` (``Settings.state_url``); the operation log lives in
``soc_core.audit``.
"""

from soc_core.state.db import StateStore, open_state
from soc_core.state.models import ApiSession, AuditEntry, Base, User, UserRole

__all__ = ["ApiSession", "AuditEntry", "Base", "StateStore", "User", "UserRole", "open_state"]
