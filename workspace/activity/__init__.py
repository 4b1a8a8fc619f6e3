"""Activity: what happened in the groups, recorded once by the services that did it; the
feed, what is new since a person's previous visit, and the weekly summary mail."""

import click
from flask import Flask

PANEL_EVENTS = 8


def _panel_context(access) -> dict:
    """The group page's "new since your last visit": opening the page is a visit (a fragment
    of the page, or a form posted to it, is not)."""
    from flask import request
    from flask_login import current_user

    from workspace.activity import service
    from workspace.rendering import wants_fragment

    group = access.group
    if request.method == "GET" and not wants_fragment():
        since = service.visit(group, current_user)
    else:
        since = service.previous_visit(group, current_user)
    filters = service.Filters(group_ids=(group.id,))
    if since is not None:
        events = service.since_previous(current_user, since, limit=PANEL_EVENTS, group=group)
    else:
        events = service.feed(current_user, filters, limit=5).events
    return {"group": group, "since": since, "events": events}


def _weekly_summary_form():
    from flask_login import current_user

    from workspace.activity.forms import WeeklySummaryForm
    from workspace.activity.summary import is_enabled

    return WeeklySummaryForm(formdata=None, data={"enabled": is_enabled(current_user)})


@click.command("send-weekly-summaries")
def send_weekly_summaries():
    """Mail the weekly summary to those who asked for it (run from cron, e.g. every hour)."""
    from workspace.activity.summary import send_due

    result = send_due()
    click.echo(f"Riepiloghi settimanali inviati: {result.sent}; senza novità: {result.empty}")
    if result.failed:
        click.echo(f"Mail rifiutate, da riprovare al prossimo giro: {', '.join(result.failed)}")
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    from workspace.activity.display import sentence
    from workspace.activity.forms import kind_label
    from workspace.activity.routes import bp
    from workspace.groups.panels import Panel, register_panel

    app.register_blueprint(bp)
    app.jinja_env.globals["activity_sentence"] = sentence
    app.jinja_env.globals["weekly_summary_form"] = _weekly_summary_form
    app.jinja_env.filters["activity_kind"] = kind_label
    register_panel(app, Panel("activity", "activity/_panel.html", _panel_context, order=1))
    app.cli.add_command(send_weekly_summaries)
