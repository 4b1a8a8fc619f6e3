"""The activity feed: events recorded once by the services, who sees which, filters, keyset
pagination, what is new since a visit, the weekly summary mail."""

from datetime import datetime, timedelta

import pytest

from tests.support import htmx, plain, text
from tests.test_meetings import series
from workspace.activity import service as activity
from workspace.activity import summary
from workspace.activity.models import Event, EventKind, GroupVisit
from workspace.clock import utcnow
from workspace.discussions import service as discussions
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.groups import service as groups_service
from workspace.groups.models import GroupRole
from workspace.meetings import service as meetings
from workspace.people.models import Role

JANUARY = datetime(2030, 1, 14, 17, 0)


@pytest.fixture
def world(make_user, make_group, make_service):
    """Two groups and a joint one, with their people; nothing has happened yet."""
    service_a = make_service("Spazio Neutro di Legnano")
    service_b = make_service("Spazio Neutro di Rho")
    lead = make_user(name="Sara Galli", service=service_a)
    anna = make_user(name="Anna Bianchi", service=service_a)
    bruno = make_user(name="Bruno Verdi", service=service_b)
    outsider = make_user(name="Olga Esterna", service=service_b)
    coordinator = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    guest = make_user(Role.EXTERNAL, name="Elena Marchi")
    guidelines = make_group("Revisione linee guida", leads=[lead], members=[anna, bruno])
    ama = make_group("Gruppo AMA", leads=[lead], members=[outsider])
    joint = make_group("Affidatari e Spazio Neutro", leads=[lead], members=[anna], is_joint=True)
    return {
        "lead": lead,
        "anna": anna,
        "bruno": bruno,
        "outsider": outsider,
        "coordinator": coordinator,
        "guest": guest,
        "guidelines": guidelines,
        "ama": ama,
        "joint": joint,
    }


def guidelines_document(world, body="# Linee guida\n\nIl genitore incontra il figlio.\n"):
    return documents.create_document(
        world["guidelines"], title="Linee guida", description="", body=body, author=world["lead"]
    )


def edit(document, author, body, summary_text="Una modifica"):
    return documents.save(
        document,
        author=author,
        body=body,
        base_number=document.text.head,
        section=None,
        summary=summary_text,
    )


def kinds(user, **filters):
    page = activity.feed(user, activity.Filters(**filters))
    return [event.kind for event in page.events]


# -- Recording ------------------------------------------------------------------------------


def test_each_service_records_its_event_once(world):
    document = guidelines_document(world)
    outcome = edit(document, world["anna"], "# Linee guida\n\nTesto nuovo.\n", "Riscritto")
    documents.approve(document, 2, by=world["lead"], note="Va bene")
    documents.restore(document, 1, author=world["lead"])
    thread = discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="Orari", body="Proposta"
    )
    discussions.reply(thread, author=world["anna"], body="D'accordo")
    (meeting,) = series(world["guidelines"], world["lead"], invited=(world["anna"],))
    action = meetings.assign_action(
        meeting,
        title="Scrivere la bozza",
        owner_id=world["anna"].id,
        due_on=None,
        item_id=None,
        by=world["lead"],
    )
    meetings.close_action(action, note="", by=world["anna"])
    meetings.start_minutes(meeting, by=world["lead"])
    newcomer = world["outsider"]
    membership = groups_service.add_member(
        world["guidelines"], newcomer, GroupRole.MEMBER, added_by=world["lead"]
    )
    groups_service.remove_member(membership, by=world["lead"])

    assert outcome.status == "saved"
    assert kinds(world["coordinator"]) == [
        EventKind.MEMBER_REMOVED,
        EventKind.MEMBER_ADDED,
        EventKind.MINUTES_EDITED,
        EventKind.ACTION_CLOSED,
        EventKind.ACTION_ASSIGNED,
        EventKind.MEETING_SCHEDULED,
        EventKind.MESSAGE_POSTED,
        EventKind.THREAD_OPENED,
        EventKind.REVISION_RESTORED,
        EventKind.DOCUMENT_APPROVED,
        EventKind.REVISION_SAVED,
        EventKind.DOCUMENT_CREATED,
    ]
    saved = db.session.scalar(db.select(Event).where(Event.kind == EventKind.REVISION_SAVED))
    assert saved.actor_id == world["anna"].id
    assert saved.service_id == world["anna"].profile.service_id
    assert saved.revision_number == 2
    assert saved.summary == "Riscritto"
    assert saved.size_change == outcome.revision.size_change


