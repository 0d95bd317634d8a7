"""Mosquitto 2's password hash (``$7$``: PBKDF2-HMAC-SHA512, salted), written and checked without the broker."""

import base64
import hashlib
import hmac
import os

ITERATIONS = 101  # mosquitto_passwd's default; the secrets are 256-bit random tokens, not human passwords


def mosquitto_hash(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def mosquitto_verify(stored: str, password: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    _, _, iterations, salt, digest = parts
    expected = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(expected, base64.b64decode(digest))
