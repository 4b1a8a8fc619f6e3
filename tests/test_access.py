"""Every route, every role: who gets what. A new route must be added to ROUTES below."""

import dataclasses
import io
from datetime import datetime

import pytest
from werkzeug.datastructures import FileStorage

from workspace.attachments import service as attachments
from workspace.directory.models import Service
from workspace.discussions import service as discussions
from workspace.discussions.models import Message, Thread
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.groups.models import GroupRole, Membership
from workspace.invitations import service as invitations
from workspace.meetings import service as meetings
from workspace.notifications import service as notifications
from workspace.notifications.models import Kind
from workspace.people.models import Role

# endpoint -> (method, url template). {group} is a group the "member"/"lead" belong to,
# {membership} a membership in it, {service} a service, {person} another person,
# {invitation} a pending invitation.
ROUTES = {
    "home.index": ("GET", "/"),
    "home.health": ("GET", "/salute"),
    "activity.index": ("GET", "/attivita"),
    "activity.group": ("GET", "/gruppi/{group}/attivita"),
    "activity.weekly_summary": ("POST", "/attivita/riepilogo-settimanale"),
    "accounts.login": ("GET", "/accedi"),
    "accounts.logout": ("POST", "/esci"),
    "accounts.forgot_password": ("GET", "/password/dimenticata"),
    "accounts.reset_password": ("GET", "/password/reimposta/not-a-token"),
    "accounts.change_password": ("GET", "/profilo/password"),
    "accounts.set_language": ("POST", "/lingua"),
    "people.profile": ("GET", "/profilo"),
    "people.index": ("GET", "/persone"),
    "people.edit": ("GET", "/persone/{person}"),
    "audit.index": ("GET", "/registro"),
    "audit.export": ("GET", "/registro.csv"),
    "search.index": ("GET", "/cerca?q=linee"),
    "overview.index": ("GET", "/panoramica"),
    "archive.download": ("GET", "/gruppi/{group}/archivio.zip"),
    "mydata.export": ("GET", "/profilo/i-miei-dati.json"),
    "people.deactivate": ("POST", "/persone/{person}/disattiva"),
    "people.reactivate": ("POST", "/persone/{person}/riattiva"),
    "twofactor.verify": ("GET", "/accedi/verifica"),
    "twofactor.manage": ("GET", "/profilo/verifica-in-due-passaggi"),
    "twofactor.enrol": ("GET", "/profilo/verifica-in-due-passaggi/attiva"),
    "twofactor.regenerate_codes": ("POST", "/profilo/verifica-in-due-passaggi/codici"),
    "twofactor.disable": ("POST", "/profilo/verifica-in-due-passaggi/disattiva"),
    "twofactor.reset": ("POST", "/persone/{person}/verifica-in-due-passaggi/azzera"),
    "people.erase": ("GET", "/persone/{person}/elimina"),
    "invitations.index": ("GET", "/inviti"),
    "invitations.create": ("GET", "/inviti/nuovo"),
    "invitations.resend": ("POST", "/inviti/{invitation}/invia-di-nuovo"),
    "invitations.revoke": ("POST", "/inviti/{invitation}/revoca"),
    "invitations.accept": ("GET", "/invito/not-a-token"),
    "directory.index": ("GET", "/servizi/"),
    "directory.create": ("GET", "/servizi/nuovo"),
    "directory.edit": ("GET", "/servizi/{service}/modifica"),
    "directory.retire": ("POST", "/servizi/{service}/ritira"),
    "directory.restore": ("POST", "/servizi/{service}/ripristina"),
    "groups.index": ("GET", "/gruppi/"),
    "groups.create": ("GET", "/gruppi/nuovo"),
    "groups.show": ("GET", "/gruppi/{group}"),
    "groups.edit": ("GET", "/gruppi/{group}/modifica"),
    "groups.archive": ("POST", "/gruppi/{group}/archivia"),
    "groups.unarchive": ("POST", "/gruppi/{group}/riattiva"),
    "groups.add_member": ("POST", "/gruppi/{group}/componenti"),
    "groups.change_role": ("POST", "/gruppi/{group}/componenti/{membership}/ruolo"),
    "groups.remove_member": ("POST", "/gruppi/{group}/componenti/{membership}/rimuovi"),
    "attachments.download": ("GET", "/allegati/{attachment}/verbale.pdf"),
    "documents.index": ("GET", "/gruppi/{group}/documenti/"),
    "documents.create": ("GET", "/gruppi/{group}/documenti/nuovo"),
    "documents.show": ("GET", "/gruppi/{group}/documenti/{document}"),
    "documents.edit": ("GET", "/gruppi/{group}/documenti/{document}/modifica"),
    "documents.preview": ("POST", "/gruppi/{group}/documenti/{document}/anteprima"),
    "documents.keep_draft": ("POST", "/gruppi/{group}/documenti/{document}/bozza"),
    "documents.discard_draft": ("POST", "/gruppi/{group}/documenti/{document}/bozza/elimina"),
    "documents.presence": ("GET", "/gruppi/{group}/documenti/{document}/presenza"),
    "documents.history": ("GET", "/gruppi/{group}/documenti/{document}/versioni"),
    "documents.revision": ("GET", "/gruppi/{group}/documenti/{document}/versioni/2"),
    "documents.restore": ("POST", "/gruppi/{group}/documenti/{document}/versioni/1/ripristina"),
    "documents.approve": ("POST", "/gruppi/{group}/documenti/{document}/versioni/2/approva"),
    "documents.details": ("GET", "/gruppi/{group}/documenti/{document}/dettagli"),
    "documents.compare": ("GET", "/gruppi/{group}/documenti/{document}/confronta?da=1&a=2"),
    "documents.attribution": ("GET", "/gruppi/{group}/documenti/{document}/versioni/2/autori"),
    "documents.review": ("GET", "/gruppi/{group}/documenti/{document}/revisione"),
    "documents.download_markdown": (
        "GET",
        "/gruppi/{group}/documenti/{document}/versioni/2/scarica.md",
    ),
    "documents.download_docx": (
        "GET",
        "/gruppi/{group}/documenti/{document}/versioni/2/scarica.docx",
    ),
    "documents.print_view": ("GET", "/gruppi/{group}/documenti/{document}/versioni/2/stampa"),
    "discussions.index": ("GET", "/gruppi/{group}/discussioni/"),
    "discussions.create": ("GET", "/gruppi/{group}/discussioni/nuova"),
    "discussions.show": ("GET", "/gruppi/{group}/discussioni/{thread}"),
    "discussions.poll": ("GET", "/gruppi/{group}/discussioni/{thread}/nuovi?dopo=1"),
    "discussions.reply": ("POST", "/gruppi/{group}/discussioni/{thread}/rispondi"),
    "discussions.edit_message": ("GET", "/gruppi/{group}/discussioni/{thread}/messaggi/1/modifica"),
    "discussions.withdraw": ("POST", "/gruppi/{group}/discussioni/{thread}/messaggi/1/ritira"),
    "discussions.versions": ("GET", "/gruppi/{group}/discussioni/{thread}/messaggi/1/versioni"),
    "discussions.pin": ("POST", "/gruppi/{group}/discussioni/{thread}/fissa"),
    "discussions.lock": ("POST", "/gruppi/{group}/discussioni/{thread}/blocca"),
    "discussions.resolve": ("POST", "/gruppi/{group}/discussioni/{thread}/risolvi"),
    "discussions.follow": ("POST", "/gruppi/{group}/discussioni/{thread}/segui"),
    "notifications.index": ("GET", "/notifiche"),
    "notifications.mark_all_read": ("POST", "/notifiche/lette"),
    "notifications.open": ("POST", "/notifiche/{notification}/apri"),
    "notifications.count": ("GET", "/notifiche/conteggio"),
    "notifications.preferences": ("GET", "/notifiche/preferenze"),
    "notifications.forget": ("POST", "/notifiche/preferenze/smetti"),
    "notifications.by_token": ("GET", "/notifiche/email/not-a-token"),
    "notifications.follow_group": ("POST", "/gruppi/{group}/segui"),
    "notifications.mute_group": ("POST", "/gruppi/{group}/silenzia"),
    "notifications.reset_group": ("POST", "/gruppi/{group}/smetti"),
    "meetings.index": ("GET", "/gruppi/{group}/incontri/"),
    "meetings.create": ("GET", "/gruppi/{group}/incontri/nuovo"),
    "meetings.show": ("GET", "/gruppi/{group}/incontri/{meeting}"),
    "meetings.edit": ("GET", "/gruppi/{group}/incontri/{meeting}/modifica"),
    "meetings.cancel": ("POST", "/gruppi/{group}/incontri/{meeting}/annulla"),
    "meetings.add_item": ("POST", "/gruppi/{group}/incontri/{meeting}/punti"),
    "meetings.move_item": ("POST", "/gruppi/{group}/incontri/{meeting}/punti/{item}/sposta"),
    "meetings.remove_item": ("POST", "/gruppi/{group}/incontri/{meeting}/punti/{item}/elimina"),
    "meetings.carry_over": ("POST", "/gruppi/{group}/incontri/{meeting}/punti/{item}/rinvia"),
    "meetings.attendance": ("POST", "/gruppi/{group}/incontri/{meeting}/presenze"),
    "meetings.add_guest": ("POST", "/gruppi/{group}/incontri/{meeting}/ospiti"),
    "meetings.remove_guest": (
        "POST",
        "/gruppi/{group}/incontri/{meeting}/ospiti/{guest}/elimina",
    ),
    "meetings.start_minutes": ("POST", "/gruppi/{group}/incontri/{meeting}/verbale"),
    "meetings.circulate": ("POST", "/gruppi/{group}/incontri/{meeting}/verbale/in-visione"),
    "meetings.comment_minutes": ("POST", "/gruppi/{group}/incontri/{meeting}/verbale/commenti"),
    "meetings.approve_minutes": ("POST", "/gruppi/{group}/incontri/{meeting}/verbale/approva"),
    "meetings.print_minutes": ("GET", "/gruppi/{group}/incontri/{meeting}/verbale/stampa"),
    "meetings.download_minutes": ("GET", "/gruppi/{group}/incontri/{meeting}/verbale.docx"),
    "meetings.add_decision": ("POST", "/gruppi/{group}/incontri/{meeting}/decisioni"),
    "meetings.remove_decision": (
        "POST",
        "/gruppi/{group}/incontri/{meeting}/decisioni/{decision}/elimina",
    ),
    "meetings.add_action": ("POST", "/gruppi/{group}/incontri/{meeting}/azioni"),
    "meetings.close_action": ("POST", "/gruppi/{group}/azioni/{action}/chiudi"),
    "meetings.reopen_action": ("POST", "/gruppi/{group}/azioni/{action}/riapri"),
    "meetings.actions": ("GET", "/gruppi/{group}/azioni/"),
    "meetings.download_ics": ("GET", "/gruppi/{group}/incontri/{meeting}/incontro.ics"),
    "calendar.feed_settings": ("GET", "/calendario/"),
    "calendar.new_feed": ("POST", "/calendario/nuovo-indirizzo"),
    "calendar.revoke_feed": ("POST", "/calendario/revoca"),
    "calendar.feed": ("GET", "/calendario/not-a-token.ics"),
}

