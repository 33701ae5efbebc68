"""Argon2id hashing and the 等保 password complexity policy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc_core.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("Gongan-Lan-2024")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "Gongan-Lan-2024")
    assert not verify_password(hashed, "Gongan-Lan-2025")
    assert hash_password("Gongan-Lan-2024") != hashed  # salted


def test_malformed_hash_does_not_verify() -> None:
    assert not verify_password("not-a-hash", "whatever")
    assert needs_rehash("not-a-hash")


def test_fast_profile_is_flagged_for_rehash_in_production() -> None:
    fast = hash_password("Gongan-Lan-2024", fast=True)
    assert "m=1024,t=1,p=1" in fast
    assert not needs_rehash(fast, fast=True)
    assert needs_rehash(fast, fast=False)
    production = hash_password("Gongan-Lan-2024", fast=False)
    assert not needs_rehash(production, fast=False)
    assert verify_password(production, "Gongan-Lan-2024")


def test_env_selects_the_fast_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOC_ARGON2_FAST", "1")
    assert "t=1," in hash_password("Gongan-Lan-2024")
    monkeypatch.setenv("SOC_ARGON2_FAST", "0")
    assert "t=1," not in hash_password("Gongan-Lan-2024")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Ab1!", "at least 10 characters"),
        ("abcdefghijkl", "at least 3 of"),
        ("abcdefgh1234", "at least 3 of"),
        ("ABCDEFGH!!!!", "at least 3 of"),
        ("xAlice-2024-x", "must not contain the username"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_policy_failures(password: str, fragment: str) -> None:
    problems = check_password_policy(password, "alice")
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize("password", ["Gongan-Lan-2024", "abcdefgh12!@", "ABCDEFGH12ab", "zhengwu外网-2024X"])
def test_policy_passes(password: str) -> None:
    assert check_password_policy(password, "alice") == []


def test_policy_reports_every_problem() -> None:
    assert len(check_password_policy("alice", "alice")) == 3


@given(st.text(max_size=40), st.text(max_size=10))
def test_policy_never_raises_and_accepts_only_compliant(password: str, username: str) -> None:
    problems = check_password_policy(password, username)
    if not problems:
        assert len(password) >= 10
        assert not username.strip() or username.strip().casefold() not in password.casefold()
