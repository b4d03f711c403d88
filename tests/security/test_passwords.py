"""Password hashing: argon2id hashes, verification, and re-hashing of weaker parameters."""

from __future__ import annotations

from argon2 import PasswordHasher

from radex.security.passwords import hash_password, needs_rehash, verify_password

WEAK = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$v=19$")
    assert "correct horse" not in first
    assert first != second  # a fresh salt each time
    assert verify_password(first, "correct horse")
    assert verify_password(second, "correct horse")
    assert not verify_password(first, "correct horsE")
    assert not verify_password(first, "")


def test_malformed_hashes_never_verify() -> None:
    assert not verify_password("", "x")
    assert not verify_password("not a hash", "not a hash")
    assert not verify_password("$argon2id$v=19$m=65536,t=3,p=4$AAAA$BBBB", "x")


def test_needs_rehash_flags_weaker_parameters_only() -> None:
    current = hash_password("pw-123456")
    weak = hash_password("pw-123456", WEAK)
    assert not needs_rehash(current)
    assert needs_rehash(weak)
    assert verify_password(weak, "pw-123456")  # still verifies, with its own parameters
    assert needs_rehash("garbage")
