"""The password hash profile: production parameters by default, a named profile by setting, a clear refusal."""

import pytest
from argon2 import profiles

from dozor.errors import UserError
from dozor.hashing import PROFILE_ENV, password_hasher


def test_default_is_rfc_9106_low_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    hasher = password_hasher()
    assert (hasher.time_cost, hasher.memory_cost) == (
        profiles.RFC_9106_LOW_MEMORY.time_cost,
        profiles.RFC_9106_LOW_MEMORY.memory_cost,
    )


def test_hash_made_under_one_profile_verifies_under_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "CHEAPEST")
    cheap = password_hasher().hash("correct horse")
    monkeypatch.delenv(PROFILE_ENV)
    assert password_hasher().verify(cheap, "correct horse")


def test_unknown_profile_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "FAST")
    with pytest.raises(UserError, match="DOZOR_PASSWORD_HASH_PROFILE: unknown profile 'FAST'"):
        password_hasher()