def test_nothing_is_recorded_for_what_was_not_stored(world):
    document = guidelines_document(world)
    body = document.text  # noqa: F841 - the text as created
    before = db.session.scalar(db.select(db.func.count()).select_from(Event))
    unchanged = documents.save(
        document,
        author=world["anna"],
        body="# Linee guida\n\nIl genitore incontra il figlio.\n",
        base_number=1,
        section=None,
        summary="niente",
    )
    assert unchanged.status == "unchanged"
    edit(document, world["anna"], "# Linee guida\n\nPrima.\n")
    conflict = documents.save(
        document,
        author=world["bruno"],
        body="# Linee guida\n\nSeconda.\n",
        base_number=1,
        section=None,
        summary="in conflitto",
    )
    assert conflict.status == "conflict"
    after = db.session.scalar(db.select(db.func.count()).select_from(Event))
    assert after == before + 1  # only Anna's save


def test_a_withdrawn_message_leaves_no_words_in_the_feed(world):
    thread = discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="Orari", body="Parole da ritirare"
    )
    message = discussions.reply(thread, author=world["anna"], body="Frase imbarazzante")
    discussions.withdraw(message, by=world["anna"])
    first = discussions.get_message(thread, 1)
    discussions.edit_message(first, by=world["bruno"], body="Parole corrette")
    summaries = {e.kind: e.summary for e in activity.feed(world["lead"], activity.Filters()).events}
    assert summaries[EventKind.MESSAGE_POSTED] == ""
    assert summaries[EventKind.THREAD_OPENED] == "Parole corrette"


# -- Who sees what --------------------------------------------------------------------------


@pytest.fixture
def busy_world(world):
    guidelines_document(world)
    discussions.open_thread(world["ama"], author=world["outsider"], title="Serata AMA", body="Ciao")
    internal = series(
        world["joint"], world["lead"], title="Solo interno", invited=(world["anna"],)
    )[0]
    joint = series(
        world["joint"],
        world["lead"],
        title="Incontro congiunto",
        invited=(world["anna"], world["guest"]),
        joint=True,
    )[0]
    meetings.assign_action(
        joint,
        title="Portare i dati",
        owner_id=world["guest"].id,
        due_on=None,
        item_id=None,
        by=world["lead"],
    )
    world["internal"] = internal
    world["joint_meeting"] = joint
    return world


def titles(user):
    return {event.title for event in activity.feed(user, activity.Filters()).events}


def test_each_person_sees_only_their_groups(busy_world):
    w = busy_world
    everything = {"Linee guida", "Serata AMA", "Solo interno", "Incontro congiunto"}
    assert titles(w["coordinator"]) == everything
    assert titles(w["lead"]) == everything
    assert titles(w["anna"]) == {"Linee guida", "Solo interno", "Incontro congiunto"}
    assert titles(w["bruno"]) == {"Linee guida"}
    assert titles(w["outsider"]) == {"Serata AMA"}


def test_an_external_participant_sees_only_the_joint_meeting_they_are_in(busy_world, make_user):
    w = busy_world
    assert titles(w["guest"]) == {"Incontro congiunto"}
    assert {e.kind for e in activity.feed(w["guest"], activity.Filters()).events} == {
        EventKind.MEETING_SCHEDULED,
        EventKind.ACTION_ASSIGNED,
    }
    stranger = make_user(Role.EXTERNAL, name="Altro Esterno")
    assert titles(stranger) == set()


