"""Search through HTTP: Italian word forms, every kind indexed and kept current on every write,
what each role may find (never a count or a snippet of another group), hostile queries,
page and htmx fragment, pagination, the reindex command.

Run on SQLite (FTS5) by default and on PostgreSQL (tsvector, Italian configuration) with
TEST_DATABASE_URL: the same tests hold for both backends.
"""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from tests.support import htmx, plain, text
from workspace.discussions import service as discussions
from workspace.discussions.models import Message
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.groups import service as groups
from workspace.meetings import service as meetings
from workspace.meetings.models import AgendaItem
from workspace.people.models import Role
from workspace.search import text as search_text
from workspace.search.index import rebuild
from workspace.search.models import SearchEntry
from workspace.search.service import PER_PAGE, search

JANUARY = datetime(2030, 1, 14, 17, 0)


@pytest.fixture
def world(make_user, make_group):
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(Role.OPERATOR, name="Anna Operatrice")
    outsider = make_user(Role.OPERATOR, name="Ugo Altrove")
    member_external = make_user(Role.EXTERNAL, name="Marta Affidi")
    guest = make_user(Role.EXTERNAL, name="Elena Ospite")
    coordinator = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    group = make_group("Gruppo AMA", leads=[lead], members=[anna, member_external], is_joint=True)
    other = make_group("Altro gruppo", members=[outsider])
    return {
        "lead": lead,
        "anna": anna,
        "outsider": outsider,
        "member_external": member_external,
        "guest": guest,
        "coordinator": coordinator,
        "group": group,
        "other": other,
    }


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def find(client, q, **params):
    response = client.get("/cerca", query_string={"q": q, **params})
    assert response.status_code == 200, response.status_code
    return response


def count(response) -> int:
    found = re.search(r"(\d+) risultat[oi]", plain(response))
    return int(found.group(1)) if found else 0


def schedule(group, by, *, title="Incontro del gruppo", joint=False, invited=()):
    (meeting,) = meetings.schedule_meetings(
        True,
        group,
        meetings.Schedule(
            title=title,
            starts_local=JANUARY,
            ends_local=JANUARY + timedelta(hours=2),
            place="Sala 3",
            online_url="",
            is_joint=joint,
            invited_ids=tuple(user.id for user in invited),
        ),
        by=by,
    )
    return meeting


def new_document(group, by, body, title="Linee guida"):
    return documents.create_document(group, title=title, description="", body=body, author=by)


def save_document(document, by, body):
    outcome = documents.save(
        document,
        author=by,
        body=body,
        base_number=document.text.head,
        section=None,
        summary="",
    )
    assert outcome.status == "saved"


def hits(user, q, **kwargs):
    return search(user, q, **kwargs)


# -- Italian word forms, both backends ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "written"),
    [
        ("genitore", "I genitori sono arrivati puntuali."),
        ("genitori", "Il genitore è arrivato puntuale."),
        ("incontro", "Gli incontri del mese sono tre."),
        ("incontri", "Il prossimo incontro è martedì."),
        ("affidatario", "Le famiglie affidatarie e gli affidatari."),
        ("affidatari", "Un affidatario ha scritto."),
        ("ambientamento", "Gli ambientamenti dei bambini."),
        ("Bambino", "I BAMBINI giocano."),
    ],
)
def test_italian_words_find_their_forms(client, auth, world, query, written):
    discussions.open_thread(world["group"], author=world["anna"], title="Diario", body=written)
    sign_in(auth, world["anna"])
    response = find(client, query)
    assert count(response) == 1
    assert "<mark>" in response.get_data(as_text=True)


def test_the_stemmer_and_the_match_expression():
    assert search_text.stem("genitore") == search_text.stem("genitori")
    assert search_text.stem("Incontri") == search_text.stem("incontro")
    assert search_text.query_words('"il" (genitore* -NEAR') == ["genitore", "near"]
    assert search_text.fts5_match(["genitor", "near"]) == '"genitor" "near"'
    snippet = search_text.snippet("<b>Genitori</b> & figli", {"genitor"})
    assert str(snippet) == "&lt;b&gt;<mark>Genitori</mark>&lt;/b&gt; &amp; figli"


# -- Every kind indexed and kept current ------------------------------------------------------


