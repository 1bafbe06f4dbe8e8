"""`socialdesk vault ...`: make keys and rotate stored secrets onto the newest one."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet

from socialdesk.config import get_settings
from socialdesk.kit.cli import console, operator_session
from socialdesk.vault import service as vault_service

app = typer.Typer(help="The secret vault's encryption keys.", no_args_is_help=True)


@app.command("new-key")
def new_key() -> None:
    """Print a fresh Fernet key (put it first in SOCIALDESK_VAULT_KEYS, then run `vault rotate`)."""
    typer.echo(Fernet.generate_key().decode())
    typer.echo(
        "Put this key first in SOCIALDESK_VAULT_KEYS (comma-separated, keep the old keys after it), "
        "then run `socialdesk vault rotate`.",
        err=True,
    )


@app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret with the newest vault key."""
    vault = vault_service.Vault.from_settings(get_settings())
    with operator_session() as session:
        count = vault_service.rotate_all(session=session, vault=vault)
    console.print(
        f"Re-encrypted {count} stored secret{'s' if count != 1 else ''} with the newest key. "
        "Older keys can be removed from SOCIALDESK_VAULT_KEYS once every process has been restarted."
    )
