"""Command-line tasks: `flask demo-data`, `flask create-coordinator`, housekeeping."""

from datetime import timedelta

import click
from flask import Flask

from workspace.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_data)
    app.cli.add_command(create_coordinator)
    app.cli.add_command(prune)


@click.command("demo-data")
def demo_data():
    """Load the network's services, its groups and demo people (safe to run again)."""
    from workspace.demo import DEMO_PASSWORD, load_demo_data

    result = load_demo_data()
    click.echo(f"Servizi aggiunti: {result['services_added']}")
    click.echo("")
    click.echo(f"Accessi di prova (password per tutti: {DEMO_PASSWORD})")
    for person, created in result["people"]:
        note = "" if created else "  (già presente: password invariata)"
        click.echo(f"  {person.role.value:<12} {person.email:<34} {person.name}{note}")
    click.echo("")


@click.command("create-coordinator")
@click.option("--email", prompt="E-mail")
@click.option("--name", prompt="Nome e cognome")
@click.password_option("--password", prompt="Password")
def create_coordinator(email: str, name: str, password: str):
    """Create the first coordinator of a new installation (no demo data needed)."""
    from workspace.accounts.service import find_user_by_email, hash_password, password_error
    from workspace.people.models import Role
    from workspace.people.service import create_person

    if find_user_by_email(email) is not None:
        raise click.ClickException(f"Esiste già un account con l'indirizzo {email}.")
    problem = password_error(password, personal=(email, name))
    if problem:
        raise click.ClickException(problem)
    create_person(
        email=email, name=name, role=Role.COORDINATOR, password_hash=hash_password(password)
    )
    db.session.commit()
    click.echo(f"Coordinatore {name} <{email.strip().lower()}> creato.")


@click.command("prune")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Keep failed sign-ins this many days (default LOGIN_ATTEMPT_RETENTION_DAYS, 30).",
)
def prune(days: int | None):
    """Apply every retention setting and delete expired working data (run daily)."""
    from flask import current_app

    from workspace.accounts.service import prune_login_attempts
    from workspace.attachments.service import prune_orphans
    from workspace.audit import service as audit_log
    from workspace.clock import utcnow
    from workspace.notifications.service import prune_read
    from workspace.revisions.service import prune_drafts, prune_pending, prune_presence

    config = current_app.config
    now = utcnow()
    attempts_days = days if days is not None else int(config["LOGIN_ATTEMPT_RETENTION_DAYS"])
    removed = prune_login_attempts(now - timedelta(days=attempts_days))
    click.echo(f"Tentativi di accesso eliminati: {removed} (conservati {attempts_days} giorni)")
    notification_days = int(config["NOTIFICATION_RETENTION_DAYS"])
    removed = prune_read(now - timedelta(days=notification_days))
    click.echo(f"Notifiche lette eliminate: {removed} (conservati {notification_days} giorni)")
    audit_days, _raised = audit_log.retention_days()
    removed = audit_log.prune(audit_days)
    click.echo(f"Voci del registro eliminate: {removed} (conservati {audit_days} giorni)")
    click.echo(f"Testi in attesa scaduti eliminati: {prune_pending()}")
    click.echo(f"Presenze vecchie eliminate: {prune_presence()}")
    click.echo(f"Bozze non toccate da 30 giorni eliminate: {prune_drafts()}")
    click.echo(f"Allegati mai usati eliminati: {prune_orphans(timedelta(days=1))}")