def test_documents_follow_their_current_text(world):
    lead = world["lead"]
    document = new_document(world["group"], lead, "Il calendario delle visite.")
    assert hits(lead, "calendario").total == 1
    save_document(document, lead, "Le regole della sala d'attesa.")
    assert hits(lead, "calendario").total == 0
    assert hits(lead, "attesa").total == 1
    documents.restore(document, 1, author=lead)
    assert hits(lead, "calendario").total == 1
    assert hits(lead, "attesa").total == 0
    documents.update_details(document, title="Protocollo accoglienza", description="")
    assert hits(lead, "protocollo").total == 1
    assert hits(lead, "linee").total == 0


def test_messages_are_indexed_when_posted_edited_and_gone_when_withdrawn(world):
    anna = world["anna"]
    thread = discussions.open_thread(
        world["group"], author=anna, title="Orari estivi", body="Proposta di orario ridotto."
    )
    reply = discussions.reply(thread, author=anna, body="Serve un decreto del tribunale?")
    assert hits(anna, "decreto").total == 1
    assert hits(anna, "estivi").total == 1  # the title, in the first message only
    discussions.edit_message(reply, by=anna, body="Serve una relazione dei servizi?")
    assert hits(anna, "decreto").total == 0
    assert hits(anna, "relazione").total == 1
    discussions.withdraw(reply, by=anna)
    assert hits(anna, "relazione").total == 0
    first = db.session.scalar(
        select(Message).where(Message.thread_id == thread.id).order_by(Message.number).limit(1)
    )
    assert hits(anna, "proposta").items[0].url.endswith("#messaggio-1")
    assert first.number == 1


def test_a_renamed_thread_is_found_by_its_new_title(world):
    anna = world["anna"]
    thread = discussions.open_thread(
        world["group"], author=anna, title="Orari", body="Proposta di orario."
    )
    thread.title = "Calendario estivo"
    db.session.commit()
    assert hits(anna, "calendario").total == 1


def test_agenda_items_actions_and_minutes_are_indexed_and_follow_changes(world):
    lead = world["lead"]
    meeting = schedule(world["group"], lead, invited=(lead, world["anna"]))
    item = meetings.add_item(
        meeting, title="Ambientamento dei bambini", owner_id=None, duration=None, by=lead
    )
    other = meetings.add_item(meeting, title="Sede estiva", owner_id=None, duration=None, by=lead)
    assert hits(lead, "ambientamento").total == 1
    result = hits(lead, "sede").items[0]
    assert result.url.endswith(f"#punto-{other.id}")
    meetings.remove_item(meeting, other)
    assert hits(lead, "sede").total == 0

    action = meetings.assign_action(
        meeting,
        title="Preparare il volantino",
        owner_id=lead.id,
        due_on=None,
        item_id=item.id,
        by=lead,
    )
    assert hits(lead, "volantino", kind="action").items[0].url.endswith(f"#azione-{action.id}")
    meetings.close_action(action, note="Stampato in tipografia", by=lead)
    assert hits(lead, "tipografia").total == 1

    minutes = meetings.start_minutes(meeting, by=lead)
    assert hits(lead, "ambientamento", kind="minutes").total == 1  # the item's part
    save_document(minutes, lead, minutes.text and "## Ambientamento\n\nBuona accoglienza.")
    found = hits(lead, "accoglienza")
    assert [r.kind for r in found.items] == ["minutes"]
    assert found.items[0].url.endswith(f"/documenti/{minutes.id}")
    meeting.title = "Incontro di gennaio"
    db.session.commit()
    assert hits(lead, "gennaio", kind="agenda_item").total == 0  # title of the meeting: context
    assert hits(lead, "accoglienza").items[0].context == "Incontro di gennaio"


def test_a_deleted_group_takes_its_entries_along(world):
    new_document(world["other"], world["outsider"], "Il calendario.")
    assert hits(world["coordinator"], "calendario").total == 1
    db.session.delete(db.session.get(type(world["other"]), world["other"].id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SearchEntry)) == 0
    assert hits(world["coordinator"], "calendario").total == 0


def test_an_archived_group_stays_searchable_for_who_sees_it(client, auth, world):
    new_document(world["group"], world["lead"], "Il calendario.")
    groups.set_archived(world["group"], True)
    sign_in(auth, world["anna"])
    response = find(client, "calendario")
    assert count(response) == 1
    assert "archiviato" in plain(response)


# -- Who finds what ---------------------------------------------------------------------------


