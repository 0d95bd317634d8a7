"""The argon2 parameters every password hash in Dozor uses (portal accounts and the box's technician).

Production uses argon2-cffi's RFC 9106 low-memory profile (t=3, 64 MiB, p=4). `DOZOR_PASSWORD_HASH_PROFILE`
names another of `argon2.profiles`: `RFC_9106_HIGH_MEMORY` for stronger servers, `CHEAPEST` only for test
suites (thousands of accounts made per run; strength is not what they test). A hash carries its own
parameters, so hashes made under one profile still verify under another.
"""

from __future__ import annotations

import os

from argon2 import PasswordHasher, profiles

from dozor.errors import UserError

PROFILE_ENV = "DOZOR_PASSWORD_HASH_PROFILE"
PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


def password_hasher() -> PasswordHasher:
    name = os.environ.get(PROFILE_ENV, "RFC_9106_LOW_MEMORY")
    if name not in PROFILES:
        raise UserError(f"{PROFILE_ENV}: unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    return PasswordHasher.from_parameters(getattr(profiles, name))