def test_the_feed_pages_over_http_show_only_what_each_role_may_see(busy_world, client, auth):
    w = busy_world
    auth.login(w["guest"])
    page = plain(client.get("/attivita"))
    assert "Incontro congiunto" in page
    assert "Solo interno" not in page and "Serata AMA" not in page and "Linee guida" not in page
    assert client.get(f"/gruppi/{w['joint'].slug}/attivita").status_code == 404
    auth.logout()

    auth.login(w["bruno"])
    assert client.get(f"/gruppi/{w['ama'].slug}/attivita").status_code == 404
    page = plain(client.get(f"/gruppi/{w['guidelines'].slug}/attivita"))
    assert "Linee guida" in page
    # A group filter naming a group one cannot see is refused, not silently widened.
    response = client.get(f"/attivita?gruppo={w['ama'].slug}")
    assert response.status_code == 422
    assert "Gruppo sconosciuto" in text(response)
    auth.logout()

    auth.login(w["coordinator"])
    page = plain(client.get(f"/attivita?gruppo={w['ama'].slug}"))
    assert "Serata AMA" in page and "Linee guida" not in page


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for path in ("/attivita", f"/gruppi/{world['guidelines'].slug}/attivita"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/accedi" in response.headers["Location"]
    assert client.post("/attivita/riepilogo-settimanale").status_code == 302


# -- Filters and pagination -------------------------------------------------------------------


def test_filters_by_person_service_kind_and_dates(busy_world, client, auth):
    w = busy_world
    document = db.session.scalar(
        db.select(documents.Document).where(documents.Document.title == "Linee guida")
    )
    edit(document, w["bruno"], "# Linee guida\n\nDi Bruno.\n", "Bruno scrive")
    auth.login(w["coordinator"])

    page = plain(client.get(f"/attivita?persona={w['bruno'].id}"))
    assert "Bruno scrive" in page and "Serata AMA" not in page

    service_b = w["bruno"].profile.service_id
    page = plain(client.get(f"/attivita?servizio={service_b}"))
    assert "Bruno scrive" in page and "Serata AMA" in page  # Olga works at Rho too
    assert "Incontro congiunto" not in page

    page = plain(client.get("/attivita?tipo=thread.opened"))
    assert "Serata AMA" in page and "Bruno scrive" not in page

    today = datetime.now().date()
    page = plain(
        client.get(f"/attivita?dal={today - timedelta(days=1)}&al={today + timedelta(days=1)}")
    )
    assert "Bruno scrive" in page
    page = plain(client.get("/attivita?dal=2001-01-01&al=2001-01-31"))
    assert "Nessuna attività con questi filtri." in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("dal=2030-02-10&al=2030-02-01", "La data finale è precedente a quella iniziale."),
        ("dal=31/02/2030", "Indica una data valida"),
        ("persona=999999", "Persona sconosciuta"),
        ("persona=abc", "Persona sconosciuta"),
        ("servizio=999999", "Servizio sconosciuto"),
        ("tipo=drop%20table", "Tipo di attività sconosciuto"),
        ("gruppo=non-esiste", "Gruppo sconosciuto"),
    ],
)
def test_bad_filters_get_a_clear_message_and_keep_what_was_typed(
    world, client, login_as, query, message
):
    login_as(Role.COORDINATOR)
    response = client.get(f"/attivita?{query}")
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    if "dal=31/02/2030" in query:
        assert 'value="31/02/2030"' in page


def test_a_person_outside_ones_groups_is_not_a_choice(busy_world, client, auth):
    w = busy_world
    auth.login(w["bruno"])
    response = client.get(f"/attivita?persona={w['outsider'].id}")
    assert response.status_code == 422
    assert "Persona sconosciuta" in text(response)


def test_the_feed_is_paginated_by_key_with_htmx_appending(world, client, auth):
    thread = discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="Lunga", body="Inizio"
    )
    for n in range(2, activity.PAGE_SIZE + 6):
        discussions.reply(thread, author=world["anna"], body=f"Risposta numero {n}")
    auth.login(world["lead"])
    first = text(client.get("/attivita"))
    assert first.count('class="activity') >= activity.PAGE_SIZE
    assert "Mostra attività precedenti" in first
    newest = activity.feed(world["lead"], activity.Filters()).events
    cursor = newest[-1].id
    assert f"prima={cursor}" in first

    fragment = client.get(f"/attivita?prima={cursor}", headers=htmx("activity-more"))
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert "Inizio" in plain(fragment)  # the oldest, first message, is on the second page
    assert "Mostra attività precedenti" not in body
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]

    # The filter form swaps the whole feed region.
    region = client.get("/attivita?tipo=thread.opened", headers=htmx("activity-feed"))
    assert region.get_data(as_text=True).lstrip().startswith('<div id="activity-feed"')