PUBLIC = {
    "home.health",
    "accounts.login",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.set_language",
    "twofactor.verify",
    "invitations.accept",
    "notifications.by_token",
    "calendar.feed",
}

ROLES = ["anonymous", "outsider", "external", "member", "lead", "coordinator"]

COORDINATOR_ONLY = {
    "audit.index",
    "audit.export",
    "overview.index",
    "people.index",
    "people.edit",
    "people.deactivate",
    "people.reactivate",
    "people.erase",
    "twofactor.reset",
    "invitations.index",
    "invitations.create",
    "invitations.resend",
    "invitations.revoke",
    "directory.create",
    "directory.edit",
    "directory.retire",
    "directory.restore",
    "groups.create",
    "groups.archive",
    "groups.unarchive",
}
GROUP_MANAGE = {
    "groups.edit",
    "groups.add_member",
    "groups.change_role",
    "groups.remove_member",
    "documents.approve",
    "discussions.versions",
    "discussions.pin",
    "discussions.lock",
    "discussions.resolve",
    # The world's meeting, agenda item and decision are the lead's: its organiser and
    # the managers may change them, other members get 403.
    "meetings.edit",
    "meetings.cancel",
    "meetings.move_item",
    "meetings.remove_item",
    "meetings.carry_over",
    "meetings.circulate",
    "meetings.approve_minutes",
    "meetings.remove_decision",
}
GROUP_READ = {
    "groups.show",
    "activity.group",
    "attachments.download",
    "documents.index",
    "documents.show",
    "documents.history",
    "documents.revision",
    "documents.compare",
    "documents.attribution",
    "documents.review",
    "documents.download_markdown",
    "documents.download_docx",
    "documents.print_view",
    "documents.presence",
    "discussions.index",
    "discussions.show",
    "meetings.index",
    "meetings.show",
    "meetings.actions",
    "meetings.print_minutes",
    "meetings.download_minutes",
    "meetings.download_ics",
}
# What every member of the group may do, and nobody outside it (who gets 404).
GROUP_WORK = {
    "documents.create",
    "documents.edit",
    "documents.preview",
    "documents.keep_draft",
    "documents.discard_draft",
    "documents.restore",
    "documents.details",
    "discussions.create",
    "discussions.poll",
    "discussions.reply",
    "discussions.follow",
    "notifications.follow_group",
    "notifications.mute_group",
    "notifications.reset_group",
    "meetings.create",
    "meetings.add_item",
    "meetings.attendance",
    "meetings.add_guest",
    "meetings.remove_guest",
    "meetings.start_minutes",
    "meetings.comment_minutes",
    "meetings.add_decision",
    "meetings.add_action",
    # The world's action is the member's: its owner may close it (and the managers).
    "meetings.close_action",
    "meetings.reopen_action",
}
# Coordinators only, inside a group: its members get 403, those outside it 404 (as ever).
GROUP_COORDINATOR = {"archive.download"}
# Only the author of the message (the "member" in the world below), invisible to outsiders.
AUTHOR_ONLY = {"discussions.edit_message", "discussions.withdraw"}
TABLE_MEMBERS = {"directory.index"}
# The member's own notification: anyone else gets 404.
OWN = {"notifications.open"}


