"""How an event reads in the feed: one sentence, with the person and a link to the thing."""

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from workspace.activity.models import Event, EventKind
from workspace.activity.service import link
from workspace.people.display import person_text

SENTENCES = {
    EventKind.DOCUMENT_CREATED: _l("%(who)s ha creato il documento %(what)s"),
    EventKind.REVISION_SAVED: _l("%(who)s ha salvato la versione %(n)s di %(what)s"),
    EventKind.REVISION_RESTORED: _l(
        "%(who)s ha ripristinato una versione precedente di %(what)s (ora versione %(n)s)"
    ),
    EventKind.DOCUMENT_APPROVED: _l("%(who)s ha approvato la versione %(n)s di %(what)s"),
    EventKind.THREAD_OPENED: _l("%(who)s ha aperto la discussione %(what)s"),
    EventKind.MESSAGE_POSTED: _l("%(who)s ha risposto nella discussione %(what)s"),
    EventKind.MEETING_SCHEDULED: _l("%(who)s ha programmato l'incontro %(what)s"),
    EventKind.MEETING_CANCELLED: _l("%(who)s ha annullato l'incontro %(what)s"),
    EventKind.MINUTES_EDITED: _l("%(who)s ha scritto nel verbale dell'incontro %(what)s"),
    EventKind.MINUTES_CIRCULATED: _l(
        "%(who)s ha messo in visione il verbale dell'incontro %(what)s"
    ),
    EventKind.MINUTES_APPROVED: _l("%(who)s ha approvato il verbale dell'incontro %(what)s"),
    EventKind.ACTION_ASSIGNED: _l("%(who)s ha assegnato un compito a %(subject)s in %(what)s"),
    EventKind.ACTION_CLOSED: _l("%(who)s ha chiuso un compito di %(subject)s in %(what)s"),
    EventKind.MEMBER_ADDED: _l("%(who)s ha aggiunto %(subject)s al gruppo %(what)s"),
    EventKind.MEMBER_REMOVED: _l("%(who)s ha tolto %(subject)s dal gruppo %(what)s"),
}


def _person(user) -> Markup:
    if user is None:
        return Markup("<strong>%s</strong>") % _l("Qualcuno")
    return Markup("<strong>%s</strong>") % person_text(user, affiliation=False)


def sentence(event: Event) -> Markup:
    """The event as a sentence: names escaped, the thing linked to the exact place."""
    try:
        template = SENTENCES[EventKind(event.kind)]
    except ValueError:
        template = _l("%(who)s: %(what)s")
    url = link(event)
    title = event.title or event.group.name
    what = Markup('<a href="%s">«%s»</a>') % (url, title) if url else Markup("«%s»") % title
    # The sentence is ours (a translation), escaped all the same; the names and the title in
    # it are escaped by the formatting.
    return escape(str(template)) % {
        "who": _person(event.actor),
        "what": what,
        "subject": _person(event.subject),
        "n": event.revision_number or "",
    }