def test_each_event_links_to_the_exact_diff_message_or_meeting(busy_world, client, auth):
    w = busy_world
    document = db.session.scalar(
        db.select(documents.Document).where(documents.Document.title == "Linee guida")
    )
    edit(document, w["bruno"], "# Linee guida\n\nNuovo testo.\n")
    thread = discussions.open_thread(w["guidelines"], author=w["anna"], title="Domanda", body="?")
    discussions.reply(thread, author=w["bruno"], body="Risposta")
    auth.login(w["coordinator"])
    page = client.get("/attivita").get_data(as_text=True)
    compare = f"/gruppi/{w['guidelines'].slug}/documenti/{document.id}/confronta?da=1&amp;a=2"
    assert compare in page
    assert client.get(compare.replace("&amp;", "&")).status_code == 200
    assert f"/gruppi/{w['guidelines'].slug}/discussioni/{thread.id}?pagina=1#messaggio-2" in page
    assert f"/gruppi/{w['joint'].slug}/incontri/{w['joint_meeting'].id}" in page


def test_names_and_titles_are_escaped(world, client, auth):
    discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="<script>alert(1)</script>", body="x"
    )
    auth.login(world["lead"])
    page = client.get("/attivita").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- Since my last visit ------------------------------------------------------------------------


def test_the_group_page_marks_what_is_new_since_the_previous_visit(world, client, auth):
    group = world["guidelines"]
    auth.login(world["anna"])
    first = plain(client.get(f"/gruppi/{group.slug}"))
    assert "Attività recenti" in first
    visit = db.session.get(GroupVisit, (world["anna"].id, group.id))
    assert visit.previous_at is None
    # The visit ended a while ago; then Bruno opened a thread.
    visit.seen_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    discussions.open_thread(group, author=world["bruno"], title="Novità di Bruno", body="Ciao")

    page = text(client.get(f"/gruppi/{group.slug}"))
    assert "Novità dalla tua ultima visita" in page
    assert "Novità di Bruno" in page
    assert 'class="activity activity--new"' in page
    # Moving around the group is the same visit: the mark stays.
    again = text(client.get(f"/gruppi/{group.slug}"))
    assert 'class="activity activity--new"' in again
    # One's own doings are never "new".
    discussions.open_thread(group, author=world["anna"], title="Mia discussione", body="Io")
    mine = text(client.get(f"/gruppi/{group.slug}"))
    assert (
        "Mia discussione"
        not in mine.split("Novità dalla tua ultima visita")[1].split("</section>")[0]
    )


def test_the_home_page_counts_news_per_group_since_the_previous_sign_in(world, client, auth):
    auth.login(world["anna"])
    auth.logout()
    discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="Scritta mentre non c'eri", body="x"
    )
    groups_service.add_member(
        world["joint"], world["bruno"], GroupRole.MEMBER, added_by=world["lead"]
    )
    auth.login(world["anna"])
    home = plain(client.get("/"))
    assert "Scritta mentre non c'eri" in home
    assert "Sara Galli ha aggiunto Bruno Verdi al gruppo «Affidatari e Spazio Neutro»" in home
    assert "1 novità" in home


# -- Weekly summary ---------------------------------------------------------------------------


def test_the_weekly_summary_is_opt_in_and_tells_what_changed(world, client, auth, outbox, app):
    auth.login(world["anna"])
    page = text(client.get("/notifiche/preferenze"))
    assert "Riepilogo settimanale" in page
    response = client.post("/attivita/riepilogo-settimanale", data={"enabled": "y"})
    assert response.status_code == 303
    assert summary.is_enabled(world["anna"])
    assert summary.is_enabled(world["bruno"]) is False

    discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="Per la settimana", body="x"
    )
    discussions.open_thread(world["ama"], author=world["outsider"], title="Non mio", body="x")
    result = summary.send_due()
    assert result.sent == 1
    (mail,) = outbox()
    assert mail["To"] == world["anna"].email
    assert "riepilogo settimanale" in mail["Subject"]
    body = mail.get_content()
    assert "Bruno Verdi ha aperto la discussione «Per la settimana»" in body
    assert "Non mio" not in body
    assert "/gruppi/" in body

    # Not again within the week, even if something happens.
    discussions.open_thread(world["guidelines"], author=world["bruno"], title="Dopo", body="x")
    assert summary.send_due().sent == 0
    # A week later: only what came after the last one.
    assert summary.send_due(now=utcnow() + timedelta(days=7)).sent == 1
    later = outbox()[-1].get_content()
    assert "Dopo" in later and "Per la settimana" not in later

    client.post("/attivita/riepilogo-settimanale", data={})
    assert not summary.is_enabled(world["anna"])
    assert summary.send_due(now=utcnow() + timedelta(days=30)).sent == 0


