"""Audit log (Registro degli accessi e delle operazioni): who did what, when (UTC) and from
where, append-only and hash-chained; the coordinators' register, its CSV export, and the
``flask audit-verify`` / ``flask audit-prune`` commands.

Other packages call ``workspace.audit.record(...)`` inside their transaction (see service).
"""

import sys

import click
from flask import Flask


def record(action: str, **kwargs) -> None:
    """See workspace.audit.service.record (imported late: models import this package)."""
    from workspace.audit import service

    service.record(action, **kwargs)


def record_now(action: str, **kwargs) -> None:
    from workspace.audit import service

    service.record_now(action, **kwargs)


@click.command("audit-verify")
def audit_verify():
    """Check the audit log's hash chain; exit code 1 at the first broken entry."""
    from workspace.audit import service

    result = service.verify()
    if result.broken is not None:
        broken = result.broken
        reason = {
            "altered": "i suoi dati sono stati modificati dopo la registrazione",
            "gap": "non segue la voce precedente: voci eliminate o riordinate",
            "truncated": "le voci più recenti sono state eliminate (o la testa alterata)",
        }[broken.reason]
        click.echo(
            f"Registro NON integro: la prima voce non valida è la n. {broken.entry_id} ({reason}).",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Registro integro: {result.count} voci verificate. Hash di testa: {result.head}")


@click.command("audit-prune")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Keep this many days (default AUDIT_RETENTION_DAYS, 365; never fewer than 183).",
)
def audit_prune(days: int | None):
    """Delete audit entries older than the retention period (run daily or monthly)."""
    from workspace.audit import service

    keep, raised = service.retention_days(days)
    if raised:
        click.echo(
            f"Il registro va conservato per almeno {service.MIN_RETENTION_DAYS} giorni: "
            f"uso {keep} giorni invece di {days if days is not None else 'quanto configurato'}.",
            err=True,
        )
    removed = service.prune(keep)
    click.echo(f"Voci del registro eliminate: {removed} (conservati {keep} giorni).")


def init_app(app: Flask) -> None:
    from workspace.audit import actions
    from workspace.audit.routes import bp

    app.config.setdefault("AUDIT_RETENTION_DAYS", 365)
    app.register_blueprint(bp)
    app.add_template_global(actions.label, "audit_action_label")
    app.add_template_global(actions.target_label, "audit_target_label")
    app.cli.add_command(audit_verify)
    app.cli.add_command(audit_prune)
