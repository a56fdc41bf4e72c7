"""``policy-qa users``: staff and admin accounts, and their API keys."""

from __future__ import annotations

import click

from cli.base import friendly, main
from cli.db import open_database


def _account_errors(fn):
    """An AccountError (bad name, role, password, unknown user) is a one-line CLI error."""
    from functools import wraps

    @wraps(fn)
    def run(*args, **kwargs):
        from db.accounts import AccountError

        try:
            return fn(*args, **kwargs)
        except AccountError as err:
            raise click.ClickException(str(err)) from None
    return run


def _password(value: str | None) -> str:
    return value if value is not None else click.prompt("Password", hide_input=True, confirmation_prompt=True)


@main.group()
def users() -> None:
    """Accounts that may sign in to the chat (POLICY_QA_AUTH=on) and their API keys."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--password", help="The password (prompted for when absent, which keeps it out of the shell history).")
@friendly
@_account_errors
def add(name: str, role: str, password: str | None) -> None:
    """Add user NAME."""
    from db.accounts import add_user

    add_user(open_database(), name, role, _password(password))
    click.echo(f"added {role} {name}")


@users.command("remove")
@click.argument("name")
@friendly
@_account_errors
def remove(name: str) -> None:
    """Remove user NAME and their API keys."""
    from db.accounts import remove_user

    remove_user(open_database(), name)
    click.echo(f"removed {name}")


@users.command("list")
@friendly
def list_() -> None:
    """Every user with their role, key labels and lock."""
    from db.accounts import list_users

    for user in list_users(open_database()):
        locked = f"  locked until {user.locked_until:%Y-%m-%d %H:%M} UTC" if user.locked_until else ""
        keys = f"  keys: {', '.join(user.keys)}" if user.keys else ""
        click.echo(f"{user.name}\t{user.role}{keys}{locked}")


@users.command("reset-password")
@click.argument("name")
@click.option("--password", help="The new password (prompted for when absent).")
@friendly
@_account_errors
def reset(name: str, password: str | None) -> None:
    """Set a new password for NAME and lift a lockout."""
    from db.accounts import reset_password

    reset_password(open_database(), name, _password(password))
    click.echo(f"password of {name} reset")


@users.command("key")
@click.argument("name")
@click.option("--name", "label", required=True, help="A label for the key, e.g. the system that uses it.")
@friendly
@_account_errors
def key(name: str, label: str) -> None:
    """Create an API key for NAME; it is printed once, as the last line, and only its hash is kept."""
    from db.accounts import create_key

    secret = create_key(open_database(), name, label)
    click.echo(f"API key {label} for {name} (shown only now; send it as Authorization: Bearer <key>):", err=True)
    click.echo(secret)
