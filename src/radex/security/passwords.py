"""Password hashing: argon2id (argon2-cffi's RFC 9106 low-memory profile), verified in
constant time; a hash made with weaker parameters is flagged for re-hashing at next sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4, 16-byte salt, 32-byte hash


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    """The argon2id hash of a password, in PHC string form (``$argon2id$v=19$...``)."""
    return (hasher or _HASHER).hash(password)


def verify_password(
    password_hash: str, password: str, hasher: PasswordHasher | None = None
) -> bool:
    """Whether ``password`` matches the hash (False for a wrong password or a malformed hash)."""
    try:
        return (hasher or _HASHER).verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, hasher: PasswordHasher | None = None) -> bool:
    """Whether the hash was made with other parameters than the current ones."""
    try:
        return (hasher or _HASHER).check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
