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
@click.option("--days", default=30, show_default=True, help="Keep this many days.")
def prune(days: int):
    """Delete old failed sign-in records, expired unsaved texts and drafts (run daily)."""
    from workspace.accounts.service import prune_login_attempts
    from workspace.attachments.service import prune_orphans
    from workspace.clock import utcnow
    from workspace.revisions.service import prune_drafts, prune_pending, prune_presence

    removed = prune_login_attempts(utcnow() - timedelta(days=days))
    click.echo(f"Tentativi di accesso eliminati: {removed}")
    click.echo(f"Testi in attesa scaduti eliminati: {prune_pending()}")
    click.echo(f"Presenze vecchie eliminate: {prune_presence()}")
    click.echo(f"Bozze non toccate da 30 giorni eliminate: {prune_drafts()}")
    click.echo(f"Allegati mai usati eliminati: {prune_orphans(timedelta(days=1))}")
