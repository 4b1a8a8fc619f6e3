"""Backups that restore: `flask backup [PATH]` and `flask restore PATH` (see service.py)."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError


class Failed(click.ClickException):
    """Exit code 1 with the message in Italian (ClickException would print "Error:")."""

    def show(self, file=None) -> None:
        click.echo(f"Errore: {self.format_message()}", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("backup")
@with_appcontext
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path | None):
    """Back up the database (and the attachments folder) to PATH, by default
    instance/backups/tavolo-YYYYMMDD-HHMMSS.sqlite3 (or .dump on PostgreSQL), time in UTC."""
    from workspace.backups import service

    try:
        result = service.backup(path)
    except service.BackupError as error:
        raise Failed(str(error)) from error
    except SQLAlchemyError as error:
        raise Failed(service.database_problem(error)) from error
    click.echo(f"Backup scritto in {result.path} ({service.size_label(result.size)}).")
    if result.attachments is not None:
        click.echo(
            f"Allegati copiati in {result.attachments}: {result.attachment_files} file "
            f"({service.size_label(result.attachment_bytes)}). Conservali insieme al backup."
        )
    else:
        click.echo("Gli allegati sono nel database: sono compresi nel backup.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(path: Path, force: bool):
    """Restore a backup made by `flask backup` into the configured database."""
    from workspace.backups import service

    try:
        result = service.restore(path, force=force)
    except service.BackupError as error:
        raise Failed(str(error)) from error
    except SQLAlchemyError as error:
        raise Failed(service.database_problem(error)) from error
    click.echo(f"Backup {path} ripristinato. Controllo: {result.check}.")
    for note in result.notes:
        click.echo(note)
