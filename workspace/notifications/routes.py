"""Notifications of the signed-in person: the list, the bell, mail preferences, and following or
muting a group. The mail preference also answers to the token in every mail, without sign-in."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from workspace.accounts.models import User
from workspace.extensions import db
from workspace.groups.access import load_group_or_404
from workspace.notifications import service
from workspace.notifications.forms import MailModeForm
from workspace.notifications.models import MailMode, Target
from workspace.rendering import is_htmx, render, see_other, wants_fragment

bp = Blueprint("notifications", __name__)

LIST_TARGET = "notification-list"
WATCHED_TARGET = "notification-watched"
# htmx stops polling on this status; an empty body removes the bell (the session ended).
STOP_POLLING = 286


def _page_number() -> int:
    return request.values.get("pagina", 1, type=int) or 1


def _list(page_number: int, **extra):
    page = service.page_for(current_user, page_number)
    return render(
        "notifications/index.html",
        "notifications/_list.html",
        target=LIST_TARGET,
        notifications_page=page,
        groups=service.groups_of(page.items),
        **extra,
    )


@bp.get("/notifiche")
@login_required
def index():
    return _list(_page_number())


@bp.post("/notifiche/lette")
@login_required
def mark_all_read():
    service.mark_read(current_user)
    db.session.commit()
    flash(_("Tutte le notifiche sono segnate come lette."), "success")
    if not wants_fragment(LIST_TARGET):
        return see_other(url_for("notifications.index"))
    response = _list(_page_number())
    # The bell in the header says 0 at once, without waiting for its next poll.
    response.set_data(
        response.get_data(as_text=True)
        + render_template("notifications/_bell.html", bell=service.bell_of(current_user), oob=True)
    )
    return response


@bp.route("/notifiche/<int:notification_id>/apri", methods=["GET", "POST"], endpoint="open")
@login_required
def open_notification(notification_id: int):
    """Mark it read and go where it points. GET too, so that the list's links can be opened in
    a new tab; marking one's own notification read is all it does."""
    notification = service.notification_of(current_user, notification_id)
    if notification is None:
        abort(404)
    service.mark_read(current_user, [notification.id])
    db.session.commit()
    return see_other(notification.url)


@bp.get("/notifiche/conteggio")
def count():
    """The bell, polled every 30 s: answered 304 while nothing changed (ETag).

    Signed out (the session ended in another tab), htmx gets 286: polling stops and the empty
    answer removes the bell, rather than a "session expired" message every 30 s.
    """
    if not current_user.is_authenticated:
        if is_htmx():
            response = make_response("", STOP_POLLING)
            response.vary.add("HX-Request")
            return response
        return current_app.login_manager.unauthorized()
    bell = service.bell_of(current_user)
    if not wants_fragment():
        return render("notifications/count.html", "notifications/_bell.html", bell=bell)
    # The bell sends the ETag of what it shows (hx-headers): the session cookie, refreshed on
    # every response, would keep the browser's own cache from ever revalidating.
    etag = bell.etag(str(get_locale()))
    if etag in request.if_none_match:
        response = make_response("", 304)
        response.headers["HX-Reswap"] = "none"  # keep the bell as it is
    else:
        response = make_response(render_template("notifications/_bell.html", bell=bell))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    return response


def _watched() -> list[service.Watched]:
    """What the person follows or muted, each with a link to it while they may see it."""
    watched = service.subscriptions_of(current_user)
    for item in watched:
        if item.name is None:
            continue
        if item.subscription.target == Target.GROUP:
            item.url = url_for("groups.show", slug=item.group.slug)
        else:
            try:
                item.url = url_for(
                    "discussions.show", slug=item.group.slug, thread_id=item.subscription.target_id
                )
            except BuildError:  # discussions not installed: the title without a link
                item.url = None
    return watched


def _preferences_page(form: MailModeForm, status: int = 200, **extra):
    return render(
        "notifications/preferences.html",
        "notifications/_watched.html",
        target=WATCHED_TARGET,
        form=form,
        watched=_watched(),
        status=status,
        **extra,
    )


@bp.route("/notifiche/preferenze", methods=["GET", "POST"])
@login_required
def preferences():
    preference = service.preference_of(current_user)
    form = MailModeForm(data={"mode": preference.mode})
    if form.validate_on_submit():
        service.set_mode(current_user, MailMode(form.mode.data))
        db.session.commit()
        flash(_("Preferenza per le e-mail salvata."), "success")
        return see_other(url_for("notifications.preferences"))
    db.session.commit()  # a preference made just now keeps its token
    return _preferences_page(form, status=422 if form.errors else 200)


@bp.post("/notifiche/preferenze/smetti")
@login_required
def forget():
    """Stop following or unmute one thread or group, from the preferences page."""
    target = request.form.get("target")
    target_id = request.form.get("target_id", type=int)
    removed = None
    if target in (Target.THREAD.value, Target.GROUP.value) and target_id:
        service.reset(current_user, Target(target), target_id)
        db.session.commit()
        removed = _("Fatto: da qui in avanti vale la scelta predefinita.")
    if not wants_fragment(WATCHED_TARGET):
        if removed:
            flash(removed, "success")
        return see_other(url_for("notifications.preferences"))
    return _preferences_page(MailModeForm(formdata=None), removed=removed)


@bp.route("/notifiche/email/<token>", methods=["GET", "POST"])
def by_token(token: str):
    """The link in every mail: change the mail preference without signing in."""
    preference = service.preference_by_token(token)
    if preference is None:
        abort(404)
    person = db.session.get(User, preference.user_id)
    form = MailModeForm(data={"mode": preference.mode})
    if form.validate_on_submit():
        service.set_mode(person, MailMode(form.mode.data))
        db.session.commit()
        flash(_("Preferenza per le e-mail salvata."), "success")
        return see_other(url_for("notifications.by_token", token=token))
    response = make_response(
        render_template("notifications/by_token.html", form=form, person=person, token=token),
        422 if form.errors else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _group_watch(slug: str, change, message: str):
    access = load_group_or_404(slug)
    group = access.group
    change(current_user, Target.GROUP, group.id)
    db.session.commit()
    flash(message, "success")
    if wants_fragment(f"group-{group.id}-watch"):
        response = make_response(
            render_template("notifications/_group_watch.html", group=group)
            + render_template("_alerts.html", oob=True)  # said in the page's live region
        )
        response.vary.add("HX-Request")
        return response
    return see_other(url_for("groups.show", slug=slug))


@bp.post("/gruppi/<slug>/segui")
@login_required
def follow_group(slug: str):
    return _group_watch(
        slug, service.follow, _("Segui il gruppo: ti avvisiamo di ogni nuova discussione.")
    )


@bp.post("/gruppi/<slug>/silenzia")
@login_required
def mute_group(slug: str):
    return _group_watch(
        slug,
        service.mute,
        _("Gruppo silenziato: niente notifiche dalle sue discussioni, tranne le menzioni."),
    )


@bp.post("/gruppi/<slug>/smetti")
@login_required
def reset_group(slug: str):
    return _group_watch(
        slug, service.reset, _("Fatto: per questo gruppo vale di nuovo la scelta predefinita.")
    )
