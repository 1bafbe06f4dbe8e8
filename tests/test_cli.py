"""The command line, run with Typer's CliRunner against the test database."""

from __future__ import annotations

import json
import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from conftest import point_settings_at
from socialdesk.cli import app
from socialdesk.config import get_settings
from socialdesk.team import service as team_service
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault, VaultKeyError


@pytest.fixture
def cli(settings, monkeypatch):
    """Run `socialdesk ARGS...` on the test database; returns the CliRunner result."""
    point_settings_at(monkeypatch, settings)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        get_settings.cache_clear()  # pick up environment changes made by the test
        return runner.invoke(app, list(args), input=input)

    yield run
    get_settings.cache_clear()


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def failed(result) -> str:
    """The one-line error of a command that must fail cleanly."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_help_lists_every_command_with_a_summary(cli):
    out = ok(cli("--help"))
    for command in ("serve", "migrate", "worker", "demo", "clients", "users", "vault"):
        assert re.search(rf"│ {command}\s+\S", out), command
    assert "add" in ok(cli("clients", "--help")) and "invite" in ok(cli("users", "--help"))


def test_clients_add_list_and_show(cli):
    ok(
        cli(
            "clients", "add", "Harbor & Vine", "--industry", "Winery", "--timezone", "America/Los_Angeles",
            "--website", "https://harborandvine.example.com", "--tone", "warm, witty", "--avoid", "cheap, guys",
        )
    )
    ok(cli("clients", "add", "Gipfelwerk", "--timezone", "Europe/Berlin"))

    table = ok(cli("clients", "list"))
    assert "Harbor & Vine" in table and "America/Los_Angeles" in table and "Europe/Berlin" in table
    listed = json.loads(ok(cli("clients", "list", "--json")))
    assert [c["name"] for c in listed] == ["Gipfelwerk", "Harbor & Vine"]

    profile = json.loads(ok(cli("clients", "show", "harbor & vine", "--json")))
    assert profile["industry"] == "Winery"
    assert profile["tone_words"] == ["warm", "witty"]
    assert profile["words_to_avoid"] == ["cheap", "guys"]
    assert "Words to avoid: cheap, guys" in ok(cli("clients", "show", "Harbor & Vine"))


def test_clients_add_refuses_a_duplicate_name(cli):
    ok(cli("clients", "add", "Harbor & Vine"))
    out = failed(cli("clients", "add", "  harbor &  VINE "))
    assert out.startswith("Error: name: ") and "already exists" in out
    assert len(json.loads(ok(cli("clients", "list", "--json")))) == 1


def test_clients_add_refuses_an_unknown_time_zone(cli):
    out = failed(cli("clients", "add", "Nowhere", "--timezone", "Mars/Olympus_Mons"))
    assert out.startswith("Error: timezone: unknown time zone 'Mars/Olympus_Mons'")
    assert len(out.strip().splitlines()) == 1


def test_clients_add_names_the_field_of_other_invalid_input(cli):
    out = failed(cli("clients", "add", "Acme", "--website", "acme.example.com"))
    assert "website: must start with http:// or https://" in out
    assert failed(cli("clients", "add", "   ")).startswith("Error: name: String should have at least 1 character")


def test_clients_show_an_unknown_client(cli):
    assert "no client named 'Nobody'" in failed(cli("clients", "show", "Nobody"))


def test_users_invite_prints_a_link_that_accepts(cli, database):
    ok(cli("clients", "add", "Harbor & Vine"))
    out = ok(cli("users", "invite", "cam@agency.example.com", "--name", "Cam Lee", "--client", "Harbor & Vine=community_manager"))
    match = re.search(r"http://testserver/invite/(\S+)", out)
    assert match, out
    with database.session() as session:
        user = team_service.accept_invitation(session=session, token=match.group(1), password="a long enough password")
        assert user.email == "cam@agency.example.com" and user.agency_role == "member"
        assert [role for _, role in team_service.user_grants(session=session, user_id=user.id)] == ["community_manager"]
    listed = ok(cli("users", "list"))
    assert "cam@agency.example.com" in listed and "community_manager" in listed


def test_users_invite_rejects_an_unknown_role_or_client(cli):
    ok(cli("clients", "add", "Harbor & Vine"))
    out = failed(cli("users", "invite", "cam@agency.example.com", "--name", "Cam", "--client", "Harbor & Vine=boss"))
    assert out.startswith("Error: --client: unknown role 'boss'") and "community_manager" in out
    out = failed(cli("users", "invite", "cam@agency.example.com", "--name", "Cam", "--client", "Nope=analyst"))
    assert "no client named 'Nope'" in out
    out = failed(cli("users", "invite", "not-an-address", "--name", "Cam", "--director"))
    assert out.startswith("Error: email: ")
    assert "grants: a member needs a role" in failed(cli("users", "invite", "cam@agency.example.com", "--name", "Cam"))


def test_users_create_owner_reads_the_password(cli):
    out = ok(cli("users", "create-owner", "--email", "Olivia@Agency.example.com", "--name", "Olivia", "--password-stdin",
                 input="correct horse battery staple\n"))
    assert "olivia@agency.example.com" in out and "correct horse" not in out
    assert "owner" in ok(cli("users", "list"))
    out = ok(cli("users", "invite", "dir@agency.example.com", "--name", "Dee", "--director"))
    assert "/invite/" in out
    # Without --password-stdin the password is prompted for twice (hidden, confirmed).
    assert "already exists" in failed(
        cli("users", "create-owner", "--email", "x@agency.example.com", "--name", "X", input="correct horse battery staple\n" * 2)
    )


def test_users_create_owner_checks_the_password(cli):
    out = failed(cli("users", "create-owner", "--email", "o@agency.example.com", "--name", "O", "--password-stdin", input="short\n"))
    assert out.startswith("Error: password: must be at least")


def test_vault_new_key_prints_a_fernet_key(cli):
    key = ok(cli("vault", "new-key")).splitlines()[0]
    Fernet(key)  # a valid key


def test_vault_rotate_reencrypts_with_the_newest_key(cli, settings, database, monkeypatch):
    old_key, new_key = settings.vault_keys.get_secret_value(), Fernet.generate_key().decode()
    with database.session() as session:
        vault_service.put(session=session, vault=Vault([old_key]), name="smtp_password", value="hunter2-hunter2")

    monkeypatch.setenv("SOCIALDESK_VAULT_KEYS", f"{new_key},{old_key}")
    out = ok(cli("vault", "rotate"))
    assert "Re-encrypted 1 stored secret" in out
    assert "hunter2" not in out and old_key not in out and new_key not in out

    with database.session() as session:
        assert vault_service.get(session=session, vault=Vault([new_key, old_key]), name="smtp_password") == "hunter2-hunter2"
        assert vault_service.get(session=session, vault=Vault([new_key]), name="smtp_password") == "hunter2-hunter2"
        with pytest.raises(VaultKeyError):
            vault_service.get(session=session, vault=Vault([old_key]), name="smtp_password")


def test_vault_rotate_with_a_bad_key_fails_cleanly(cli, monkeypatch):
    monkeypatch.setenv("SOCIALDESK_VAULT_KEYS", "not-a-key")
    assert "key #1 is not a Fernet key" in failed(cli("vault", "rotate"))


def test_migrate_creates_an_empty_sqlite_database(tmp_path, monkeypatch):
    data_dir = tmp_path / "fresh"
    monkeypatch.setenv("SOCIALDESK_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SOCIALDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert re.search(r"revision \w+", result.output)
        engine = create_engine(f"sqlite:///{data_dir / 'socialdesk.db'}")
        assert {"clients", "users", "memberships", "alembic_version"} <= set(inspect(engine).get_table_names())
        engine.dispose()
        assert CliRunner().invoke(app, ["migrate"]).exit_code == 0  # idempotent
        assert "No clients yet" in CliRunner().invoke(app, ["clients", "list"]).output
    finally:
        get_settings.cache_clear()


def test_worker_refuses_the_immediate_backend(cli):
    assert "task_backend" in failed(cli("worker"))
