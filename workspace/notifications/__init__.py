"""Notifications: the bell and the list, following and muting, mail now, daily or never."""

import logging

import click
from flask import Flask

log = logging.getLogger(__name__)


def _bell():
    """The bell's state for the signed-in person; None rather than a broken page (the error
    page is drawn with the same header when the database is what failed)."""
    from flask_login import current_user
    from sqlalchemy.exc import SQLAlchemyError

    from workspace.notifications.service import bell_of

    if not current_user.is_authenticated:
        return None
    try:
        return bell_of(current_user)
    except SQLAlchemyError:
        log.warning("notification bell not drawn", exc_info=True)
        return None


def _group_watch_state(group):
    from flask_login import current_user

    from workspace.notifications.models import Target
    from workspace.notifications.service import state_of

    return state_of(current_user, Target.GROUP, group.id)


@click.command("send-notifications")
def send_notifications():
    """Mail the notifications waiting: now, as a daily digest or never (run from cron)."""
    from workspace.notifications.service import send_pending

    result = send_pending()
    click.echo(
        f"Mail inviate: {result['immediate'] + result['digests']} "
        f"({result['immediate']} subito, {result['digests']} riepiloghi giornalieri), "
        f"con {result['notifications']} notifiche"
    )
    for address, kind, count in result["mails"]:
        label = "riepilogo" if kind == "digest" else "subito"
        click.echo(f"  {address}: {label}, {count} notifiche")
    click.echo(
        "Notifiche da non inviare (preferenza «mai», già lette, account disattivati): "
        f"{result['retired']}"
    )
    if result["failed"]:
        click.echo(f"Mail rifiutate, da riprovare al prossimo giro: {', '.join(result['failed'])}")
        if result["stopped"]:
            click.echo("Troppi rifiuti di seguito: il server di posta non risponde. Giro fermato.")
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    from workspace.notifications.routes import bp
    from workspace.notifications.service import kind_label

    app.register_blueprint(bp)
    app.jinja_env.globals["notification_bell"] = _bell
    app.jinja_env.globals["group_watch_state"] = _group_watch_state
    app.jinja_env.filters["notification_kind"] = kind_label
    app.cli.add_command(send_notifications)
