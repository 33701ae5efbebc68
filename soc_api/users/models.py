"""Request and response bodies of the account routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from soc_core.state.models import User
from soc_core.vocabulary import Role


class UserOut(BaseModel):
    """An account as administrators see it (never its password hash)."""

    username: str
    display_name: str | None
    roles: list[str]
    disabled: bool
    locked_until: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """The account as the API shows it."""
        return cls(
            username=user.username,
            display_name=user.display_name,
            roles=user.role_names,
            disabled=user.disabled,
            locked_until=user.locked_until,
            created_at=user.created_at,
        )


class UserList(BaseModel):
    """Every account."""

    items: list[UserOut]


class UserCreate(BaseModel):
    """A new account."""

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[Role] = Field(min_length=1, max_length=6)
    display_name: str | None = Field(default=None, max_length=128)


class UserChange(BaseModel):
    """What to change on an account; fields left out stay as they are."""

    disabled: bool | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=6)


class PasswordReset(BaseModel):
    """A new password set by the system admin."""

    password: str = Field(min_length=1, max_length=1024)
