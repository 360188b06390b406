"""Password hashing with Argon2id (argon2-cffi's recommended parameters), and random bearer tokens.

Only hashes are stored: Argon2id for passwords (slow on purpose), SHA-256 for tokens (long random strings need no
slow hash, and every API request looks one up).
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when a username does not exist, so a failed login takes as long either way. Made at the
    first sign-in, not at import: every command that imports this module would pay ~0.1 s for it."""
    return _hasher.hash("yibao-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> str:
    return "yb_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