def test_the_weekly_summary_command_runs(world, runner):
    summary.set_enabled(world["anna"], True)
    db.session.commit()
    result = runner.invoke(args=["send-weekly-summaries"])
    assert result.exit_code == 0
    assert "senza novità: 1" in result.output


# -- After the review ---------------------------------------------------------------------------


def test_someone_joining_by_invitation_is_in_the_activity(world):
    from workspace.invitations import service as invitations

    invitation, _token = invitations.create_invitation(
        email="nuova@comune.example.it",
        name="Nuova Operatrice",
        role=Role.OPERATOR,
        service=world["anna"].profile.service,
        organisation=None,
        groups=[world["guidelines"]],
        invited_by=world["coordinator"],
    )
    invitations.accept(invitation, "una-password-robusta-42")
    (event,) = activity.feed(
        world["anna"], activity.Filters(kinds=(EventKind.MEMBER_ADDED,))
    ).events
    assert event.subject.name == "Nuova Operatrice"
    assert event.actor_id == world["coordinator"].id


def test_the_next_page_link_keeps_only_the_filters(world, client, auth):
    thread = discussions.open_thread(
        world["guidelines"], author=world["bruno"], title="T", body="x"
    )
    for n in range(activity.PAGE_SIZE + 2):
        discussions.reply(thread, author=world["anna"], body=f"r{n}")
    auth.login(world["lead"])
    slug = world["guidelines"].slug
    for query in ("slug=x", "endpoint=x", "_external=1&_anchor=x", "tipo=message.posted&x=1"):
        response = client.get(f"/gruppi/{slug}/attivita?{query}")
        assert response.status_code in (200, 422), query
        page = response.get_data(as_text=True)
        assert "_anchor" not in page and "http://" not in page.split("activity-more")[-1]


@pytest.mark.parametrize("query", ["al=9999-12-31", "dal=0001-01-01", "dal=1999-12-31"])
def test_implausible_dates_get_a_message_not_an_error(world, client, login_as, query):
    login_as(Role.COORDINATOR)
    response = client.get(f"/attivita?{query}")
    assert response.status_code == 422
    assert "Indica una data tra il 2000 e il 2100." in text(response)


def test_opening_a_group_clears_its_count_on_the_home_page(world, client, auth):
    auth.login(world["anna"])
    auth.logout()
    discussions.open_thread(world["guidelines"], author=world["bruno"], title="Nuova", body="x")
    auth.login(world["anna"])
    assert "1 novità" in plain(client.get("/"))
    client.get(f"/gruppi/{world['guidelines'].slug}")
    assert "1 novità" not in plain(client.get("/"))


def test_the_group_page_does_not_reload_what_it_drew_after_noting_the_visit(
    world, client, auth, make_user
):
    from sqlalchemy import event as sa_event

    group = world["guidelines"]
    for n in range(12):
        groups_service.add_member(
            group, make_user(name=f"Persona in più {n}"), GroupRole.MEMBER, added_by=None
        )
    auth.login(world["anna"])
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    client.get(f"/gruppi/{group.slug}")  # the first visit
    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(f"/gruppi/{group.slug}")
        with_few = len(statements)
        for n in range(12, 24):
            groups_service.add_member(
                group, make_user(name=f"Persona in più {n}"), GroupRole.MEMBER, added_by=None
            )
        statements.clear()
        client.get(f"/gruppi/{group.slug}")
        with_more = len(statements)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    assert with_more <= with_few + 2  # not one query per member
