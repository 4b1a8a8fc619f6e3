"""Discussions through HTTP: threads, replies, quotes, edits, withdrawals, moderation, reading,
mentions and who is notified."""

import re

import pytest
from sqlalchemy import event, func, select

from tests.support import htmx, text
from workspace.discussions import service as discussions
from workspace.discussions.models import Message, Thread
from workspace.extensions import db
from workspace.notifications.models import Notification
from workspace.people.models import Role


@pytest.fixture
def team(make_user, make_group):
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(Role.OPERATOR, name="Anna Operatrice")
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore")
    group = make_group("Ambientamento", leads=[lead], members=[anna, bruno])
    return {"lead": lead, "anna": anna, "bruno": bruno, "group": group}


@pytest.fixture
def thread(team):
    return discussions.open_thread(
        team["group"], author=team["anna"], title="Il primo incontro", body="Come lo gestite?"
    )


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def url(thread, tail=""):
    return f"/gruppi/{thread.group.slug}/discussioni/{thread.id}{tail}"


def notifications_of(user):
    return list(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)))


# -- Opening and replying ---------------------------------------------------------------------


def test_a_member_opens_a_thread_and_it_is_listed(client, auth, team):
    sign_in(auth, team["anna"])
    slug = team["group"].slug
    page = client.get(f"/gruppi/{slug}/discussioni/nuova")
    assert page.status_code == 200
    token = re.search(r'name="client_token"[^>]*value="([^"]+)"', text(page)).group(1)
    response = client.post(
        f"/gruppi/{slug}/discussioni/nuova",
        data={"title": "Orari", "body": "Proposta: **sabato** mattina.", "client_token": token},
    )
    assert response.status_code == 302
    thread = db.session.scalar(db.select(Thread))
    body = text(client.get(response.location))
    assert "<strong>sabato</strong>" in body and "Anna Operatrice" in body
    assert "Orari" in text(client.get(f"/gruppi/{slug}/discussioni/"))
    assert "Orari" in text(client.get(f"/gruppi/{slug}"))  # the group page's panel
    # The same form sent again opens nothing new.
    client.post(
        f"/gruppi/{slug}/discussioni/nuova",
        data={"title": "Orari", "body": "Proposta: **sabato** mattina.", "client_token": token},
    )
    assert db.session.scalar(db.select(db.func.count(Thread.id))) == 1
    assert thread.last_number == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "testo"}, "Questo campo è obbligatorio."),
        ({"title": "Titolo", "body": "   "}, "Scrivi il messaggio."),
        ({"title": "Titolo", "body": "x" * 50_001}, "Il messaggio supera il limite"),
    ],
)
def test_bad_new_threads_are_explained_and_keep_the_text(client, auth, team, data, message):
    sign_in(auth, team["anna"])
    response = client.post(f"/gruppi/{team['group'].slug}/discussioni/nuova", data=data)
    assert response.status_code == 422
    assert message in text(response)
    if data["title"] == "":
        assert "testo" in text(response)
    assert db.session.scalar(db.select(db.func.count(Thread.id))) == 0