@pytest.fixture
def content(world):
    """The word "riservato" everywhere in the group, and once in another group."""
    group, lead = world["group"], world["lead"]
    new_document(group, lead, "Documento riservato del gruppo.")
    discussions.open_thread(group, author=lead, title="Nota", body="Messaggio riservato.")
    internal = schedule(group, lead, title="Interno", invited=(lead, world["anna"]))
    meetings.add_item(
        internal, title="Punto riservato interno", owner_id=None, duration=None, by=lead
    )
    joint = schedule(
        group, lead, title="Congiunto", joint=True, invited=(lead, world["anna"], world["guest"])
    )
    meetings.add_item(
        joint, title="Punto riservato congiunto", owner_id=None, duration=None, by=lead
    )
    meetings.assign_action(
        joint, title="Compito riservato", owner_id=lead.id, due_on=None, item_id=None, by=lead
    )
    meetings.start_minutes(joint, by=lead)
    new_document(world["other"], world["outsider"], "Altro riservato.", title="Altrove")
    return {"internal": internal, "joint": joint}


# In the group: document, message, internal item, joint item, action, the minutes' heading.
IN_GROUP = 6


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lead", IN_GROUP),
        ("anna", IN_GROUP),
        ("member_external", IN_GROUP),
        ("coordinator", IN_GROUP + 1),
        ("outsider", 1),  # their own group's document only
        ("guest", 3),  # the joint meeting's item, action and minutes
    ],
)
def test_each_role_finds_only_what_it_may_see(client, auth, world, content, who, expected):
    sign_in(auth, world[who])
    response = find(client, "riservato")
    body = plain(response)
    if expected:
        assert count(response) == expected
    if who == "guest":
        assert "Punto riservato congiunto" in body
        assert "Compito riservato" in body
        assert "Documento riservato" not in body
        assert "Messaggio riservato" not in body
        assert "interno" not in body
        assert "Altrove" not in body
    if who == "outsider":
        assert "Gruppo AMA" not in body
        assert "Altrove" in body


def test_a_guest_invited_to_an_internal_meeting_only_sees_nothing_of_it(world, content):
    meetings_participant = world["guest"]
    assert hits(meetings_participant, "interno").total == 0


def test_an_external_no_longer_invited_loses_the_joint_meeting(world, content):
    from workspace.meetings.models import Participant

    db.session.execute(delete(Participant).where(Participant.user_id == world["guest"].id))
    db.session.commit()
    assert hits(world["guest"], "riservato").total == 0


def test_a_group_filter_outside_ones_groups_is_refused_without_leaking(
    client, auth, world, content
):
    sign_in(auth, world["outsider"])
    response = find(client, "riservato", gruppo=world["group"].slug)
    assert "Scegli uno dei gruppi" in text(response)
    assert count(response) == 0
    assert "Gruppo AMA" not in plain(response)


def test_filters_by_group_and_kind(client, auth, world, content):
    sign_in(auth, world["coordinator"])
    assert count(find(client, "riservato", gruppo=world["other"].slug)) == 1
    assert count(find(client, "riservato", tipo="message")) == 1
    assert count(find(client, "riservato", tipo="agenda_item")) == 2
    response = find(client, "riservato", tipo="nessuno")
    assert "Scegli uno dei tipi" in text(response)


def test_search_needs_sign_in(client):
    response = client.get("/cerca?q=riservato")
    assert response.status_code == 302
    assert "/accedi" in response.headers["Location"]


# -- Hostile and odd queries ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"genitori',
        "*",
        "genit*",
        "-genitori",
        "NEAR",
        "NEAR(genitori incontro)",
        "(",
        "genitori)",
        "genitori AND OR NOT",
        "' OR 1=1 --",
        "terms:genitori",
        "^genitori",
        "genitori\\",
        "@@ :: || &&",
    ],
)
def test_search_syntax_is_only_words(client, auth, world, query):
    discussions.open_thread(
        world["group"], author=world["anna"], title="Diario", body="I genitori e gli incontri."
    )
    sign_in(auth, world["anna"])
    response = find(client, query)
    if search_text.query_words(query) == ["genitori"]:
        assert count(response) == 1


