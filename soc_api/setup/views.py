"""Setup routes: where setup stands, and creating one admin account with the one-time token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, Field

from soc_api.auth.deps import client_ip, get_context
from soc_api.context import AppContext
from soc_api.setup.service import SETUP_ROLES, SetupError, create_setup_account, setup_status
from soc_core.errors import RoleConflictError
from soc_core.state.users import UserError
from soc_core.vocabulary import Role

router = APIRouter(prefix="/api/v1/setup", tags=["setup"])


class SetupRole(BaseModel):
    """One admin role and whether its account exists."""

    role: str
    label_zh: str
    done: bool
    username: str | None


class SetupState(BaseModel):
    """Whether setup is required and how far it is."""

    required: bool
    roles: list[SetupRole]


class SetupAccount(BaseModel):
    """One admin account, created by the person who will use it."""

    role: Role
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    display_name: str | None = Field(default=None, max_length=128)


class SetupAccountCreated(BaseModel):
    """The account made, and the admin roles still without one."""

    username: str
    role: str
    remaining: list[str]


@router.get("", response_model=SetupState)
def get_setup(ctx: AppContext = Depends(get_context)) -> SetupState:
    """Where first-start setup stands (no authentication: there are no accounts yet)."""
    with ctx.state.session(readonly=True) as session:
        current = setup_status(session)
    return SetupState(
        required=current.required,
        roles=[
            SetupRole(
                role=r.value,
                label_zh=r.label_zh,
                done=current.holders[r] is not None,
                username=current.holders[r] if current.required else None,
            )
            for r in SETUP_ROLES
        ],
    )


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=SetupAccountCreated)
def create_account(
    body: SetupAccount,
    request: Request,
    x_setup_token: Annotated[str, Header(description="the token of the setup link")] = "",
    ctx: AppContext = Depends(get_context),
) -> SetupAccountCreated:
    """Create one of the three admin accounts with the one-time setup token."""
    try:
        with ctx.state.session() as session:
            current = create_setup_account(
                session,
                token=x_setup_token,
                role=body.role,
                username=body.username,
                password=body.password,
                display_name=body.display_name,
                source_ip=client_ip(request),
                now=dt.datetime.now(dt.UTC),
            )
    except SetupError as exc:
        request.state.audited = exc.status == status.HTTP_403_FORBIDDEN  # recorded by the service
        raise HTTPException(exc.status, exc.message) from None
    except RoleConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, exc.message) from None
    except UserError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, exc.message) from None
    request.state.audited = True  # create_user recorded it
    request.app.state.setup_check.mark_changed()
    return SetupAccountCreated(
        username=body.username, role=body.role.value, remaining=[r.value for r in current.remaining]
    )
