"""The activity feed: across the person's groups (/attivita) and of one group."""

from datetime import date, datetime, time, timedelta

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workspace.accounts.models import User
from workspace.activity import service, summary
from workspace.activity.forms import KIND_GROUPS, KIND_LABELS, FilterForm, WeeklySummaryForm
from workspace.activity.models import GroupVisit
from workspace.directory import service as directory
from workspace.extensions import db
from workspace.forms import parse_number
from workspace.groups import service as groups_service
from workspace.groups.access import load_group_or_404
from workspace.groups.models import Group, Membership
from workspace.i18n import ROME
from workspace.people.access import is_coordinator
from workspace.people.display import person_text
from workspace.rendering import render, see_other, wants_fragment

bp = Blueprint("activity", __name__)

FEED = "activity-feed"
MORE = "activity-more"


def _people(groups: list[Group]) -> list[tuple[int, str]]:
    """Whom the person filter offers: everybody for a coordinator, otherwise the people of
    the person's groups (the feed shows no one else's doings)."""
    query = select(User).order_by(User.name, User.id)
    if not is_coordinator(current_user):
        ids = [group.id for group in groups]
        query = query.where(
            User.id.in_(select(Membership.user_id).where(Membership.group_id.in_(ids)))
        )
    return [(user.id, person_text(user)) for user in db.session.scalars(query)]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, ROME)


def _feed(*, group: Group | None, since: datetime | None):
    groups = groups_service.visible_groups(current_user, include_archived=True)
    form = FilterForm(
        request.args,
        groups=groups if group is None else (),
        people=_people([group] if group is not None else groups),
        services=directory.services(include_retired=True),
    )
    valid = form.validate()
    filters = service.Filters()
    if valid:
        group_ids = None
        if group is not None:
            group_ids = (group.id,)
        elif form.gruppo.data:
            group_ids = tuple(g.id for g in groups if g.slug == form.gruppo.data)
        filters = service.Filters(
            group_ids=group_ids,
            actor_id=form.number(form.persona),
            service_id=form.number(form.servizio),
            kinds=(form.tipo.data,) if form.tipo.data else None,
            start=_day_start(form.dal.data) if form.dal.data else None,
            end=_day_start(form.al.data + timedelta(days=1)) if form.al.data else None,
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


def _more_url(before: int) -> str:
    args = request.args.to_dict()
    args["prima"] = str(before)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.get("/attivita")
@login_required
def index():
    return _feed(group=None, since=current_user.previous_login_at)


@bp.get("/gruppi/<slug>/attivita")
@login_required
def group(slug: str):
    access = load_group_or_404(slug)
    visit = db.session.get(GroupVisit, (current_user.id, access.group.id))
    since = visit.previous_at if visit is not None else None
    return _feed(group=access.group, since=since)


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
