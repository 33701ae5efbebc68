"""Password hashing (Argon2id) and the 等保 password complexity policy.

Production uses argon2-cffi's defaults (RFC 9106 low-memory profile). Tests may ask for a
cheap profile with ``fast=True`` or ``SOC_ARGON2_FAST=1``; hashes made that way are flagged by
:func:`needs_rehash` under the production profile, so a login upgrades them.
"""

from __future__ import annotations

import os
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024
MIN_CLASSES = 3
FAST_ENV = "SOC_ARGON2_FAST"


def fast_profile_enabled() -> bool:
    """Whether ``SOC_ARGON2_FAST`` asks for the cheap test profile."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@cache
def _hasher(fast: bool) -> PasswordHasher:
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    return PasswordHasher(type=Type.ID)


def _pick(fast: bool | None) -> PasswordHasher:
    return _hasher(fast_profile_enabled() if fast is None else fast)


def hash_password(password: str, *, fast: bool | None = None) -> str:
    """Argon2id hash (PHC string) of ``password``; ``fast=None`` follows ``SOC_ARGON2_FAST``."""
    return _pick(fast).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; a malformed hash is simply False."""
    try:
        return _hasher(False).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, *, fast: bool | None = None) -> bool:
    """True when the hash was made with other parameters than the current profile."""
    try:
        return _pick(fast).check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@cache
def dummy_hash(fast: bool) -> str:
    """A hash of a random secret, verified against when a user is unknown (equal timing)."""
    return _hasher(fast).hash(os.urandom(16).hex())


def equalise_timing(password: str, *, fast: bool | None = None) -> None:
    """Spend the time of a real verification, so unknown users cannot be told apart."""
    verify_password(dummy_hash(fast_profile_enabled() if fast is None else fast), password)


def check_password_policy(password: str, username: str | None = None) -> list[str]:
    """Problems with ``password`` under the complexity policy; an empty list means it passes.

    Policy: at least 10 characters, at least 3 of the 4 classes upper / lower / digit /
    symbol, and it must not contain the username (case-insensitive).
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        problems.append(f"password must be at most {MAX_LENGTH} characters long")
    classes = (
        any(ch.isupper() for ch in password),
        any(ch.islower() for ch in password),
        any(ch.isdigit() for ch in password),
        any(not ch.isalnum() for ch in password),
    )
    if sum(classes) < MIN_CLASSES:
        problems.append(
            f"password must use at least {MIN_CLASSES} of: upper-case, lower-case, digits, symbols"
        )
    name = (username or "").strip().casefold()
    if name and name in password.casefold():
        problems.append("password must not contain the username")
    return problems