def expected(endpoint: str, role: str) -> set[int]:
    """Acceptable status codes."""
    if endpoint in PUBLIC:
        return {200, 302, 303, 400, 404, 422}  # public pages answer everyone
    if role == "anonymous":
        return {302}  # to the sign-in page
    if endpoint in COORDINATOR_ONLY:
        return {200, 302, 303, 422} if role == "coordinator" else {403}
    if endpoint in GROUP_MANAGE:
        if role in ("lead", "coordinator"):
            return {200, 302, 303, 422}
        if role in ("outsider", "external"):
            return {404}  # the group is invisible to them
        return {403}
    if endpoint in GROUP_COORDINATOR:
        if role == "coordinator":
            return {200}
        return {404} if role in ("outsider", "external") else {403}
    if endpoint in GROUP_READ:
        return {200} if role in ("member", "lead", "coordinator") else {404}
    if endpoint in AUTHOR_ONLY:
        if role == "member":
            return {200, 302, 303}
        return {404} if role in ("outsider", "external") else {403}
    if endpoint in GROUP_WORK:
        return {200, 302, 303, 422} if role in ("member", "lead", "coordinator") else {404}
    if endpoint in TABLE_MEMBERS:
        return {403} if role == "external" else {200}
    if endpoint in OWN:
        return {303} if role == "member" else {404}
    return {200, 302, 303}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(ROUTES), (
        f"missing: {endpoints - set(ROUTES)}; stale: {set(ROUTES) - endpoints}"
    )


