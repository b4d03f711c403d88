"""Security services: the credential vault (and, later, users, roles, grants, tokens, audit)."""

from radex.security.vault import CredentialVault, add_key, key_from_secret, load_vault

__all__ = ["CredentialVault", "add_key", "key_from_secret", "load_vault"]
