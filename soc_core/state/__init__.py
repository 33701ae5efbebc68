"""The StateStore: SQLAlchemy 2 models, Alembic migrations, users, roles and sessions.

Open it with :func:`open_state` (``Settings.state_url``); the operation log lives in
``soc_core.audit``.
"""

from soc_core.state.db import StateStore, open_state
from soc_core.state.models import ApiSession, AuditEntry, Base, User, UserRole
from soc_core.state.response import Approval, BlockRecord, Notice, PlaybookRun, PlaybookStep, ReportRecord

__all__ = [
    "ApiSession",
    "Approval",
    "AuditEntry",
    "Base",
    "BlockRecord",
    "Notice",
    "PlaybookRun",
    "PlaybookStep",
    "ReportRecord",
    "StateStore",
    "User",
    "UserRole",
    "open_state",
]