@pytest.fixture
def world(app, make_user, make_group, make_service):
    lead = make_user(Role.OPERATOR, name="Referente")
    member = make_user(Role.OPERATOR, name="Componente")
    other = make_user(Role.OPERATOR, name="Altra persona")
    people = {
        "outsider": make_user(Role.OPERATOR, name="Esterna al gruppo"),
        "external": make_user(Role.EXTERNAL, name="Partecipante esterno"),
        "member": member,
        "lead": lead,
        "coordinator": make_user(Role.COORDINATOR, name="Coordinatrice"),
    }
    group = make_group("Revisione linee guida", leads=[lead], members=[member, other])
    # The external participant belongs to another group: never to this one.
    make_group("Gruppo congiunto", members=[people["external"]], is_joint=True)
    service = make_service()
    invitation, _ = invitations.create_invitation(
        email="nuova@comune.example.it",
        name="Nuova",
        role=Role.OPERATOR,
        service=service,
        organisation=None,
        groups=[],
        invited_by=people["coordinator"],
    )
    membership = Membership.query.filter_by(group_id=group.id, user_id=other.id).one()
    document = documents.create_document(
        group, title="Linee guida", description="", body="# Premessa\n\nTesto.\n", author=lead
    )
    documents.save(
        document,
        author=member,
        body="# Premessa\n\nTesto rivisto.\n",
        base_number=1,
        section=None,
        summary="",
    )
    # A file in a message of the group (rows made directly: the attachment is what is tested).
    thread = Thread(group_id=group.id, title="Verbali", last_number=1)
    db.session.add(thread)
    db.session.flush()
    message = Message(thread_id=thread.id, number=1, author_id=member.id, body="Eccolo.", html="")
    db.session.add(message)
    db.session.flush()
    pdf = FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="verbale.pdf")
    (attachment,) = attachments.store([pdf], uploader=member)
    attachments.attach([attachment], message.id)
    db.session.commit()
    ids = {
        "group": group.slug,
        "membership": membership.id,
        "service": service.id,
        "person": other.id,
        "invitation": invitation.id,
        "document": document.id,
        "attachment": attachment.id,
        "thread": discussions.open_thread(
            group, author=member, title="Primo incontro", body="Come lo gestite?"
        ).id,
    }
    (notification,) = notifications.notify(
        [member],
        kind=Kind.MENTION,
        actor=lead,
        group=group,
        title="Referente ti ha menzionato",
        excerpt="",
        url=f"/gruppi/{group.slug}",
        source="test:1",
    )
    db.session.commit()
    ids["notification"] = notification.id
    ids.update(meeting_world(group, lead=lead, member=member, other=other))
    return people, ids


