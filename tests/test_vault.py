"""The secret vault: encryption at rest, the generated key file, key rotation, and no key leaks."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from socialdesk.config import Settings
from socialdesk.vault import service as vault_service
from socialdesk.vault.models import StoredSecret
from socialdesk.vault.service import Vault, VaultKeyError, load_keys

PLAINTEXT = "smtp-password-Zebra-42!"


def _settings(tmp_path, **overrides) -> Settings:
    values = {"data_dir": tmp_path / "data", "database_url": "sqlite://", "secret_key": None, "vault_keys": None}
    values.update(overrides)
    return Settings(**values)


def test_encrypt_decrypt_round_trip_and_ciphertext_differs():
    vault = Vault([Fernet.generate_key().decode()])
    token = vault.encrypt(PLAINTEXT)
    assert PLAINTEXT not in token
    assert vault.decrypt(token) == PLAINTEXT
    assert vault.encrypt(PLAINTEXT) != token  # a fresh IV each time
    assert vault.decrypt(vault.encrypt("")) == ""
    assert vault.decrypt(vault.encrypt("héllo ✓")) == "héllo ✓"


def test_stored_secret_is_encrypted_in_the_database(session, settings):
    vault = Vault.from_settings(settings)
    vault_service.put(session=session, vault=vault, name="smtp", value=PLAINTEXT)
    session.flush()
    raw = session.execute(text("SELECT ciphertext FROM stored_secrets")).scalars().all()
    assert len(raw) == 1 and PLAINTEXT not in raw[0]
    assert vault_service.get(session=session, vault=vault, name="smtp") == PLAINTEXT
    # Replacing keeps one row; a secret per client is separate from the agency's.
    vault_service.put(session=session, vault=vault, name="smtp", value="second")
    assert vault_service.get(session=session, vault=vault, name="smtp") == "second"
    assert len(session.scalars(select(StoredSecret)).all()) == 1
    with pytest.raises(vault_service.NotFound):
        vault_service.get(session=session, vault=vault, name="missing")


def test_key_file_is_generated_with_mode_0600_and_reused(tmp_path):
    settings = _settings(tmp_path)
    keys = load_keys(settings)
    path = settings.data_dir / "vault.key"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys == [path.read_text().strip()]
    assert load_keys(_settings(tmp_path)) == keys
    token = Vault.from_settings(settings).encrypt(PLAINTEXT)
    assert Vault.from_settings(_settings(tmp_path)).decrypt(token) == PLAINTEXT


def test_session_secret_file_is_generated_with_mode_0600_and_reused(tmp_path):
    first = _settings(tmp_path).session_secret()
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _settings(tmp_path).session_secret() == first and len(first) >= 32


def test_configured_keys_win_over_the_key_file(tmp_path):
    key = Fernet.generate_key().decode()
    assert load_keys(_settings(tmp_path, vault_keys=f" {key} ,")) == [key]
    assert not (tmp_path / "data" / "vault.key").exists()


def test_rotation_reencrypts_everything_with_the_new_key(session):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_vault = Vault([old])
    for i in range(3):
        vault_service.put(session=session, vault=old_vault, name=f"token-{i}", value=f"{PLAINTEXT}-{i}")
    before = {r.name: r.ciphertext for r in session.scalars(select(StoredSecret))}
    rotated = Vault([new, old])
    assert vault_service.rotate_all(session=session, vault=rotated) == 3
    after = {r.name: r.ciphertext for r in session.scalars(select(StoredSecret))}
    assert all(after[n] != before[n] for n in before)
    only_new, only_old = Vault([new]), Vault([old])
    for i in range(3):
        assert vault_service.get(session=session, vault=only_new, name=f"token-{i}") == f"{PLAINTEXT}-{i}"
        with pytest.raises(VaultKeyError):
            vault_service.get(session=session, vault=only_old, name=f"token-{i}")


def test_rotation_with_a_missing_old_key_fails_clearly(session):
    vault_service.put(session=session, vault=Vault([Fernet.generate_key().decode()]), name="x", value="y")
    with pytest.raises(VaultKeyError, match="cannot be decrypted"):
        vault_service.rotate_all(session=session, vault=Vault([Fernet.generate_key().decode()]))


def test_a_bad_key_in_settings_gives_a_clear_error(tmp_path):
    good = Fernet.generate_key().decode()
    with pytest.raises(VaultKeyError, match=r"key #2 is not a Fernet key") as raised:
        load_keys(_settings(tmp_path, vault_keys=f"{good},not-a-key"))
    assert "not-a-key" not in str(raised.value)
    with pytest.raises(VaultKeyError, match="key #1"):
        Vault.from_settings(_settings(tmp_path, vault_keys="short"))
    with pytest.raises(VaultKeyError):
        Vault([])


def test_repr_of_a_vault_shows_no_key():
    key = Fernet.generate_key().decode()
    vault = Vault([key])
    assert key not in repr(vault) and key not in str(vault)


def test_settings_do_not_show_their_secrets(tmp_path):
    key = Fernet.generate_key().decode()
    secret = "session-signing-secret-" + "q" * 20
    settings = _settings(tmp_path, vault_keys=key, secret_key=secret)
    for shown in (repr(settings), str(settings), repr(settings.model_dump()), settings.model_dump_json()):
        assert key not in shown and secret not in shown
    assert settings.vault_keys.get_secret_value() == key
    assert settings.session_secret() == secret


def test_settings_read_secrets_from_the_environment(tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SOCIALDESK_VAULT_KEYS", key)
    monkeypatch.setenv("SOCIALDESK_LOGIN_MAX_FAILURES", "3")
    settings = Settings(data_dir=tmp_path)
    assert settings.vault_keys.get_secret_value() == key and settings.login_max_failures == 3
    assert key not in repr(settings)
