"""Password hashing (argon2id) and the token helpers used for sessions and device credentials."""

import hashlib
import secrets

from argon2.exceptions import InvalidHashError, VerificationError

from dozor.hashing import password_hasher

_hasher = password_hasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """256 bits, URL-safe: session tokens, device upload tokens, claim codes' secrets."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """High-entropy tokens are stored as SHA-256: fast to check per request, useless if leaked."""
    return hashlib.sha256(token.encode()).hexdigest()
