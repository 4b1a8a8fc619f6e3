"""The activity feed: across the person's groups (/attivita) and of one group."""

from datetime import datetime, timedelta

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.activity import service, summary
from workspace.activity.forms import KIND_GROUPS, KIND_LABELS, FilterForm, WeeklySummaryForm
from workspace.extensions import db
from workspace.forms import parse_number
from workspace.groups.access import load_group_or_404
from workspace.groups.models import Group
from workspace.i18n import ROME, day_start
from workspace.rendering import render, see_other, wants_fragment

bp = Blueprint("activity", __name__)

FEED = "activity-feed"
MORE = "activity-more"


def _feed(*, group: Group | None, since: datetime | None):
    choices = service.filter_choices(current_user, group)
    form = FilterForm(
        request.args,
        groups=choices.groups if group is None else (),
        people=choices.people,
        services=choices.services,
    )
    valid = form.validate()
    filters = service.Filters()
    if valid:
        group_ids = None
        if group is not None:
            group_ids = (group.id,)
        elif form.gruppo.data:
            group_ids = tuple(g.id for g in choices.groups if g.slug == form.gruppo.data)
        filters = service.Filters(
            group_ids=group_ids,
            actor_id=form.number(form.persona),
            service_id=form.number(form.servizio),
            kinds=(form.tipo.data,) if form.tipo.data else None,
            start=day_start(form.dal.data) if form.dal.data else None,
            end=day_start(form.al.data + timedelta(days=1)) if form.al.data else None,
        )
    elif group is not None:
        filters = service.Filters(group_ids=(group.id,))
    before = parse_number(request.args.get("prima"))
    page = service.feed(current_user, filters, before=before) if valid else None
    today = datetime.now(ROME).date()
    context = {
        "form": form,
        "group": group,
        "feed_page": page,
        "since": since,
        "kind_groups": KIND_GROUPS,
        "kind_labels": KIND_LABELS,
        "week_ago": (today - timedelta(days=7)).isoformat(),
        "since_day": since.astimezone(ROME).date().isoformat() if since else None,
        "action": (
            url_for("activity.group", slug=group.slug)
            if group is not None
            else url_for("activity.index")
        ),
        "more_url": _more_url(page.next_before) if page and page.next_before else None,
    }
    status = 200 if valid else 422
    page_template = "activity/index.html"
    if wants_fragment(MORE):
        return render(page_template, "activity/_events.html", target=MORE, **context)
    return render(page_template, "activity/_feed.html", target=FEED, status=status, **context)


# What a link to the next page keeps of the request: the filters, nothing else.
FILTERS = ("gruppo", "persona", "servizio", "tipo", "dal", "al")


def _more_url(before: int) -> str:
    args = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    return url_for(request.endpoint, **(request.view_args or {}), **args, prima=before)


@bp.get("/attivita")
@login_required
def index():
    return _feed(group=None, since=current_user.previous_login_at)


@bp.get("/gruppi/<slug>/attivita")
@login_required
def group(slug: str):
    access = load_group_or_404(slug)
    return _feed(group=access.group, since=service.previous_visit(access.group, current_user))


@bp.post("/attivita/riepilogo-settimanale")
@login_required
def weekly_summary():
    form = WeeklySummaryForm()
    if form.validate_on_submit():
        summary.set_enabled(current_user, form.enabled.data)
        db.session.commit()
        if form.enabled.data:
            flash(
                _("Riceverai ogni settimana il riepilogo delle novità dei tuoi gruppi."), "success"
            )
        else:
            flash(_("Non riceverai più il riepilogo settimanale."), "success")
    return see_other(url_for("notifications.preferences"))
