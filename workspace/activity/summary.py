"""The weekly summary mail: for those who asked for it, what changed in their groups.

``send_due`` runs from cron (``flask send-weekly-summaries``, e.g. every hour). Each person's
week is claimed (``last_sent_at`` moved) and committed before the mail goes, so that two
servers running it at once never send it twice; a mail the server refuses gives the week back.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, ngettext
from sqlalchemy import or_, select, update

from workspace.accounts.models import User
from workspace.activity.display import sentence
from workspace.activity.models import Event, WeeklySummary
from workspace.activity.service import by_others, link, visible
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.i18n import locale_of
from workspace.mail import MailError, absolute_url, send_mail

WEEK = timedelta(days=7)
# An hourly run may come a little early or late: a week is "due" an hour before it is over.
SLACK = timedelta(hours=1)
MAIL_ITEMS = 100


@dataclass
class Report:
    sent: int = 0
    empty: int = 0
    failed: list[str] = field(default_factory=list)


def preference_of(user: User) -> WeeklySummary | None:
    return db.session.get(WeeklySummary, user.id)


def is_enabled(user: User) -> bool:
    row = preference_of(user)
    return bool(row and row.enabled)


def set_enabled(user: User, enabled: bool) -> None:
    row = preference_of(user)
    if row is None:
        row = WeeklySummary(user_id=user.id, enabled=False)
        db.session.add(row)
    if enabled and not row.enabled:
        row.last_sent_at = None  # the first summary, at the next run, tells of the past week
    row.enabled = enabled


def _due(now: datetime):
    return or_(
        WeeklySummary.last_sent_at.is_(None), WeeklySummary.last_sent_at <= now - WEEK + SLACK
    )


def events_for(user: User, since: datetime, until: datetime) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(
                visible(user),
                by_others(user),
                Event.created_at > since,
                Event.created_at <= until,
            )
            .order_by(Event.id.desc())
            .limit(MAIL_ITEMS + 1)
        )
    )


def send_due(now: datetime | None = None) -> Report:
    now = now or utcnow()
    report = Report()
    user_ids = list(
        db.session.scalars(
            select(WeeklySummary.user_id)
            .where(WeeklySummary.enabled.is_(True), _due(now))
            .order_by(WeeklySummary.user_id)
        )
    )
    for user_id in user_ids:
        row = db.session.get(WeeklySummary, user_id)
        previous = row.last_sent_at if row is not None else None
        claimed = db.session.execute(
            update(WeeklySummary)
            .where(
                WeeklySummary.user_id == user_id,
                WeeklySummary.enabled.is_(True),
                _due(now),
            )
            .values(last_sent_at=now)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            continue  # another server took it
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            continue
        events = events_for(user, previous or now - WEEK, now)
        if not events:
            report.empty += 1
            continue
        try:
            _mail(user, events, since=previous or now - WEEK)
        except MailError:
            db.session.execute(
                update(WeeklySummary)
                .where(WeeklySummary.user_id == user_id, WeeklySummary.last_sent_at == now)
                .values(last_sent_at=previous)
            )
            db.session.commit()
            report.failed.append(user.email)
            continue
        report.sent += 1
    return report


def _sections(events: list[Event]):
    sections: OrderedDict = OrderedDict()
    for event in events[:MAIL_ITEMS]:
        sections.setdefault(event.group.name, []).append(event)
    return sections


def _mail(user: User, events: list[Event], *, since: datetime) -> None:
    locale = locale_of(user)
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")

    def absolute(event: Event) -> str:
        path = link(event) or ""
        return public + path if public else path

    def render():
        with force_locale(locale):
            shown = events[:MAIL_ITEMS]
            subject = ngettext(
                "Tavolo: riepilogo settimanale (%(num)d novità)",
                "Tavolo: riepilogo settimanale (%(num)d novità)",
                len(shown),
            )
            context = {
                "user": user,
                "since": since,
                "sections": _sections(events),
                "more": len(events) > MAIL_ITEMS,
                "sentence": sentence,
                "absolute": absolute,
                "feed_link": absolute_url("activity.index"),
                "preference_link": absolute_url("notifications.preferences"),
            }
            return subject, render_template("activity/mail/summary.txt", **context)

    if has_request_context():
        subject, body = render()
    else:
        # Links (url_for) need a request: one on PUBLIC_URL, never on a guessed host.
        with current_app.test_request_context("/", base_url=public or None):
            subject, body = render()
    send_mail(user.email, subject, body)
