"""Secrets beside the flow: kept encrypted in git (SOPS + age), resolved by name while rendering."""

from schoolnet.secrets.store import SecretError, SecretStore, SopsSecrets, open_store, wireguard_public_key

__all__ = ["SecretError", "SecretStore", "SopsSecrets", "open_store", "wireguard_public_key"]