def test_replying_adds_a_message_in_place_with_htmx(client, auth, team, thread):
    sign_in(auth, team["bruno"])
    response = client.post(
        url(thread, "/rispondi"),
        data={"body": "Noi facciamo così.", "client_token": "abc", "dopo": "1"},
        headers=htmx(f"thread-{thread.id}-reply"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'hx-swap-oob="beforeend:#thread-' in html and "Noi facciamo così." in html
    assert 'id="messaggio-2"' in html
    assert f'id="thread-{thread.id}-reply"' in html  # a fresh form
    # Double submission: the same token makes no second message.
    client.post(
        url(thread, "/rispondi"), data={"body": "Noi facciamo così.", "client_token": "abc"}
    )
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 2


def test_replying_without_javascript_goes_to_the_new_message(client, auth, team, thread):
    sign_in(auth, team["bruno"])
    response = client.post(url(thread, "/rispondi"), data={"body": "Risposta"})
    assert response.status_code == 302
    assert response.location.endswith("#messaggio-2")


def test_empty_and_oversized_replies_are_refused(client, auth, team, thread):
    sign_in(auth, team["bruno"])
    response = client.post(url(thread, "/rispondi"), data={"body": ""})
    assert response.status_code == 422 and "Scrivi il messaggio." in text(response)
    response = client.post(url(thread, "/rispondi"), data={"body": "y" * 50_001})
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 1


def test_quoting_a_message_prefills_the_reply(client, auth, team, thread):
    sign_in(auth, team["bruno"])
    page = text(client.get(url(thread, "?cita=1")))
    reply = page.split('id="rispondi"')[1]
    assert "&gt; **Anna Operatrice**" in reply or "> **Anna Operatrice**" in reply
    assert "Come lo gestite?" in reply
    client.post(url(thread, "/rispondi"), data={"body": "> citazione\n\nSì.", "quoted": "1"})
    message = discussions.get_message(thread, 2)
    assert message.quoted_id == discussions.get_message(thread, 1).id
    assert "In risposta a" in text(client.get(url(thread)))


def test_a_locked_thread_takes_no_replies(client, auth, team, thread):
    sign_in(auth, team["lead"])
    assert client.post(url(thread, "/blocca"), data={"valore": "1"}).status_code == 303
    sign_in(auth, team["bruno"])
    assert "non si può più rispondere" in text(client.get(url(thread)))
    response = client.post(url(thread, "/rispondi"), data={"body": "Ancora una cosa"})
    assert response.status_code == 422
    assert "non si può più rispondere" in text(response)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 1


# -- Editing and withdrawing --------------------------------------------------------------------


def test_editing_ones_own_message_keeps_the_earlier_version_for_leads(client, auth, team, thread):
    sign_in(auth, team["anna"])
    page = client.get(url(thread, "/messaggi/1/modifica"))
    assert "Come lo gestite?" in text(page)
    response = client.post(url(thread, "/messaggi/1/modifica"), data={"body": "Come lo fate voi?"})
    assert response.status_code == 303
    body = text(client.get(url(thread)))
    assert "Come lo fate voi?" in body and "modificato" in body
    assert "versioni precedenti" not in body  # members do not see earlier versions
    assert client.get(url(thread, "/messaggi/1/versioni")).status_code == 403
    sign_in(auth, team["lead"])
    assert "versioni precedenti" in text(client.get(url(thread)))
    versions = text(client.get(url(thread, "/messaggi/1/versioni")))
    assert "Come lo gestite?" in versions and "Come lo fate voi?" in versions


def test_nobody_edits_or_withdraws_someone_elses_message(client, auth, team, thread):
    sign_in(auth, team["bruno"])
    assert client.get(url(thread, "/messaggi/1/modifica")).status_code == 403
    assert client.post(url(thread, "/messaggi/1/modifica"), data={"body": "x"}).status_code == 403
    assert client.post(url(thread, "/messaggi/1/ritira")).status_code == 403
    assert discussions.get_message(thread, 1).body == "Come lo gestite?"


def test_a_withdrawn_message_leaves_the_thread_readable(client, auth, team, thread):
    discussions.reply(thread, author=team["bruno"], body="Seconda")
    sign_in(auth, team["anna"])
    assert client.post(url(thread, "/messaggi/1/ritira")).status_code == 303
    body = text(client.get(url(thread)))
    assert "Messaggio ritirato" in body and "Come lo gestite?" not in body
    assert "Seconda" in body


def test_unread_counts_ignore_withdrawn_messages(team, thread):
    for n in range(3):
        discussions.reply(thread, author=team["bruno"], body=f"risposta {n}")
    assert discussions.unread_counts(team["lead"], [thread.id]) == {thread.id: 4}
    assert discussions.unread_counts(team["anna"], [thread.id]) == {thread.id: 3}
    discussions.withdraw(discussions.get_message(thread, 3), by=team["bruno"])
    assert discussions.unread_counts(team["anna"], [thread.id]) == {thread.id: 2}


def test_unread_counts_take_off_only_the_withdrawn_messages_not_yet_read(team, thread):
    """The count is the last number less what was read less the withdrawn after it: a message
    withdrawn before the reading point was already not counted, and is not taken off twice."""
    for n in range(5):
        discussions.reply(thread, author=team["bruno"], body=f"risposta {n}")
    discussions.mark_read(thread, team["anna"], 4)
    discussions.withdraw(discussions.get_message(thread, 2), by=team["bruno"])  # already read
    discussions.withdraw(discussions.get_message(thread, 5), by=team["bruno"])  # not yet
    other = discussions.open_thread(
        team["group"], author=team["bruno"], title="Altro", body="Prima"
    )
    counts = discussions.unread_counts(team["anna"], [thread.id, other.id])
    assert counts == {thread.id: 1, other.id: 1}  # 6 in all: 4 read, number 5 withdrawn
    discussions.withdraw(discussions.get_message(thread, 6), by=team["bruno"])
    discussions.withdraw(discussions.get_message(other, 1), by=team["bruno"])
    assert discussions.unread_counts(team["anna"], [thread.id, other.id]) == {}
    # As counted message by message, for everybody.
    for person in (team["anna"], team["lead"], team["bruno"]):
        read = discussions.last_read(thread, person)
        expected = db.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.thread_id == thread.id,
                Message.number > read,
                Message.withdrawn_at.is_(None),
            )
        )
        assert discussions.unread_counts(person, [thread.id]).get(thread.id, 0) == expected


