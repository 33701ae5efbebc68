"""Request and response bodies of the auth routes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LoginRequest(BaseModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    """A Bearer token for the API (the console uses the cookies set beside it)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="idle timeout in seconds")
    roles: list[str]
    username: str
    csrf_token: str = Field(description="send as X-CSRF-Token with cookie-authenticated changes")


class Me(BaseModel):
    """The signed-in user, their roles and what those roles grant."""

    username: str
    display_name: str | None
    roles: list[str]
    role_labels: dict[str, str]
    permissions: list[str]
    idle_timeout_s: int
    demo: bool = False


class PasswordChange(BaseModel):
    """Change one's own password."""

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)
