"""Request and response bodies of the auth routes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LoginRequest(BaseModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    """A Bearer token for the API."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="idle timeout in seconds")
    roles: list[str]