def test_the_group_page_lists_threads_without_reading_every_message(
    app, client, auth, team, thread
):
    """The group page's short list shows no participants: the query that would read every
    message of every listed thread to find them is not run."""
    for n in range(3):
        discussions.reply(thread, author=team["bruno"], body=f"risposta {n}")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sign_in(auth, team["anna"])
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = text(client.get(f"/gruppi/{team['group'].slug}"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert thread.title in page and "3 non letti" in page
    assert not [s for s in statements if "GROUP BY messages.thread_id, users.id" in s]
    # The full list still names who takes part.
    assert "Partecipano:" in text(client.get(f"/gruppi/{team['group'].slug}/discussioni/"))


# -- Reading ------------------------------------------------------------------------------------


def test_the_list_shows_unread_counts_and_opening_jumps_to_the_first_unread(
    client, auth, team, thread
):
    for n in range(60):
        discussions.reply(thread, author=team["bruno"], body=f"risposta {n}")
    discussions.mark_read(thread, team["lead"], 55)
    sign_in(auth, team["lead"])
    listing = text(client.get(f"/gruppi/{team['group'].slug}/discussioni/"))
    assert "6 non letti" in listing
    assert "Anna Operatrice" in listing and "Bruno Educatore" in listing  # who took part
    page = text(client.get(url(thread)))
    assert "Pagina 2 di 2" in page  # 61 messages, 50 a page: the first unread is on page 2
    assert page.index('id="non-letti"') < page.index('id="messaggio-56"')
    listing = text(client.get(f"/gruppi/{team['group'].slug}/discussioni/"))
    assert "non letti" not in listing


def test_new_replies_arrive_by_polling_and_an_unchanged_thread_costs_a_304(
    client, auth, team, thread
):
    sign_in(auth, team["lead"])
    first = client.get(url(thread, "/nuovi?dopo=1"), headers=htmx())
    assert first.status_code == 200 and "messaggio-" not in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(url(thread, "/nuovi?dopo=1"), headers={**htmx(), "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["HX-Reswap"] == "none"
    # The poller itself sends that ETag: the browser's cache cannot (Vary: Cookie).
    page = client.get(url(thread)).get_data(as_text=True)
    poller = re.search(r'<div id="thread-\d+-poller"[^>]*>', page).group(0)
    assert "If-None-Match" in poller and 'dopo=1"' in poller
    assert f'\\"t{thread.id}-1-1\\"' in poller and etag == f'"t{thread.id}-1-1"'
    discussions.reply(thread, author=team["bruno"], body="Novità")
    fresh = client.get(url(thread, "/nuovi?dopo=1"), headers={**htmx(), "If-None-Match": etag})
    html = fresh.get_data(as_text=True)
    assert fresh.status_code == 200 and "Novità" in html
    assert "dopo=2" in html  # the poller moves on
    # Without htmx the URL is the thread itself.
    assert client.get(url(thread, "/nuovi?dopo=1")).status_code == 302


def test_the_thread_page_as_an_htmx_fragment(client, auth, team, thread):
    sign_in(auth, team["anna"])
    response = client.get(url(thread, "?pagina=1"), headers=htmx(f"thread-{thread.id}-messages"))
    assert "<html" not in response.get_data(as_text=True)
    assert 'id="messaggio-1"' in response.get_data(as_text=True)


# -- Moderation -------------------------------------------------------------------------------


def test_leads_pin_lock_and_resolve_members_cannot(client, auth, team, thread):
    discussions.reply(thread, author=team["bruno"], body="Ecco la soluzione")
    sign_in(auth, team["bruno"])
    for tail, data in (("/fissa", {}), ("/blocca", {}), ("/risolvi", {"messaggio": "2"})):
        assert client.post(url(thread, tail), data=data).status_code == 403
    sign_in(auth, team["lead"])
    client.post(url(thread, "/fissa"), data={"valore": "1"})
    client.post(url(thread, "/risolvi"), data={"messaggio": "2"})
    db.session.refresh(thread)
    assert thread.pinned and thread.resolved_number == 2
    body = text(client.get(url(thread)))
    assert "ha risolto la discussione" in body
    assert "risolta" in text(client.get(f"/gruppi/{team['group'].slug}/discussioni/"))
    response = client.post(url(thread, "/risolvi"), data={"messaggio": "99"})
    assert response.status_code == 303
    db.session.refresh(thread)
    assert thread.resolved_number == 2


def test_coordinators_moderate_any_group(client, auth, team, thread, make_user):
    sign_in(auth, make_user(Role.COORDINATOR))
    assert client.post(url(thread, "/fissa"), data={"valore": "1"}).status_code == 303


# -- Access -------------------------------------------------------------------------------------


def test_outsiders_and_forged_ids_get_404(client, auth, team, thread, make_user, make_group):
    other = make_group("Altro gruppo", members=[team["bruno"]])
    sign_in(auth, make_user(Role.OPERATOR))
    for tail in ("", "/nuovi?dopo=0", "/messaggi/1/modifica"):
        response = client.get(url(thread, tail))
        assert response.status_code == 404
        assert "Come lo gestite?" not in text(response)
    assert client.post(url(thread, "/rispondi"), data={"body": "intruso"}).status_code == 404
    sign_in(auth, team["bruno"])
    # The thread through another group's address.
    assert client.get(f"/gruppi/{other.slug}/discussioni/{thread.id}").status_code == 404
    assert client.get(f"/gruppi/{other.slug}/discussioni/{2**63}").status_code == 404
    assert client.get(url(thread, "/messaggi/99/modifica")).status_code == 404


# -- Mentions and notifications -------------------------------------------------------------------


def test_a_mention_notifies_a_member_but_not_an_outsider(client, auth, team, thread, make_user):
    outsider = make_user(Role.OPERATOR, name="Olga Esterna")
    sign_in(auth, team["bruno"])
    page = text(client.get(url(thread)))
    assert '<option value="@laura.referente">' in page  # autocomplete from the group
    assert "olga" not in page.casefold()
    client.post(
        url(thread, "/rispondi"), data={"body": "Ne parlo con @laura.referente e @olga.esterna"}
    )
    message = discussions.get_message(thread, 2)
    assert "<strong>@Laura Referente</strong>" in message.html
    assert "@olga.esterna" in message.html  # not a member: plain text
    mentions = [n for n in notifications_of(team["lead"]) if n.kind == "mention"]
    assert len(mentions) == 1 and "#messaggio-2" in mentions[0].url
    assert notifications_of(outsider) == []


def test_followers_get_replies_and_the_author_is_never_notified(team, thread):
    # Anna opened the thread: she follows it. Bruno replies: Anna is told, Bruno is not.
    discussions.reply(thread, author=team["bruno"], body="Risposta di Bruno")
    assert [n.kind for n in notifications_of(team["anna"])] == ["reply"]
    assert notifications_of(team["bruno"]) == []
    # Bruno now follows too: Anna's reply reaches him, not her.
    discussions.reply(thread, author=team["anna"], body="Grazie")
    assert [n.kind for n in notifications_of(team["bruno"])] == ["reply"]
    assert len(notifications_of(team["anna"])) == 1


def test_muting_a_thread_stops_its_notifications(client, auth, team, thread):
    sign_in(auth, team["anna"])
    assert client.post(url(thread, "/segui"), data={"scelta": "silenzia"}).status_code == 303
    discussions.reply(thread, author=team["bruno"], body="Risposta con @anna.operatrice")
    assert notifications_of(team["anna"]) == []


def test_withdrawing_a_message_retracts_its_notifications(team, thread):
    message = discussions.reply(thread, author=team["bruno"], body="Per @laura.referente")
    assert notifications_of(team["lead"])
    discussions.withdraw(message, by=team["bruno"])
    assert notifications_of(team["lead"]) == []


def test_a_person_removed_from_the_group_is_no_longer_notified(team, thread):
    from workspace.groups.models import Membership

    db.session.execute(db.delete(Membership).where(Membership.user_id == team["anna"].id))
    db.session.commit()
    discussions.reply(thread, author=team["bruno"], body="Dopo l'uscita di Anna")
    assert notifications_of(team["anna"]) == []


# -- Documents ----------------------------------------------------------------------------------


def test_discuss_a_section_of_a_document(client, auth, team):
    from workspace.documents import service as documents

    document = documents.create_document(
        team["group"],
        title="Linee guida",
        description="",
        body="# Premessa\n\nTesto.\n\n## Accoglienza\n\nAltro.\n",
        author=team["lead"],
    )
    db.session.commit()
    sign_in(auth, team["anna"])
    page = client.get(f"/gruppi/{team['group'].slug}/documenti/{document.id}")
    link = (
        re.search(
            r'href="([^"]*discussioni/nuova[^"]*sezione=sez-accoglienza[^"]*)"',
            page.get_data(as_text=True),
        )
        .group(1)
        .replace("&amp;", "&")
    )
    form = text(client.get(link))
    assert "sezione «Accoglienza»" in form
    response = client.post(
        link,
        data={
            "title": "Sull'accoglienza",
            "body": "Una domanda",
            "document": str(document.id),
            "section": "sez-accoglienza",
        },
    )
    assert response.status_code == 302
    thread = db.session.scalar(db.select(Thread))
    assert thread.document_id == document.id and thread.section_title == "Accoglienza"
    doc_page = text(client.get(f"/gruppi/{team['group'].slug}/documenti/{document.id}"))
    assert "Sull'accoglienza" in doc_page
    assert "Linee guida" in text(client.get(response.location))


def test_a_document_of_another_group_is_not_linked(client, auth, team, make_group):
    from workspace.documents import service as documents

    other = make_group("Altro", members=[team["anna"]])
    document = documents.create_document(
        other, title="Segreto", description="", body="x", author=team["anna"]
    )
    db.session.commit()
    sign_in(auth, team["anna"])
    slug = team["group"].slug
    page = text(client.get(f"/gruppi/{slug}/discussioni/nuova?documento={document.id}"))
    assert "Segreto" not in page


# -- Attachments --------------------------------------------------------------------------------


def test_a_reply_with_an_attachment_and_a_refused_file(client, auth, team, thread):
    import io

    from tests.test_attachments import minimal_pdf

    sign_in(auth, team["bruno"])
    response = client.post(
        url(thread, "/rispondi"),
        data={"body": "Il verbale", "allegati": [(io.BytesIO(minimal_pdf()), "verbale.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = text(client.get(url(thread)))
    assert "verbale.pdf" in page and "/allegati/" in page
    response = client.post(
        url(thread, "/rispondi"),
        data={"body": "Il programma", "allegati": [(io.BytesIO(b"MZ\x90\x00"), "programma.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    body = text(response)
    assert "non è un tipo di file ammesso" in body and "Il programma" in body
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 2


# -- Scale: no query per row ----------------------------------------------------------------


def _statements(app, client, path):
    from sqlalchemy import event

    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_pages_run_the_same_number_of_queries_however_long(app, client, auth, team, thread):
    sign_in(auth, team["lead"])
    slug = team["group"].slug
    for n in range(3):
        discussions.reply(thread, author=team["bruno"], body=f"risposta {n}")
    client.get(url(thread))  # read once, so that the next requests do the same work
    few = {
        p: _statements(app, client, p)
        for p in (url(thread, "?pagina=1"), f"/gruppi/{slug}/discussioni/", f"/gruppi/{slug}")
    }
    for n in range(30):
        discussions.reply(thread, author=team["anna" if n % 2 else "bruno"], body=f"altra {n}")
        discussions.open_thread(team["group"], author=team["anna"], title=f"Filo {n}", body="x")
    client.get(url(thread))
    for path, count in few.items():
        assert _statements(app, client, path) == count, path


def test_quoting_a_mention_does_not_mention_again(team, thread):
    first = discussions.reply(thread, author=team["bruno"], body="Ciao @laura.referente")
    assert len(notifications_of(team["lead"])) == 1
    discussions.reply(
        thread, author=team["anna"], body="> Ciao @laura.referente\n\nD'accordo.", quoted=first
    )
    assert [n.kind for n in notifications_of(team["lead"])] == ["mention", "reply"]


def test_a_background_poll_does_not_clear_the_bell(client, auth, team, thread):
    from workspace.notifications import service as notifications

    sign_in(auth, team["anna"])
    page = client.get(url(thread))
    assert page.status_code == 200
    discussions.reply(thread, author=team["bruno"], body="Per @anna.operatrice")
    client.get(url(thread, "/nuovi?dopo=1"), headers=htmx())
    assert discussions.unread_counts(team["anna"], [thread.id]) == {}
    assert notifications.unread_count(team["anna"]) >= 1
    client.get(url(thread))
    assert notifications.unread_count(team["anna"]) == 0


# -- Nothing executable reaches the page ------------------------------------------------------

from tests.test_documents import XSS, executable  # noqa: E402


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_titles_and_messages_never_executes(client, auth, team, payload):
    sign_in(auth, team["anna"])
    slug = team["group"].slug
    response = client.post(
        f"/gruppi/{slug}/discussioni/nuova",
        data={"title": f"Titolo {payload}", "body": f"{payload}\n\n@bruno.educatore {payload}"},
    )
    assert response.status_code == 302
    thread = db.session.scalar(db.select(Thread))
    client.post(url(thread, "/rispondi"), data={"body": f"> {payload}\n\n{payload}"})
    for path in (url(thread), f"/gruppi/{slug}/discussioni/", f"/gruppi/{slug}", "/notifiche"):
        html = client.get(path).get_data(as_text=True)
        bodies = re.findall(r'<div class="prose message__body">(.*?)</div>', html, re.DOTALL)
        titles = re.findall(r"<h1>(.*?)</h1>|thread-list__title[^>]*>(.*?)</a>", html, re.DOTALL)
        content = "\n".join(bodies) + "\n".join(a or b for a, b in titles)
        assert not executable(content), (path, executable(content))
    sign_in(auth, team["bruno"])
    html = client.get("/notifiche").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "ti ha menzionato" in main  # the mention is listed, and nothing in it runs
    items = "\n".join(re.findall(r"<ol[^>]*>(.*?)</ol>", main, re.DOTALL))
    assert items and not executable(items), executable(items)


def test_odd_numbers_in_the_address_are_ignored_not_a_500(client, auth, team, thread):
    sign_in(auth, team["anna"])
    slug = team["group"].slug
    for value in ("²", "٣", "99999999999999999999", "-1"):
        assert client.get(f"/gruppi/{slug}/discussioni/nuova?documento={value}").status_code == 200
        assert client.get(url(thread, f"?cita={value}")).status_code == 200
