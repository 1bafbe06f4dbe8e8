"""The secret vault: credentials encrypted at rest with Fernet, keys rotatable (MultiFernet).

Keys come from ``SOCIALDESK_VAULT_KEYS`` (comma-separated, newest first) or, when unset, from
``vault.key`` in the data folder, generated on first use with mode 0600. To rotate, put a new
key first, keep the old ones after it, and run ``socialdesk vault rotate``.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.config import Settings, read_or_create_key_file
from socialdesk.kit.errors import DomainError, NotFound
from socialdesk.vault.models import StoredSecret


class VaultKeyError(DomainError):
    """The vault keys cannot decrypt a stored secret (a key was removed too early)."""


def load_keys(settings: Settings) -> list[str]:
    if settings.vault_keys:
        keys = [k.strip() for k in settings.vault_keys.get_secret_value().split(",") if k.strip()]
    else:
        path = settings.ensure_data_dir() / "vault.key"
        keys = [read_or_create_key_file(path, lambda: Fernet.generate_key().decode())]
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise VaultKeyError(
                f"SOCIALDESK_VAULT_KEYS: key #{index + 1} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `socialdesk vault new-key`)"
            ) from None
    return keys


class Vault:
    """Encrypts and decrypts with the first key; decrypts with any."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise VaultKeyError("the vault needs at least one key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return cls(load_keys(settings))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultKeyError("a stored secret cannot be decrypted with the configured vault keys") from None

    def rotate_token(self, ciphertext: str) -> str:
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultKeyError("a stored secret cannot be decrypted with the configured vault keys") from None

    def __repr__(self) -> str:  # never show key material
        return "<Vault>"


def _find(session: Session, name: str, client_id: int | None) -> StoredSecret | None:
    owner = StoredSecret.client_id.is_(None) if client_id is None else StoredSecret.client_id == client_id
    return session.scalar(select(StoredSecret).where(owner, StoredSecret.name == name))


def put(*, session: Session, vault: Vault, name: str, value: str, client_id: int | None = None) -> StoredSecret:
    """Store (or replace) the secret ``name`` for a client (or the agency when ``client_id`` is None)."""
    row = _find(session, name, client_id)
    if row is None:
        row = StoredSecret(client_id=client_id, name=name, ciphertext=vault.encrypt(value))
        session.add(row)
    else:
        row.ciphertext = vault.encrypt(value)
    session.flush()
    return row


def get(*, session: Session, vault: Vault, name: str, client_id: int | None = None) -> str:
    row = _find(session, name, client_id)
    if row is None:
        raise NotFound(f"no secret named {name!r} is stored")
    return vault.decrypt(row.ciphertext)


def rotate_all(*, session: Session, vault: Vault) -> int:
    """Re-encrypt every stored secret with the newest key; returns how many were rewritten."""
    count = 0
    for row in session.scalars(select(StoredSecret)):
        row.ciphertext = vault.rotate_token(row.ciphertext)
        count += 1
    session.flush()
    return count


def delete(*, session: Session, name: str, client_id: int | None = None) -> bool:
    """Remove the secret ``name`` (of a client, or of the agency); returns whether it existed."""
    row = _find(session, name, client_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