def meeting_world(group, *, lead, member, other) -> dict:
    """A meeting of the group, scheduled by its lead, with an agenda item, a guest, minutes,
    a decision and an action for the member; and a later meeting to carry items to."""
    schedule = meetings.Schedule(
        title="Incontro di gennaio",
        starts_local=datetime(2030, 1, 14, 17, 0),
        ends_local=datetime(2030, 1, 14, 19, 0),
        place="Sala 3",
        online_url="",
        is_joint=False,
        invited_ids=(lead.id, member.id, other.id),
    )
    (meeting,) = meetings.schedule_meetings(True, group, schedule, by=lead)
    later = dataclasses.replace(
        schedule,
        starts_local=datetime(2030, 2, 11, 17, 0),
        ends_local=datetime(2030, 2, 11, 19, 0),
    )
    meetings.schedule_meetings(True, group, later, by=lead)
    item = meetings.add_item(meeting, title="Linee guida", owner_id=None, duration=30, by=lead)
    guest = meetings.add_guest(meeting, name="Ospite", organisation="Comune")
    meetings.start_minutes(meeting, by=lead)
    decision = meetings.add_decision(
        meeting,
        item_id=item.id,
        text="Si approva.",
        document_id=None,
        revision_number=None,
        by=lead,
    )
    action = meetings.assign_action(
        meeting, title="Mandare il testo", owner_id=member.id, due_on=None, item_id=item.id, by=lead
    )
    return {
        "meeting": meeting.id,
        "item": item.id,
        "guest": guest.id,
        "decision": decision.id,
        "action": action.id,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_who_gets_what(make_app, world, endpoint, role):
    people, ids = world
    method, template = ROUTES[endpoint]
    url = template.format(**ids)
    client = make_app().test_client()
    if role != "anonymous":
        response = client.post(
            "/accedi", data={"email": people[role].email, "password": "una-password-robusta-42"}
        )
        assert response.status_code == 302
    data = {"locale": "it"} if endpoint == "accounts.set_language" else {}
    if endpoint == "groups.change_role":
        data = {"role": GroupRole.MEMBER.value}
    response = client.open(url, method=method, data=data)
    assert response.status_code in expected(endpoint, role), (
        f"{role} {method} {url}: {response.status_code}"
    )
    if role == "anonymous" and endpoint not in PUBLIC:
        assert "/accedi" in response.location
    if response.status_code == 404:
        # Never the content of what was hidden.
        assert b"Revisione linee guida" not in response.data
        assert b"Componente" not in response.data or endpoint not in GROUP_READ
    # Signing out answers as to a visitor: the page after it is not a signed-in page.
    signed_in = role != "anonymous" and endpoint != "accounts.logout"
    assert_security_headers(response, signed_in=signed_in)


# Polls answered with an ETag: revalidated by the browser (304s), never kept by a shared cache.
REVALIDATED = ("private, no-cache",)


def assert_security_headers(response, *, signed_in: bool) -> None:
    """What every response carries, whoever asks and whatever the answer (ASVS V3.4)."""
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp or csp == "default-src 'none'; sandbox", csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "same-origin"
    if signed_in:
        cache = headers.get("Cache-Control", "")
        assert cache == "no-store" or cache in REVALIDATED, cache


def test_services_of_retired_kind_stay_hidden_from_external(client, login_as, make_service):
    make_service(name="Servizio visibile")
    login_as(Role.EXTERNAL)
    assert client.get("/servizi/").status_code == 403
    assert Service.query.count() == 1
