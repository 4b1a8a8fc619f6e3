"""Search: one interface over both backends, limited in SQL to what the person may see.

Who sees what (the same rules as the pages): coordinators every group; anyone else the
groups they belong to (external participants who are members included); an external
participant who is not a member also sees, of a joint meeting they were invited to, its
minutes, agenda and actions, and nothing else of that group. The filter is part of the one
SQL statement that matches, counts and pages: nothing of another group is ever fetched, so no
count, title or snippet can leak it.
"""

import math
from dataclasses import dataclass, field

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, false, func, or_, select, true

from workspace.discussions.service import page_of
from workspace.extensions import db
from workspace.groups.access import member_group_ids
from workspace.groups.models import Group
from workspace.meetings.access import guest_meeting_ids
from workspace.meetings.models import Meeting
from workspace.people.access import is_coordinator, is_external
from workspace.search import text
from workspace.search.backends import backend_for
from workspace.search.deadline import time_limit
from workspace.search.models import Kind, SearchEntry

PER_PAGE = 20
# Pages beyond this are not offered: a person refines the words instead.
MAX_PAGES = 25
MAX_QUERY_CHARS = 200


def kind_labels() -> dict[str, str]:
    return {
        Kind.DOCUMENT: _("Documento"),
        Kind.MESSAGE: _("Messaggio"),
        Kind.MINUTES: _("Verbale"),
        Kind.AGENDA_ITEM: _("Punto all'ordine del giorno"),
        Kind.ACTION: _("Compito"),
    }


def visible_to(user):
    """The SQL condition on search_entries: what this person may see."""
    if not getattr(user, "is_authenticated", False):
        return false()
    if is_coordinator(user):
        return true()
    condition = SearchEntry.group_id.in_(member_group_ids(user))
    if is_external(user):
        condition = or_(
            condition,
            and_(
                SearchEntry.kind.in_(Kind.OF_MEETINGS),
                SearchEntry.meeting_id.in_(guest_meeting_ids(user)),
            ),
        )
    return condition


def group_choices(user) -> list[Group]:
    """The groups a person may narrow the search to: those whose content they may find."""
    query = select(Group).order_by(Group.name)
    if not is_coordinator(user):
        condition = Group.id.in_(member_group_ids(user))
        if is_external(user):
            guest_groups = select(Meeting.group_id).where(Meeting.id.in_(guest_meeting_ids(user)))
            condition = or_(condition, Group.id.in_(guest_groups))
        query = query.where(condition)
    return list(db.session.scalars(query))


@dataclass
class Result:
    kind: str
    kind_label: str
    group_name: str
    group_archived: bool
    title: Markup
    context: str
    snippet: Markup
    url: str


@dataclass
class Results:
    query: str
    words: list[str] = field(default_factory=list)
    items: list[Result] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def cut_short(self) -> bool:
        """More matches than the pages offered."""
        return self.total > self.pages * PER_PAGE

    @property
    def first(self) -> int:
        return (self.page - 1) * PER_PAGE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1


def _url(kind: str, slug: str, source_id: int, meeting_id, thread_id, number) -> str:
    if kind in (Kind.DOCUMENT, Kind.MINUTES):
        return url_for("documents.show", slug=slug, document_id=source_id)
    if kind == Kind.MESSAGE:
        return url_for(
            "discussions.show",
            slug=slug,
            thread_id=thread_id,
            pagina=page_of(number),
            _anchor=f"messaggio-{number}",
        )
    anchor = f"punto-{source_id}" if kind == Kind.AGENDA_ITEM else f"azione-{source_id}"
    return url_for("meetings.show", slug=slug, meeting_id=meeting_id, _anchor=anchor)


def search(
    user, query: str, *, group_id: int | None = None, kind: str | None = None, page: int = 1
) -> Results:
    """The page ``page`` of what matches every word of ``query``, best first.

    The query is cut into words (letters and digits; everything else separates them) and
    stop words are left out; an empty list of words searches nothing. Past SEARCH_TIMEOUT_MS
    the statements are stopped and ``deadline.SearchTimeout`` raised.
    """
    query = (query or "")[:MAX_QUERY_CHARS]
    words = text.query_words(query)
    results = Results(query=query, words=words)
    if not words:
        return results
    backend = backend_for(db.session)
    conditions = [visible_to(user)]
    if group_id is not None:
        conditions.append(SearchEntry.group_id == group_id)
    if kind is not None:
        conditions.append(SearchEntry.kind == kind)

    with time_limit(db.session, current_app.config.get("SEARCH_TIMEOUT_MS")):
        rows = _matching_page(backend, conditions, words, results, page)
    if not rows:
        return results
    stems = {text.stem(word) for word in words}
    labels = kind_labels()
    for row in rows:
        title = row.title or row.context
        results.items.append(
            Result(
                kind=row.kind,
                kind_label=labels.get(row.kind, row.kind),
                group_name=row.name,
                group_archived=row.archived_at is not None,
                title=text.highlight(title, stems),
                context=row.context if row.title and row.context != row.title else "",
                snippet=text.snippet(row.body, stems) if row.body else Markup(""),
                url=_url(
                    row.kind, row.slug, row.source_id, row.meeting_id, row.thread_id, row.number
                ),
            )
        )
    return results


def _matching_page(backend, conditions, words: list[str], results: Results, page: int) -> list:
    """Count what matches, then fetch the page: the two statements under the time limit."""
    matching = backend.ranked(select(SearchEntry.id).where(*conditions), words)
    results.total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    results.pages = min(math.ceil(results.total / PER_PAGE), MAX_PAGES)
    results.page = max(1, min(page, results.pages or 1))
    if not results.total:
        return []

    return db.session.execute(
        backend.ranked(
            select(
                SearchEntry.kind,
                SearchEntry.source_id,
                SearchEntry.meeting_id,
                SearchEntry.thread_id,
                SearchEntry.number,
                SearchEntry.title,
                SearchEntry.context,
                SearchEntry.body,
                Group.slug,
                Group.name,
                Group.archived_at,
            )
            .join(Group, SearchEntry.group_id == Group.id)
            .where(*conditions),
            words,
        )
        .order_by(backend.best_first(words), SearchEntry.id.desc())
        .limit(PER_PAGE)
        .offset((results.page - 1) * PER_PAGE)
    ).all()