def test_a_nul_character_is_refused_by_the_app_not_by_the_database(client, auth, world):
    sign_in(auth, world["anna"])
    assert client.get("/cerca", query_string={"q": "\x00genitori"}).status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Scrivi una o più parole"),
        ("   ", "Scrivi una o più parole"),
        ("!!! ??? ...", "nessuna parola da cercare"),
        ("il la di", "nessuna parola da cercare"),
        ("x" * 201, "Al massimo 200 caratteri"),
        ("nessuntermine", "Nessun risultato"),
    ],
)
def test_empty_punctuation_stop_words_long_and_missing_queries_are_explained(
    client, auth, world, query, message
):
    sign_in(auth, world["anna"])
    response = find(client, query)
    assert message in text(response)


def test_a_long_query_keeps_what_was_typed_next_to_the_field(client, auth, world):
    sign_in(auth, world["anna"])
    response = find(client, "genitori " * 30)
    body = text(response)
    assert 'aria-invalid="true"' in body
    assert "genitori genitori" in body
    fragment = client.get("/cerca", query_string={"q": "x" * 300}, headers=htmx("search-results"))
    assert fragment.status_code == 200
    assert 'hx-swap-oob="true"' in fragment.get_data(as_text=True)
    assert "Al massimo 200 caratteri" in text(fragment)


def test_user_html_never_reaches_the_page(client, auth, world):
    discussions.open_thread(
        world["group"],
        author=world["anna"],
        title="<img src=x onerror=alert(1)> genitori",
        body="<script>alert('genitori')</script> & <b>genitori</b>",
    )
    sign_in(auth, world["anna"])
    page = find(client, "genitori").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;b&gt;<mark>genitori</mark>&lt;/b&gt;" in page
    echoed = find(client, "<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)" not in echoed
    assert "&lt;script&gt;alert(1)" in echoed


# -- Page, fragment, pagination ---------------------------------------------------------------


def test_full_page_and_htmx_fragment(client, auth, world):
    discussions.open_thread(world["group"], author=world["anna"], title="Diario", body="Genitori.")
    sign_in(auth, world["anna"])
    page = find(client, "genitore")
    html = page.get_data(as_text=True)
    assert "<form" in html and 'hx-get="/cerca"' in html and 'id="search-results"' in html
    assert 'aria-current="page"' in html
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/cerca?q=genitore", headers=htmx("search-results"))
    body = fragment.get_data(as_text=True)
    assert "<form" not in body and "<html" not in body
    assert 'id="search-results"' in body
    assert count(fragment) == 1


def test_pages_of_results(client, auth, world):
    thread = discussions.open_thread(
        world["group"], author=world["anna"], title="Diario", body="Un genitore."
    )
    for n in range(PER_PAGE + 4):
        discussions.reply(thread, author=world["anna"], body=f"Genitori numero {n}.")
    sign_in(auth, world["anna"])
    first = find(client, "genitore")
    assert count(first) == PER_PAGE + 5
    assert len(re.findall(r'class="search-result ', first.get_data(as_text=True))) == PER_PAGE
    assert "Pagina 1 di 2" in plain(first)
    second = find(client, "genitore", pagina="2")
    assert len(re.findall(r'class="search-result ', second.get_data(as_text=True))) == 5
    for odd in ("999", "0", "abc", "9" * 30):
        assert find(client, "genitore", pagina=odd).status_code == 200


# -- Reindex ----------------------------------------------------------------------------------


def test_the_reindex_command_rebuilds_everything(runner, world, content):
    db.session.execute(delete(SearchEntry))
    db.session.commit()
    assert hits(world["lead"], "riservato").total == 0
    result = runner.invoke(args=["search-reindex"])
    assert result.exit_code == 0, result.output
    assert "Indice di ricerca ricostruito" in result.output
    assert hits(world["lead"], "riservato").total == IN_GROUP
    assert hits(world["guest"], "riservato").total == 3
    # Twice gives the same index.
    before = db.session.scalar(select(func.count()).select_from(SearchEntry))
    rebuild(db.session)
    assert db.session.scalar(select(func.count()).select_from(SearchEntry)) == before


def test_an_agenda_item_removed_by_its_meeting_cascade_leaves_no_entry(world):
    lead = world["lead"]
    meeting = schedule(world["group"], lead, invited=(lead,))
    meetings.add_item(meeting, title="Ambientamento", owner_id=None, duration=None, by=lead)
    db.session.delete(meeting)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 0
    assert hits(lead, "ambientamento").total == 0
