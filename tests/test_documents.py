"""Documents through HTTP: create, read, edit without losing a word, history, approve."""

import io
import re
from html.parser import HTMLParser

import pytest

from tests.support import PASSWORD, htmx, text
from workspace.database import sqlite_module
from workspace.documents import service as documents
from workspace.documents.models import Approval, Document
from workspace.extensions import db
from workspace.people.models import Role
from workspace.revisions import service as revisions
from workspace.revisions.models import Draft, PendingSave, Revision

GUIDELINES = """# Premessa

Il servizio Spazio Neutro tutela il diritto di visita.

## Accoglienza

La famiglia viene accolta dagli operatori.

## Incontri

Gli incontri durano un'ora.
"""


@pytest.fixture
def team(make_user, make_group):
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(Role.OPERATOR, name="Anna Operatrice")
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore")
    group = make_group("Revisione linee guida", leads=[lead], members=[anna, bruno])
    return {"lead": lead, "anna": anna, "bruno": bruno, "group": group}


@pytest.fixture
def doc(team):
    document = documents.create_document(
        team["group"],
        title="Linee guida",
        description="La revisione 2026.",
        body=GUIDELINES,
        author=team["lead"],
    )
    db.session.commit()
    return document


def url(document, tail=""):
    return f"/gruppi/{document.group.slug}/documenti/{document.id}{tail}"


def sign_in(auth, user):
    auth.logout()
    response = auth.login(user)
    assert response.status_code == 302


def save_as(client, auth, user, document, body, *, base, section=None, summary=""):
    sign_in(auth, user)
    data = {"body": body, "base": str(base), "summary": summary}
    if section is not None:
        data["section"] = str(section)
    return client.post(url(document, "/modifica"), data=data)


def head_text(document):
    db.session.refresh(document.text)
    return revisions.text_at(document.text, document.text.head)


def editor_token(page) -> str:
    """The token of the editor on ``page`` (sent back with its autosaves and saves)."""
    return re.search(r'name="editor" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def open_editor(client, document, query="") -> str:
    """Open the editor as the signed-in person; the editor's token."""
    page = client.get(url(document, "/modifica" + query))
    assert page.status_code == 200
    return editor_token(page)


# -- Create and read ----------------------------------------------------------------------------


def test_a_member_creates_a_document_and_reads_it_with_its_contents(client, auth, team):
    sign_in(auth, team["anna"])
    page = client.get(f"/gruppi/{team['group'].slug}/documenti/nuovo")
    assert page.status_code == 200 and "Nuovo documento" in text(page)
    response = client.post(
        f"/gruppi/{team['group'].slug}/documenti/nuovo",
        data={"title": "Linee guida", "description": "", "body": GUIDELINES},
    )
    assert response.status_code == 302
    document = db.session.scalar(db.select(Document))
    page = client.get(response.location)
    body = text(page)
    assert "Versione 1 salvata" not in body and "Documento «Linee guida» creato." in body
    assert '<h3 id="sez-accoglienza">' in body  # rendered once, with anchors, under the h1
    assert 'href="#sez-accoglienza"' in body  # the table of contents
    assert "Anna Operatrice" in body
    assert document.text.head == 1
    # The group page lists it.
    assert "Linee guida" in text(client.get(f"/gruppi/{team['group'].slug}"))


def test_reading_does_no_rendering(client, auth, team, doc, monkeypatch):
    import workspace.texts.markdown as markdown

    def forbidden(*args, **kwargs):
        raise AssertionError("a view rendered Markdown")

    monkeypatch.setattr(markdown, "render", forbidden)
    sign_in(auth, team["anna"])
    for tail in ("", "/versioni/1", "/versioni/1/stampa"):
        assert client.get(url(doc, tail)).status_code == 200


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Questo campo è obbligatorio."),
        ("   ", "Questo campo è obbligatorio."),
        ("  linee   GUIDA ", "Nel gruppo c'è già un documento con questo titolo."),
    ],
)
def test_bad_titles_are_explained_next_to_the_field_and_keep_the_text(
    client, auth, team, doc, title, message
):
    sign_in(auth, team["anna"])
    response = client.post(
        f"/gruppi/{team['group'].slug}/documenti/nuovo",
        data={"title": title, "body": "Il mio testo da non perdere"},
    )
    assert response.status_code == 422
    body = text(response)
    assert message in body
    assert "Il mio testo da non perdere" in body
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 1


def test_the_same_title_is_fine_in_another_group(client, auth, team, doc, make_group):
    other = make_group("Ambientamento", members=[team["anna"]])
    sign_in(auth, team["anna"])
    response = client.post(f"/gruppi/{other.slug}/documenti/nuovo", data={"title": "Linee guida"})
    assert response.status_code == 302


def test_a_document_over_the_size_limit_is_refused_whole(client, auth, team, doc):
    sign_in(auth, team["anna"])
    huge = "a" * (documents.MAX_DOCUMENT_CHARS + 1)
    response = client.post(url(doc, "/modifica"), data={"body": huge, "base": "1"})
    assert response.status_code == 422
    assert "Il testo supera il limite" in text(response)
    assert db.session.scalar(db.select(db.func.count(Revision.id))) == 1
    response = client.post(
        f"/gruppi/{team['group'].slug}/documenti/nuovo", data={"title": "Enorme", "body": huge}
    )
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 1


def test_invalid_encoding_does_not_break_the_editor(client, auth, team, doc):
    sign_in(auth, team["anna"])
    response = client.post(
        url(doc, "/modifica"),
        data=b"body=%FF%FEtesto+rotto&base=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (302, 422)
    assert "\x00" not in head_text(doc)


def test_the_create_form_as_an_htmx_fragment(client, auth, team):
    sign_in(auth, team["anna"])
    response = client.post(
        f"/gruppi/{team['group'].slug}/documenti/nuovo", data={"title": ""}, headers=htmx()
    )
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert 'id="new-document-form"' in response.get_data(as_text=True)


def test_outsiders_get_404_and_never_the_content(client, auth, doc, make_user):
    sign_in(auth, make_user(Role.OPERATOR))
    for tail in (
        "",
        "/modifica",
        "/versioni",
        "/versioni/1",
        "/confronta?da=1&a=1",
        "/revisione",
        "/versioni/1/scarica.md",
        "/versioni/1/autori",
    ):
        response = client.get(url(doc, tail))
        assert response.status_code == 404, tail
        assert "Spazio Neutro tutela" not in text(response)
    response = client.post(url(doc, "/modifica"), data={"body": "intruso", "base": "1"})
    assert response.status_code == 404
    assert doc.text.head == 1


def test_unknown_documents_revisions_and_huge_ids_are_404(client, auth, team, doc):
    sign_in(auth, team["anna"])
    slug = team["group"].slug
    assert client.get(f"/gruppi/{slug}/documenti/999").status_code == 404
    assert client.get(url(doc, "/versioni/99")).status_code == 404
    assert client.get(url(doc, "/confronta?da=1&a=99")).status_code == 404
    assert client.get(url(doc, "/confronta?da=0&a=1")).status_code == 404
    assert client.get(url(doc, "/versioni/99/scarica.docx")).status_code == 404
    assert client.get(f"/gruppi/{slug}/documenti/{2**63}").status_code == 404
    assert client.get(url(doc, f"/versioni/{2**63}")).status_code == 404


def test_a_document_of_another_group_is_not_reachable_through_this_one(
    client, auth, team, doc, make_group
):
    other = make_group("Ambientamento", members=[team["anna"]])
    sign_in(auth, team["anna"])
    assert client.get(f"/gruppi/{other.slug}/documenti/{doc.id}").status_code == 404


def test_comparing_revisions_of_two_different_documents_is_404(client, auth, team, doc):
    other = documents.create_document(
        team["group"], title="Altro", description="", body="uno\n", author=team["anna"]
    )
    for n in range(2, 5):
        documents.save(
            other,
            author=team["anna"],
            body=f"versione {n}\n",
            base_number=n - 1,
            section=None,
            summary="",
        )
    sign_in(auth, team["anna"])
    # Revision 4 exists only in the other document.
    assert client.get(url(doc, "/confronta?da=1&a=4")).status_code == 404


# -- Editing without losing a word ---------------------------------------------------------------


def test_saving_makes_a_revision_and_unchanged_text_makes_none(client, auth, team, doc):
    response = save_as(
        client,
        auth,
        team["anna"],
        doc,
        GUIDELINES + "\nNuova riga.\n",
        base=1,
        summary="aggiunta una riga",
    )
    assert response.status_code == 302
    assert "Versione 2 salvata." in text(client.get(response.location))
    revision = revisions.get_revision(doc.text, 2)
    assert revision.summary == "aggiunta una riga"
    assert revision.base_number == 1 and revision.author.name == "Anna Operatrice"
    response = client.post(
        url(doc, "/modifica"), data={"body": GUIDELINES + "\nNuova riga.\n", "base": "2"}
    )
    assert "Nessuna modifica da salvare" in text(client.get(response.location))
    assert db.session.scalar(db.select(db.func.count(Revision.id))) == 2


def test_the_editor_previews_and_keeps_drafts_through_htmx(client, auth, team, doc):
    sign_in(auth, team["anna"])
    page = client.get(url(doc, "/modifica")).get_data(as_text=True)
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert f'hx-post="{url(doc, "/anteprima")}"' in textarea
    assert 'hx-target="#preview"' in textarea
    form = re.search(r'<form[^>]*id="editor-form"[^>]*>', page, re.DOTALL).group(0)
    assert f'hx-post="{url(doc, "/bozza")}"' in form
    assert f'action="{url(doc, "/modifica")}"' in form
    assert 'hx-trigger="input delay:3s"' in form  # so that "Salva" is a normal POST
    preview = client.post(url(doc, "/anteprima"), data={"body": "## Ciao"}, headers=htmx())
    assert '<h3 id="sez-ciao">Ciao</h3>' in preview.get_data(as_text=True)


def test_editing_one_section_changes_only_that_section(client, auth, team, doc):
    sign_in(auth, team["anna"])
    page = client.get(url(doc, "/modifica?sezione=2"))
    body = text(page)
    assert "Modifica la sezione «Accoglienza»" in body
    assert "Gli incontri durano" not in body.split("editor__text")[1].split("</textarea>")[0]
    response = client.post(
        url(doc, "/modifica"),
        data={
            "body": "## Accoglienza\n\nLa famiglia viene accolta con cura.\n\n",
            "base": "1",
            "section": "2",
        },
    )
    assert response.status_code == 302
    assert head_text(doc) == GUIDELINES.replace("accolta dagli operatori", "accolta con cura")


def test_a_missing_section_sends_back_to_the_whole_document(client, auth, team, doc):
    sign_in(auth, team["anna"])
    response = client.get(url(doc, "/modifica?sezione=40"))
    assert response.status_code == 302
    assert "Questa sezione non esiste più" in text(client.get(response.location))
    assert client.get(url(doc, "/modifica?sezione=abc")).status_code == 404


def test_edits_in_different_places_are_merged_and_the_user_is_told(client, auth, team, doc):
    save_as(
        client,
        auth,
        team["anna"],
        doc,
        GUIDELINES.replace("tutela il diritto", "garantisce il diritto"),
        base=1,
    )
    response = save_as(
        client, auth, team["bruno"], doc, GUIDELINES.replace("un'ora", "novanta minuti"), base=1
    )
    assert response.status_code == 302
    message = text(client.get(response.location))
    assert "sono state unite alle tue" in message
    assert "Anna Operatrice" in message and "«Premessa»" in message
    final = head_text(doc)
    assert "garantisce il diritto" in final and "novanta minuti" in final
    third = revisions.get_revision(doc.text, 3)
    assert third.merged and third.base_number == 1


def test_overlapping_edits_open_the_conflict_screen_and_keep_my_text(client, auth, team, doc):
    save_as(client, auth, team["anna"], doc, GUIDELINES.replace("un'ora", "mezz'ora"), base=1)
    response = save_as(
        client,
        auth,
        team["bruno"],
        doc,
        GUIDELINES.replace("un'ora", "due ore"),
        base=1,
        summary="durata",
    )
    assert response.status_code == 409
    body = text(response)
    assert "Modifiche in conflitto" in body
    assert "mezz'ora" in body  # theirs, shown
    editor = body.split('id="body"')[1].split("</textarea>")[0]
    assert "due ore" in editor  # mine, kept in the editor
    assert 'name="base" value="2"' in body  # the next save starts from their revision
    assert doc.text.head == 2  # nothing stored
    draft = db.session.scalar(db.select(Draft))
    assert "due ore" in draft.body and draft.user_id == team["bruno"].id
    # Resolving: saving from revision 2, from the conflict screen's editor, now succeeds.
    response = client.post(
        url(doc, "/modifica"),
        data={
            "body": GUIDELINES.replace("un'ora", "un'ora e mezza"),
            "base": "2",
            "editor": editor_token(response),
        },
    )
    assert response.status_code == 302
    assert "un'ora e mezza" in head_text(doc)
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0


def test_conflict_inside_a_section_edit_keeps_the_section_text(client, auth, team, doc):
    save_as(client, auth, team["anna"], doc, GUIDELINES.replace("un'ora", "mezz'ora"), base=1)
    response = save_as(
        client,
        auth,
        team["bruno"],
        doc,
        "## Incontri\n\nGli incontri durano due ore.\n",
        base=1,
        section=3,
    )
    assert response.status_code == 409
    assert "due ore" in text(response)


def test_a_base_revision_that_does_not_exist_is_refused_without_a_revision(client, auth, team, doc):
    response = save_as(client, auth, team["anna"], doc, "testo", base=7)
    assert response.status_code == 422
    assert "La versione di partenza non esiste." in text(response)
    assert "testo" in text(response)
    response = client.post(url(doc, "/modifica"), data={"body": "testo", "base": "x"})
    assert response.status_code == 422
    assert doc.text.head == 1


# -- Drafts and expired sessions ------------------------------------------------------------------


def test_a_draft_survives_a_closed_tab_and_can_be_resumed_or_discarded(client, auth, team, doc):
    sign_in(auth, team["anna"])
    token = open_editor(client, doc)
    response = client.post(
        url(doc, "/bozza"),
        data={"body": "testo a metà", "base": "1", "summary": "bozza", "editor": token},
        headers=htmx("draft-status"),
    )
    assert response.status_code == 200 and "Bozza salvata alle" in text(response)
    page = text(client.get(url(doc, "/modifica")))
    assert "Hai una bozza non salvata" in page
    page = text(client.get(url(doc, "/modifica?bozza=riprendi")))
    assert "Hai ripreso la bozza non salvata." in page
    assert "testo a metà" in page.split('id="body"')[1].split("</textarea>")[0]
    draft = db.session.scalar(db.select(Draft))
    response = client.post(
        url(doc, "/bozza/elimina"), data={"sezione": "", "bozza": draft.editor_id}
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0


def test_drafts_are_private(client, auth, team, doc):
    sign_in(auth, team["anna"])
    token = open_editor(client, doc)
    response = client.post(
        url(doc, "/bozza"), data={"body": "segreto di Anna", "base": "1", "editor": token}
    )
    assert response.status_code == 200
    sign_in(auth, team["bruno"])
    assert "segreto di Anna" not in text(client.get(url(doc, "/modifica?bozza=riprendi")))


def test_a_save_after_the_session_expired_keeps_the_text_until_sign_in(client, auth, team, doc):
    sign_in(auth, team["anna"])
    token = open_editor(client, doc)
    auth.logout()  # the session is gone, as after expiry; the editor is still open
    response = client.post(
        url(doc, "/modifica"),
        data={
            "body": "Testo scritto prima della scadenza",
            "base": "1",
            "summary": "importante",
            "editor": token,
        },
    )
    assert response.status_code == 303
    assert "/accedi" in response.location
    assert doc.text.head == 1  # not a revision: nobody could be identified
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 1
    login = client.post(response.location, data={"email": team["anna"].email, "password": PASSWORD})
    assert login.status_code == 302 and login.location.endswith(url(doc, "/modifica"))
    resumed = client.get(login.location, follow_redirects=True)
    body = text(resumed)
    assert "quando la sessione è scaduta" in body
    assert "Testo scritto prima della scadenza" in body.split('id="body"')[1]
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 0
    response = client.post(
        url(doc, "/modifica"), data={"body": "Testo scritto prima della scadenza", "base": "1"}
    )
    assert response.status_code == 302
    assert head_text(doc) == "Testo scritto prima della scadenza"


def test_a_save_with_a_stale_csrf_token_keeps_the_text(make_app, make_user, make_group):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        anna = make_user(Role.OPERATOR, name="Anna")
        group = make_group("Gruppo", members=[anna])
        document = documents.create_document(
            group, title="Doc", description="", body="a\n", author=anna
        )
        db.session.commit()
        client = app.test_client()
        page = client.get("/accedi")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(page)).group(1)
        client.post(
            "/accedi", data={"email": anna.email, "password": PASSWORD, "csrf_token": token}
        )
        editor = editor_token(client.get(url(document, "/modifica")))
        response = client.post(
            url(document, "/modifica"),
            data={"body": "b\n", "base": "1", "csrf_token": "scaduto", "editor": editor},
        )
        assert response.status_code == 303
        resumed = text(client.get(response.location, follow_redirects=True))
        assert "b\n" in resumed.split('id="body"')[1].split("</textarea>")[0]
        db.session.refresh(document.text)
        assert document.text.head == 1


def test_expired_pending_texts_are_pruned(app, doc, runner):
    revisions.stash_pending(
        doc.text,
        token="t" * 40,
        editor_id="e" * 16,
        body="x",
        base_number=1,
        section=None,
        summary="",
    )
    from datetime import timedelta

    from workspace.clock import utcnow

    assert revisions.prune_pending(utcnow() + timedelta(days=8)) == 1


# -- Presence -----------------------------------------------------------------------------------


def test_presence_shows_who_is_editing_which_section(client, auth, team, doc):
    sign_in(auth, team["anna"])
    client.get(url(doc, "/modifica?sezione=2"))
    sign_in(auth, team["bruno"])
    body = text(client.get(url(doc)))
    assert "In modifica ora:" in body and "Anna Operatrice" in body and "Accoglienza" in body
    fragment = client.get(url(doc, "/presenza"), headers=htmx())
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Anna Operatrice" in text(fragment)
    # The editor's own polling keeps the section and marks the person as present.
    fragment = client.get(url(doc, "/presenza?editor=1&sezione=3"), headers=htmx())
    assert "editor=1" in fragment.get_data(as_text=True)
    sign_in(auth, team["anna"])
    assert "Bruno Educatore" in text(client.get(url(doc)))


def test_presence_goes_stale_after_a_minute(client, auth, team, doc):
    from datetime import timedelta

    from workspace.revisions.models import Presence

    sign_in(auth, team["anna"])
    client.get(url(doc, "/modifica"))
    presence = db.session.scalar(db.select(Presence))
    presence.seen_at -= timedelta(seconds=90)
    db.session.commit()
    sign_in(auth, team["bruno"])
    assert "Anna Operatrice" not in text(client.get(url(doc, "/presenza")))


# -- History, compare, attribution -----------------------------------------------------------------


def test_history_lists_revisions_with_author_size_and_filters(client, auth, team, doc):
    save_as(client, auth, team["anna"], doc, GUIDELINES + "Altro.\n", base=1, summary="uno")
    save_as(client, auth, team["bruno"], doc, GUIDELINES + "Altro ancora.\n", base=2, summary="due")
    body = text(client.get(url(doc, "/versioni")))
    assert "uno" in body and "due" in body and "Laura Referente" in body
    filtered = text(client.get(url(doc, f"/versioni?autore={team['bruno'].id}")))
    assert "Bruno Educatore" in filtered and 'id="revision-2"' not in filtered
    assert 'id="revision-3"' in filtered
    fragment = client.get(url(doc, f"/versioni?autore={team['anna'].id}"), headers=htmx())
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="revision-2"' in fragment.get_data(as_text=True)
    assert "Nessuna versione" in text(
        client.get(url(doc, "/versioni?dal=2000-01-01&al=2000-01-02"))
    )
    assert "non è valida" in text(client.get(url(doc, "/versioni?dal=ieri")))


def test_history_is_paginated(client, auth, team, doc):
    for n in range(2, 56):
        documents.save(
            doc,
            author=team["anna"],
            body=f"testo {n}\n",
            base_number=n - 1,
            section=None,
            summary=f"modifica {n}",
        )
    sign_in(auth, team["anna"])
    first = text(client.get(url(doc, "/versioni")))
    assert "Pagina 1 di 2" in first and 'id="revision-55"' in first
    second = text(client.get(url(doc, "/versioni?page=2")))
    assert 'id="revision-1"' in second and 'id="revision-55"' not in second


def test_compare_inline_and_side_by_side_with_word_highlighting(client, auth, team, doc):
    save_as(client, auth, team["anna"], doc, GUIDELINES.replace("un'ora", "due ore"), base=1)
    inline = client.get(url(doc, "/confronta?da=1&a=2"))
    body = inline.get_data(as_text=True)
    assert inline.status_code == 200
    assert "<del>un&#39;ora</del>" in body or "<del>un'ora</del>" in text(inline)
    assert "<ins>due</ins>" in body or "<ins>due ore</ins>" in body
    assert "Incontri" in text(inline).split("Sezioni cambiate:")[1]
    assert 'id="change-1"' in body
    side = client.get(url(doc, "/confronta?da=1&a=2&vista=affiancata"))
    assert "Affiancata" in text(side) and side.get_data(as_text=True).count("diff__cell--") >= 2
    fragment = client.get(
        url(doc, "/confronta?da=1&a=2&vista=affiancata"), headers=htmx(f"document-{doc.id}-compare")
    )
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Link permanente" in text(inline)
    # Defaults: the newest change.
    assert "versione 1 e la versione 2" in text(client.get(url(doc, "/confronta")))


def test_compare_has_previous_and_next_change_links(client, auth, team, doc):
    many = "\n\n".join(f"Paragrafo {n}." for n in range(40)) + "\n"
    documents.save(doc, author=team["anna"], body=many, base_number=1, section=None, summary="")
    changed = many.replace("Paragrafo 3.", "Paragrafo tre.").replace("Paragrafo 30.", "Trenta.")
    documents.save(doc, author=team["anna"], body=changed, base_number=2, section=None, summary="")
    sign_in(auth, team["anna"])
    body = client.get(url(doc, "/confronta?da=2&a=3")).get_data(as_text=True)
    assert 'href="#change-2"' in body and 'href="#change-1"' in body


def test_compare_survives_a_megabyte_paste(client, auth, team, doc):
    import random

    rng = random.Random(4)
    paste = "\n".join(
        " ".join(rng.choice(["casa", "bimbo", "incontro", "visita"]) for _ in range(12))
        for _ in range(18_000)
    )
    assert len(paste) > 1_000_000
    # Longer than a document may be now: as in a document saved before the limit was lowered.
    assert len(paste) > documents.MAX_DOCUMENT_CHARS
    revisions.save(doc.text, author=team["anna"], text=paste, base_number=1)
    reordered = "\n".join(reversed(paste.split("\n")))
    revisions.save(doc.text, author=team["anna"], text=reordered, base_number=2)
    sign_in(auth, team["anna"])
    assert client.get(url(doc, "/confronta?da=1&a=2")).status_code == 200
    assert client.get(url(doc, "/confronta?da=2&a=3")).status_code == 200


def test_attribution_names_who_last_changed_each_paragraph(client, auth, team, doc):
    save_as(client, auth, team["anna"], doc, GUIDELINES.replace("un'ora", "due ore"), base=1)
    body = text(client.get(url(doc, "/versioni/2/autori")))
    rows = body.split("<tbody>")[1].split("</tbody>")[0].split("<tr")
    incontri = next(row for row in rows if "due ore" in row)
    assert "Anna Operatrice" in incontri and "versione 2" in incontri
    assert "confronta?da=1&amp;a=2" in incontri or "confronta?da=1&a=2" in incontri
    premessa = next(row for row in rows if "tutela il diritto" in row)
    assert "Laura Referente" in premessa and "versione 1" in premessa


# -- Restore, approve, review --------------------------------------------------------------------


def test_restore_makes_a_new_revision_and_keeps_the_history(client, auth, team, doc):
    save_as(client, auth, team["anna"], doc, "tutto cancellato\n", base=1)
    response = client.post(url(doc, "/versioni/1/ripristina"))
    assert response.status_code == 303
    assert head_text(doc) == GUIDELINES
    third = revisions.get_revision(doc.text, 3)
    assert third.restored_from == 1 and "Ripristinata la versione 1" in third.summary
    assert revisions.text_at(doc.text, 2) == "tutto cancellato\n"
    assert "ripristinata dalla 1" in text(client.get(url(doc, "/versioni")))


def test_only_leads_and_coordinators_approve(client, auth, team, doc, make_user):
    sign_in(auth, team["anna"])
    assert "Approva questa versione" not in text(client.get(url(doc, "/versioni/1")))
    assert client.post(url(doc, "/versioni/1/approva"), data={"note": "x"}).status_code == 403
    sign_in(auth, team["lead"])
    assert "Approva questa versione" in text(client.get(url(doc, "/versioni/1")))
    response = client.post(
        url(doc, "/versioni/1/approva"), data={"note": "Approvata dal tavolo del 12 marzo"}
    )
    assert response.status_code == 303
    approval = db.session.scalar(db.select(Approval))
    assert approval.revision_number == 1 and approval.approved_by_id == team["lead"].id
    sign_in(auth, make_user(Role.COORDINATOR))
    assert client.post(url(doc, "/versioni/1/approva"), data={"note": ""}).status_code == 303


def test_readers_see_the_approved_version_with_a_banner(client, auth, team, doc):
    documents.approve(doc, 1, by=team["lead"], note="Approvata dal tavolo del 12 marzo")
    save_as(client, auth, team["anna"], doc, GUIDELINES.replace("un'ora", "due ore"), base=1)
    save_as(client, auth, team["anna"], doc, GUIDELINES.replace("un'ora", "tre ore"), base=2)
    body = text(client.get(url(doc)))
    assert "Stai leggendo la versione approvata" in body
    assert "2 modifiche dalla versione approvata" in body
    assert "un'ora" in body and "tre ore" not in body
    assert "confronta?da=1&amp;a=3" in client.get(url(doc)).get_data(as_text=True)
    assert "Approvata dal tavolo del 12 marzo" in body  # where the approval was recorded
    current = text(client.get(url(doc, "?versione=corrente")))
    assert "tre ore" in current and "non ancora approvata" in current


def test_the_review_page_groups_changes_by_section_and_author(client, auth, team, doc):
    documents.approve(doc, 1, by=team["lead"], note="")
    save_as(
        client,
        auth,
        team["anna"],
        doc,
        GUIDELINES.replace("un'ora", "due ore"),
        base=1,
        summary="durata",
    )
    save_as(
        client,
        auth,
        team["bruno"],
        doc,
        GUIDELINES.replace("un'ora", "due ore").replace("dagli operatori", "da noi"),
        base=2,
    )
    body = text(client.get(url(doc, "/revisione")))
    accoglienza = body.split("<h3")[1]
    incontri = body.split("<h3")[2]
    assert "Accoglienza" in accoglienza and "Bruno Educatore" in accoglienza
    assert "Anna Operatrice" not in accoglienza.split("</section>")[0]
    assert "Incontri" in incontri and "Anna Operatrice" in incontri and "durata" in incontri


def test_the_review_page_without_any_approval(client, auth, team, doc):
    sign_in(auth, team["anna"])
    assert "Nessuna versione è ancora stata approvata" in text(client.get(url(doc, "/revisione")))


# -- Downloads ----------------------------------------------------------------------------------


def test_download_markdown(client, auth, team, doc):
    sign_in(auth, team["anna"])
    response = client.get(url(doc, "/versioni/1/scarica.md"))
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert 'filename="linee-guida-v1.md"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == GUIDELINES


def test_download_docx_opens_with_headings_and_text(client, auth, team, doc):
    from docx import Document as Docx

    sign_in(auth, team["anna"])
    response = client.get(url(doc, "/versioni/1/scarica.docx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    word = Docx(io.BytesIO(response.data))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Premessa", "Accoglienza", "Incontri"]
    assert any("tutela il diritto" in p.text for p in word.paragraphs)


def test_print_view(client, auth, team, doc):
    sign_in(auth, team["anna"])
    response = client.get(url(doc, "/versioni/1/stampa"))
    body = text(response)
    assert response.status_code == 200 and "data-print" in body
    assert "site-header" not in body and "Spazio Neutro tutela" in body


# -- Nothing executable reaches the page --------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">clic</a>',
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[clic](vbscript:msgbox(1))",
    '<div hx-get="/esci" hx-trigger="load">x</div>',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '"><script>alert(1)</script>',
    "<<script>script>alert(1)<</script>/script>",
    "![x](javascript:alert(1))",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<details open ontoggle=alert(1)>",
    "[a](&#106;avascript:alert(1))",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "`<script>alert(1)</script>`",
    "| a |\n| - |\n| <img src=x onerror=alert(1)> |",
]

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "svg",
    "math",
    "form",
    "img",
    "style",
    "object",
    "embed",
    "details",
    "button",
    "input",
    "base",
    "meta",
    "link",
}


class _Executable(HTMLParser):
    """Collects what a browser could run: dangerous elements, handlers, styles, bad links."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.found.append(tag)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style" or name.startswith(("hx-", "data-hx")):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "formaction", "xlink:href") and not (
                value.startswith(("http://", "https://", "mailto:", "#", "/"))
            ):
                self.found.append(f"{tag}[{name}={value}]")


def executable(html: str) -> list[str]:
    parser = _Executable()
    parser.feed(html)
    return parser.found


def _content_of(html: str) -> str:
    """The part of the page that comes from the document (around the article)."""
    found = re.findall(r'<article class="prose">(.*?)</article>', html, re.DOTALL)
    found += re.findall(r'<div class="diff">(.*?)</div>\s*</div>', html, re.DOTALL)
    found += re.findall(r'<td class="blame__text"[^>]*>(.*?)</td>', html, re.DOTALL)
    return "\n".join(found)


@pytest.mark.parametrize("payload", XSS)
def test_nothing_executable_reaches_the_page(client, auth, team, doc, payload):
    body = f"# Titolo {payload}\n\n{payload}\n\nTesto normale.\n"
    response = save_as(client, auth, team["anna"], doc, body, base=1)
    assert response.status_code == 302
    pages = [
        client.get(url(doc, "?versione=corrente")),
        client.get(url(doc, "/versioni/2")),
        client.get(url(doc, "/versioni/2/stampa")),
        client.get(url(doc, "/versioni/2/autori")),
        client.get(url(doc, "/confronta?da=1&a=2")),
        client.get(url(doc, "/confronta?da=1&a=2&vista=affiancata")),
    ]
    for page in pages:
        assert page.status_code == 200
        content = _content_of(page.get_data(as_text=True))
        assert content, page.request.path
        assert not executable(content), (page.request.path, executable(content))
    preview = client.post(url(doc, "/anteprima"), data={"body": body}, headers=htmx("preview"))
    assert not executable(preview.get_data(as_text=True))
    # The text itself is kept exactly as typed.
    assert head_text(doc) == body
    # Links that survive carry rel="noopener nofollow".
    html = revisions.content_at(doc.text, 2).html
    for anchor in re.findall(r"<a [^>]*>", html):
        assert 'rel="noopener nofollow"' in anchor


def test_an_expired_session_during_autosave_says_so_without_leaving_the_page(client, doc):
    response = client.post(
        url(doc, "/bozza"),
        data={"body": "testo", "base": "1"},
        headers=htmx(
            "draft-status", **{"HX-Current-URL": "http://tavolo.test" + url(doc, "/modifica")}
        ),
    )
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#alerts"
    body = text(response)
    assert "La sessione è scaduta" in body and "<html" not in body
    assert "/modifica" in re.search(r'href="([^"]+)"', response.get_data(as_text=True)).group(1)
    # A page still goes to the sign-in page.
    assert "/accedi" in client.get(url(doc, "/modifica")).location


def test_external_participants_are_marked_among_authors_and_editors(
    client, auth, team, doc, make_user
):
    from workspace.groups.models import GroupRole, Membership

    elena = make_user(Role.EXTERNAL, name="Elena Affidi")
    db.session.add(Membership(group=team["group"], user=elena, role=GroupRole.MEMBER))
    db.session.commit()
    save_as(client, auth, elena, doc, GUIDELINES + "Nota.\n", base=1)
    client.get(url(doc, "/modifica"))
    sign_in(auth, team["anna"])
    history = text(client.get(url(doc, "/versioni")))
    assert "Elena Affidi (esterno)</option>" in history
    # In the list of versions (the charts above it have tables of their own).
    versions = history.split(f'id="document-{doc.id}-history"')[1]
    assert 'badge--external">esterno</span>' in versions.split("<tbody>")[1]
    presence = text(client.get(url(doc, "/presenza")))
    assert "Elena Affidi" in presence and "esterno" in presence


# -- Big documents ---------------------------------------------------------------------------------


def guidelines_of(size: int) -> str:
    """A document of exactly ``size`` characters that reads like the guidelines: sections of
    paragraphs, lists and tables."""
    import random

    rng = random.Random(size)
    words = [
        "il", "bambino", "incontra", "il", "genitore", "nello", "spazio", "neutro", "alla",
        "presenza", "dell'operatore", "che", "osserva", "la", "relazione", "e", "ne", "scrive",
        "una", "breve", "nota", "per", "il", "servizio", "inviante",
    ]  # fmt: skip

    def sentence(count: int) -> str:
        return " ".join(rng.choice(words) for _ in range(count)).capitalize() + "."

    blocks = []
    while sum(len(block) + 2 for block in blocks) < size:
        roll = rng.random()
        if roll < 0.08:
            blocks.append(f"## Sezione {len(blocks)}")
        elif roll < 0.25:
            blocks.append("\n".join(f"- {sentence(rng.randint(4, 14))}" for _ in range(5)))
        elif roll < 0.35:
            rows = [f"| {sentence(3)} | {sentence(5)} | {sentence(2)} |" for _ in range(6)]
            blocks.append("| Chi | Che cosa | Quando |\n|---|---|---|\n" + "\n".join(rows))
        else:
            blocks.append(" ".join(sentence(rng.randint(8, 20)) for _ in range(4)))
    text = "\n\n".join(blocks)[: size - 1] + "\n"
    assert len(text) == size
    return text


def test_a_document_at_the_size_limit_is_created_and_saved(client, auth, team):
    # MAX_DOCUMENT_CHARS (500,000) is a size that saves within a couple of seconds on the
    # development machine: about 0.3 s for a text like this one, 4 s for the worst markup
    # (see its comment). No timing here: the test is that it works, whole.
    sign_in(auth, team["anna"])
    body = guidelines_of(documents.MAX_DOCUMENT_CHARS)
    response = client.post(
        f"/gruppi/{team['group'].slug}/documenti/nuovo",
        data={"title": "Linee guida complete", "body": body},
    )
    assert response.status_code == 302
    document = db.session.scalar(db.select(Document))
    assert head_text(document) == body
    edited = body.replace("Sezione", "Capitol", 1)
    assert len(edited) == documents.MAX_DOCUMENT_CHARS
    token = open_editor(client, document)
    response = client.post(
        url(document, "/modifica"), data={"body": edited, "base": "1", "editor": token}
    )
    assert response.status_code == 302
    assert head_text(document) == edited
    assert "<table>" in revisions.content_at(document.text, 2).html
    response = client.post(
        url(document, "/modifica"), data={"body": edited + "x", "base": "2", "editor": token}
    )
    assert response.status_code == 422 and "Il testo supera il limite di 500.000" in text(response)


def test_the_preview_of_a_very_long_text_asks_to_save_or_edit_a_section(
    client, auth, team, doc, monkeypatch
):
    sign_in(auth, team["anna"])

    def too_slow(*args, **kwargs):
        raise AssertionError("the preview rendered a text over its limit")

    long_text = guidelines_of(documents.MAX_PREVIEW_CHARS + 1)
    monkeypatch.setattr(documents, "render", too_slow)
    response = client.post(url(doc, "/anteprima"), data={"body": long_text}, headers=htmx())
    assert response.status_code == 200
    assert "troppo lungo per l'anteprima" in text(response)
    assert "200.000" in text(response) and "una sezione alla volta" in text(response)
    monkeypatch.undo()
    # One section of it, as the section editor sends it, is previewed.
    section = long_text[: long_text.index("\n## ", 100)]
    response = client.post(url(doc, "/anteprima"), data={"body": section}, headers=htmx())
    assert "troppo lungo" not in text(response) and "<p>" in text(response)


# -- Saving without blocking others ----------------------------------------------------------------


def _write_lock_is_free(text_id: int) -> bool:
    """Whether another connection could write to the text right now, without waiting."""
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql
    from sqlalchemy.exc import OperationalError

    url_ = db.engine.url
    if url_.get_backend_name() == "sqlite":
        # The app's SQLite library: two copies in one process do not see each other's locks.
        sqlite = sqlite_module()
        connection = sqlite.connect(url_.database, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return True
        except sqlite.OperationalError:
            return False
        finally:
            connection.close()
    engine = create_engine(url_)
    try:
        with engine.connect() as connection:
            connection.execute(
                sql("SELECT id FROM versioned_texts WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": text_id},
            )
            connection.rollback()
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def test_a_save_renders_before_it_takes_the_write_lock(app, team, doc, monkeypatch):
    # SQLite has one write lock for the whole database: a save that held it while rendering a
    # big text made every other save, autosave and presence wait (or fail) meanwhile.
    import workspace.revisions.service as revision_service

    render, free = revision_service.render, []

    def watching(text, **options):
        free.append(_write_lock_is_free(doc.text_id))
        return render(text, **options)

    monkeypatch.setattr(revision_service, "render", watching)
    outcome = documents.save(
        doc,
        author=team["anna"],
        body=GUIDELINES.replace("un'ora", "due ore"),
        base_number=1,
        section=None,
        summary="",
    )
    assert outcome.status == "saved"
    assert free == [True]


def test_a_save_overtaken_while_it_rendered_is_done_again_on_the_new_revision(
    app, team, doc, monkeypatch
):
    prepare, overtaken = revisions._new_revision_row, []

    def overtaking(*args):
        row = prepare(*args)
        if not overtaken:
            overtaken.append(True)
            # Bruno's save lands while Anna's is being rendered.
            revisions.save(
                doc.text,
                author=team["bruno"],
                text=GUIDELINES.replace("un'ora", "novanta minuti"),
                base_number=1,
            )
        return row

    monkeypatch.setattr(revisions, "_new_revision_row", overtaking)
    outcome = documents.save(
        doc,
        author=team["anna"],
        body=GUIDELINES.replace("tutela il diritto", "garantisce il diritto"),
        base_number=1,
        section=None,
        summary="",
    )
    assert outcome.status == "saved" and outcome.revision.number == 3 and outcome.merged
    final = head_text(doc)
    assert "novanta minuti" in final and "garantisce il diritto" in final
    assert revisions.content_at(doc.text, 3).html.count("garantisce") == 1


class _WriteLock:
    """Another connection holding the write lock on drafts and presence (SQLite: the whole
    database), as a long save elsewhere would."""

    def __init__(self, url_):
        self.url = url_

    def __enter__(self):
        from sqlalchemy import create_engine
        from sqlalchemy import text as sql

        if self.url.get_backend_name() == "sqlite":
            self.connection = sqlite_module().connect(self.url.database, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(self.url)
            self.connection = self.engine.connect()
            self.connection.execute(sql("LOCK TABLE drafts, presences IN EXCLUSIVE MODE"))
        return self

    def __exit__(self, *exc):
        if self.url.get_backend_name() == "sqlite":
            self.connection.execute("ROLLBACK")
            self.connection.close()
        else:
            self.connection.rollback()
            self.connection.close()
            self.engine.dispose()


def test_a_busy_database_makes_the_autosave_say_so_and_try_again(make_app, team, doc):
    from tests.conftest import AuthActions

    busy = make_app(
        SQLITE_BUSY_TIMEOUT_MS=100,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=100"}}
        if db.engine.url.get_backend_name() == "postgresql"
        else {},
    )
    client = busy.test_client()
    AuthActions(client).login(team["anna"])
    token = open_editor(client, doc)
    with _WriteLock(db.engine.url):
        response = client.post(
            url(doc, "/bozza"),
            data={"body": "testo a metà", "base": "1", "editor": token},
            headers=htmx("draft-status"),
        )
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        body = text(response)
        assert "La bozza non è stata salvata, riprovo" in body
        assert 'hx-trigger="load delay:5s"' in body and 'hx-include="#editor-form"' in body
        # Presence is skipped, not an error: the editor opens and the poll answers.
        assert client.get(url(doc, "/modifica")).status_code == 200
        assert client.get(url(doc, "/presenza?editor=1"), headers=htmx()).status_code == 200
    response = client.post(
        url(doc, "/bozza"),
        data={"body": "testo a metà", "base": "1", "editor": token},
        headers=htmx("draft-status"),
    )
    assert response.status_code == 200 and "Bozza salvata alle" in text(response)


# -- Drafts, one per editor ------------------------------------------------------------------------


def autosave(client, document, token, body, *, base=1, section=None):
    data = {"body": body, "base": str(base), "editor": token}
    if section is not None:
        data["section"] = str(section)
    response = client.post(url(document, "/bozza"), data=data, headers=htmx("draft-status"))
    assert response.status_code == 200, text(response)
    return response


def drafts_of(user):
    return list(
        db.session.scalars(
            db.select(Draft).where(Draft.user_id == user.id).order_by(Draft.updated_at)
        )
    )


def test_a_new_editor_never_replaces_an_older_draft(client, auth, team, doc):
    sign_in(auth, team["anna"])
    first = open_editor(client, doc, "?sezione=2")
    autosave(client, doc, first, "## Accoglienza\n\nlungo lavoro non salvato\n", section=2)
    # The tab is closed. Later Anna opens another section: the draft is offered...
    page = client.get(url(doc, "/modifica?sezione=3"))
    assert "Hai una bozza non salvata" in text(page) and "sezione «Accoglienza»" in text(page)
    # ...and she types there instead: the autosave keeps both.
    autosave(client, doc, editor_token(page), "## Incontri\n\nmezz'ora\n", section=3)
    page = text(client.get(url(doc, "/modifica")))
    assert "Hai 2 bozze non salvate" in page
    banner = page.split('role="note"')[1].split("</ul>")[0]
    assert banner.index("«Incontri»") < banner.index("«Accoglienza»")  # newest first
    assert banner.count("Riprendi la bozza") == 2 and banner.count("Elimina la bozza") == 2
    for draft, kept in zip(drafts_of(team["anna"]), ("lungo lavoro", "mezz'ora"), strict=True):
        resumed = text(client.get(url(doc, f"/modifica?bozza={draft.editor_id}")))
        assert kept in resumed.split('id="body"')[1].split("</textarea>")[0]


def test_saving_in_one_editor_keeps_the_drafts_of_the_others(client, auth, team, doc):
    sign_in(auth, team["anna"])
    first = open_editor(client, doc, "?sezione=2")
    autosave(client, doc, first, "## Accoglienza\n\nlungo lavoro non salvato\n", section=2)
    second = open_editor(client, doc, "?sezione=3")
    response = client.post(
        url(doc, "/modifica"),
        data={"body": "## Incontri\n\nDue ore.\n", "base": "1", "section": "3", "editor": second},
    )
    assert response.status_code == 302 and "Due ore." in head_text(doc)
    (left,) = drafts_of(team["anna"])
    assert "lungo lavoro non salvato" in left.body


def test_two_tabs_keep_two_drafts(client, auth, team, doc):
    sign_in(auth, team["anna"])
    one, two = open_editor(client, doc), open_editor(client, doc)
    autosave(client, doc, one, "scheda uno")
    autosave(client, doc, two, "scheda due")
    autosave(client, doc, one, "scheda uno, più avanti")
    assert sorted(draft.body for draft in drafts_of(team["anna"])) == [
        "scheda due",
        "scheda uno, più avanti",
    ]


def test_a_resumed_draft_continues_its_own_editor(client, auth, team, doc):
    sign_in(auth, team["anna"])
    autosave(client, doc, open_editor(client, doc), "testo ripreso\n")
    other = open_editor(client, doc, "?sezione=3")
    autosave(client, doc, other, "## Incontri\n\naltro\n", section=3)
    older = drafts_of(team["anna"])[0].editor_id
    page = client.get(url(doc, f"/modifica?bozza={older}"))
    token = editor_token(page)
    assert documents.editor_of(doc.id, token) == older
    banner = text(page).split('role="note"')[1].split("</ul>")[0]
    assert "Hai una bozza non salvata" in banner and "«Incontri»" in banner  # only the other
    autosave(client, doc, token, "testo ripreso e finito\n")
    assert len(drafts_of(team["anna"])) == 2
    response = client.post(
        url(doc, "/modifica"),
        data={"body": "testo ripreso e finito\n", "base": "1", "editor": token},
    )
    assert response.status_code == 302
    (left,) = drafts_of(team["anna"])
    assert left.editor_id != older


def test_a_text_kept_after_the_session_expired_is_offered_next_to_the_drafts(
    client, auth, team, doc
):
    sign_in(auth, team["anna"])
    autosave(client, doc, open_editor(client, doc), "bozza preziosa\n")
    token = open_editor(client, doc, "?sezione=3")
    auth.logout()
    response = client.post(
        url(doc, "/modifica"),
        data={"body": "## Incontri\n\nscaduta\n", "base": "1", "section": "3", "editor": token},
    )
    assert response.status_code == 303
    auth.login(team["anna"])
    page = text(client.get(url(doc, "/modifica"), follow_redirects=True))
    assert "quando la sessione è scaduta" in page
    assert "scaduta" in page.split('id="body"')[1].split("</textarea>")[0]
    assert "Hai una bozza non salvata" in page  # the older draft, offered
    assert sorted(draft.body for draft in drafts_of(team["anna"])) == [
        "## Incontri\n\nscaduta\n",
        "bozza preziosa\n",
    ]


def test_drafts_untouched_for_a_month_are_pruned(app, team, doc, runner):
    from datetime import timedelta

    from workspace.clock import utcnow

    revisions.keep_draft(
        doc.text, team["anna"], editor_id="vecchio-editor", body="x", base_number=1, section=None
    )
    revisions.keep_draft(
        doc.text, team["anna"], editor_id="nuovo-editor-1", body="y", base_number=1, section=None
    )
    old = revisions.get_draft(doc.text, team["anna"], "vecchio-editor")
    old.updated_at = utcnow() - timedelta(days=31)
    db.session.commit()
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0 and "Bozze non toccate da 30 giorni eliminate: 1" in result.output
    assert [draft.body for draft in drafts_of(team["anna"])] == ["y"]


# -- Only the editor page can keep text for later --------------------------------------------------


@pytest.fixture
def csrf_world(make_app, make_user, make_group):
    """An app that checks CSRF tokens, with Anna, her group and a document."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        anna = make_user(Role.OPERATOR, name="Anna")
        group = make_group("Gruppo", members=[anna])
        document = documents.create_document(
            group, title="Doc", description="", body=GUIDELINES, author=anna
        )
        yield app, anna, document


def _sign_in_with_csrf(client, user):
    page = client.get("/accedi")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(page)).group(1)
    client.post("/accedi", data={"email": user.email, "password": PASSWORD, "csrf_token": token})


def test_text_from_anywhere_but_the_editor_page_is_not_kept(csrf_world, monkeypatch):
    from itsdangerous import TimestampSigner

    app, anna, document = csrf_world
    attacker = app.test_client()  # no session: the victim's Lax cookie is not sent cross-site
    forged = {
        "none": None,
        "garbage": "not-a-token",
        "another document": documents.editor_token(
            Document(id=document.id + 1), revisions.new_editor_id()
        ),
    }
    with app.test_request_context():
        app.secret_key, real = "another-secret", app.secret_key
        forged["another key"] = documents.editor_token(document, revisions.new_editor_id())
        app.secret_key = real
        now = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now(self) - 8 * 86400)
        forged["eight days old"] = documents.editor_token(document, revisions.new_editor_id())
        monkeypatch.undo()
    for what, token in forged.items():
        data = {"body": "TESTO DELL'ATTACCANTE", "base": "1"}
        if token:
            data["editor"] = token
        response = attacker.post(url(document, "/modifica"), data=data)
        assert response.status_code == 400, what
        assert "Sessione scaduta" in text(response)
        assert attacker.get_cookie("tavolo_testo_in_attesa") is None, what
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 0


def test_text_posted_from_another_site_is_refused_even_with_a_token(csrf_world):
    app, anna, document = csrf_world
    client = app.test_client()
    _sign_in_with_csrf(client, anna)
    token = editor_token(client.get(url(document, "/modifica")))
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"], domain="tavolo.test")
    data = {"body": "testo", "base": "1", "editor": token}
    for origin in ("https://evil.example", "null", "http://tavolo.test.evil.example"):
        response = client.post(url(document, "/modifica"), data=data, headers={"Origin": origin})
        assert response.status_code == 400, origin
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 0
    # The editor's own page (same origin) is kept as before.
    response = client.post(
        url(document, "/modifica"), data=data, headers={"Origin": "http://tavolo.test"}
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 1


def test_a_cross_site_post_never_replaces_the_victims_draft(csrf_world, make_user):
    # Even with a real token (someone in the group took one from their own editor), what a
    # page elsewhere makes the victim's browser send becomes a draft of its own, offered
    # next to hers, never in place of it.
    app, anna, document = csrf_world
    victim = app.test_client()
    _sign_in_with_csrf(victim, anna)
    page = victim.get(url(document, "/modifica?sezione=2"))
    csrf_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(page)).group(1)
    response = victim.post(
        url(document, "/bozza"),
        data={
            "body": "## Accoglienza\n\nBOZZA PREZIOSA DI ANNA\n",
            "base": "1",
            "section": "2",
            "editor": editor_token(page),
            "csrf_token": csrf_token,
        },
    )
    assert response.status_code == 200
    other_token = documents.editor_token(document, revisions.new_editor_id())
    session = victim.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="tavolo.test")
    victim.delete_cookie(app.config["SESSION_COOKIE_NAME"], domain="tavolo.test")
    response = victim.post(
        url(document, "/modifica"),
        data={"body": "TESTO DELL'ATTACCANTE\n", "base": "1", "editor": other_token},
    )
    assert response.status_code == 303
    victim.set_cookie(app.config["SESSION_COOKIE_NAME"], session.value, domain="tavolo.test")
    page = text(victim.get(url(document, "/modifica"), follow_redirects=True))
    assert "Hai una bozza non salvata" in page and "«Accoglienza»" in page
    bodies = sorted(db.session.scalars(db.select(Draft.body)))
    assert bodies == ["## Accoglienza\n\nBOZZA PREZIOSA DI ANNA\n", "TESTO DELL'ATTACCANTE\n"]


def test_one_kept_text_per_editor_page_however_many_browsers_send_it(csrf_world):
    app, anna, document = csrf_world
    with app.test_request_context():
        token = documents.editor_token(document, revisions.new_editor_id())
    for n in range(5):
        response = app.test_client().post(
            url(document, "/modifica"),
            data={"body": f"testo {n}" * 1000, "base": "1", "editor": token},
        )
        assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 1


def test_requests_over_the_size_limit_get_a_friendly_413(app, make_app, doc):
    from workspace.attachments.service import MAX_PER_MESSAGE
    from workspace.config import ATTACHMENTS_PER_MESSAGE

    assert ATTACHMENTS_PER_MESSAGE == MAX_PER_MESSAGE
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit >= MAX_PER_MESSAGE * app.config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024
    assert limit >= documents.MAX_DOCUMENT_CHARS * 12  # 4 bytes a character, URL-encoded
    bigger = make_app(ATTACHMENT_MAX_BYTES=20 * 1024 * 1024)
    assert bigger.config["MAX_CONTENT_LENGTH"] > MAX_PER_MESSAGE * 20 * 1024 * 1024
    small = make_app(MAX_CONTENT_LENGTH=10_000)
    response = small.test_client().post(url(doc, "/modifica"), data={"body": "x" * 20_000})
    assert response.status_code == 413
    assert "Contenuto troppo grande" in text(response)
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 0


def test_an_expired_save_over_the_limit_gives_the_text_back(client, auth, team, doc):
    sign_in(auth, team["anna"])
    token = open_editor(client, doc)
    auth.logout()
    body = "parola " * (documents.MAX_DOCUMENT_CHARS // 7 + 1)
    response = client.post(url(doc, "/modifica"), data={"body": body, "base": "1", "editor": token})
    assert response.status_code == 422
    page = text(response)
    assert "Testo non conservato" in page and "Il testo supera il limite" in page
    assert body.strip() in page.split("readonly>")[1]
    assert db.session.scalar(db.select(db.func.count(PendingSave.id))) == 0
    assert client.get_cookie("tavolo_testo_in_attesa") is None


# -- Bad input never makes a 500 -------------------------------------------------------------------

BAD_REQUESTS = [
    ("GET", "/versioni?autore=99999999999999999999", None),
    ("GET", "/versioni?autore=3000000000", None),
    ("GET", "/versioni?autore=-5", None),
    ("GET", "/versioni?autore=%C2%B2", None),
    ("GET", "/versioni?dal=0001-01-01", None),
    ("GET", "/versioni?al=0001-01-01", None),
    ("GET", "/versioni?al=9999-12-31", None),
    ("GET", "/versioni?dal=9999-12-31", None),
    ("GET", "/versioni?page=99999999999999999999", None),
    ("GET", "/versioni?page=999999999", None),
    ("GET", "/versioni?page=-1", None),
    ("GET", "/confronta?da=99999999999999999999&a=1", None),
    ("GET", "/confronta?da=2&a=1", None),
    ("GET", "/confronta?da=%C2%B2&a=1", None),
    ("GET", "/modifica?sezione=99999999999999999999", None),
    ("GET", "/modifica?sezione=3000000000", None),
    ("GET", "/modifica?sezione=-1", None),
    ("GET", "/modifica?sezione=%C2%B2", None),
    ("GET", "/modifica?versione=99999999999999999999", None),
    ("GET", "/modifica?bozza=%00", None),
    ("GET", "/presenza?editor=1&sezione=99999999999999999999", None),
    ("GET", "/presenza?editor=1&sezione=3000000000", None),
    ("GET", "/presenza?editor=1&sezione=-3", None),
    ("POST", "/modifica", {"body": "x", "base": "1", "section": "²"}),
    ("POST", "/modifica", {"body": "x", "base": "²"}),
    ("POST", "/modifica", {"body": "x", "base": "99999999999999999999"}),
    ("POST", "/modifica", {"body": "x", "base": "3000000000"}),
    ("POST", "/modifica", {"body": "x", "base": "1", "section": "99999999999999999999"}),
    ("POST", "/modifica", {"body": "x", "base": "1", "section": "3000000000"}),
    ("POST", "/bozza", {"body": "x", "base": "1", "section": "²"}),
    ("POST", "/bozza", {"body": "x", "base": "99999999999999999999"}),
    ("POST", "/bozza", {"body": "x", "base": "3000000000"}),
    ("POST", "/bozza", {"body": "x", "base": "1", "section": "99999999999999999999"}),
    ("POST", "/bozza", {"body": "x", "base": "1", "section": "3000000000"}),
    ("POST", "/bozza", {"body": "x", "base": "500"}),
    ("POST", "/bozza/elimina", {"sezione": "abc", "bozza": "\x00"}),
    ("POST", "/bozza/elimina", {"sezione": "99999999999999999999"}),
    ("GET", "/versioni/99999999999999999999", None),
    ("POST", "/dettagli", {"title": "x\x00y", "description": ""}),
    ("POST", "/versioni/1/approva", {"note": "x" * 1999}),
]


@pytest.mark.parametrize(("method", "tail", "data"), BAD_REQUESTS)
def test_bad_input_never_makes_a_500(client, auth, team, doc, method, tail, data):
    sign_in(auth, team["lead"])
    if data is not None and tail in ("/modifica", "/bozza"):
        data = dict(data, editor=open_editor(client, doc))
    response = client.open(url(doc, tail), method=method, data=data)
    assert response.status_code < 500, response.status_code
    assert doc.text.head == 1


@pytest.mark.parametrize(
    "data",
    [
        {"body": "x", "base": "²", "section": "²"},
        {"body": "x", "base": "99999999999999999999", "section": "3000000000"},
    ],
)
def test_bad_numbers_in_an_expired_save_never_make_a_500(client, auth, team, doc, data):
    sign_in(auth, team["anna"])
    token = open_editor(client, doc)
    auth.logout()
    response = client.post(url(doc, "/modifica"), data=dict(data, editor=token))
    assert response.status_code == 303
    pending = db.session.scalar(db.select(PendingSave))
    assert pending.base_number == 0 and pending.section is None


def test_a_draft_can_only_start_from_a_revision_that_exists(client, auth, team, doc):
    sign_in(auth, team["anna"])
    token = open_editor(client, doc)
    response = client.post(url(doc, "/bozza"), data={"body": "x", "base": "500", "editor": token})
    assert response.status_code == 422 and "La bozza non è stata salvata" in text(response)
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0
    assert client.get(url(doc, "/modifica?bozza=riprendi")).status_code == 200


def test_an_autosave_without_its_editor_is_refused(client, auth, team, doc):
    sign_in(auth, team["anna"])
    for token in (None, "not-a-token"):
        data = {"body": "x", "base": "1"}
        if token:
            data["editor"] = token
        assert client.post(url(doc, "/bozza"), data=data).status_code == 422
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0


# -- Downloads with any title ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "fallback", "encoded"),
    [
        ("Guida Łódź", "guida-odz-v1", "guida-%C5%82odz-v1"),
        ("Guida 中文", "guida-v1", "guida-%E4%B8%AD%E6%96%87-v1"),
        ("中文", "documento-v1", "%E4%B8%AD%E6%96%87-v1"),
    ],
)
def test_downloads_of_a_document_with_any_title(client, auth, team, title, fallback, encoded):
    document = documents.create_document(
        team["group"], title=title, description="", body=GUIDELINES, author=team["anna"]
    )
    sign_in(auth, team["anna"])
    for extension in ("md", "docx"):
        response = client.get(url(document, f"/versioni/1/scarica.{extension}"))
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition == (
            f'attachment; filename="{fallback}.{extension}"; '
            f"filename*=UTF-8''{encoded}.{extension}"
        )


# -- Attribution in bounded time -------------------------------------------------------------------


def _full_blame(document, number):
    from workspace.texts.blame import blame

    history = [(n, revisions.text_at(document.text, n)) for n in range(1, number + 1)]
    return [(line.text, line.key) for line in blame(history) if line.text.strip()]


def _attributed(document, number):
    return [
        (line, block.revision.number)
        for block in revisions.attribution(document.text, number)
        for line in block.lines
    ]


def test_attribution_replays_at_most_one_chain_of_revisions(app, team, doc, monkeypatch):
    from workspace.texts import storage

    monkeypatch.setattr(storage, "MAX_CHAIN_LENGTH", 5)
    paragraphs = [f"Paragrafo {n}." for n in range(12)]
    for number in range(2, 24):
        paragraphs[(number * 5) % 12] = f"Paragrafo riscritto nella versione {number}."
        if number % 7 == 0:
            paragraphs.insert(3, f"Nuovo paragrafo della versione {number}.")
        revisions.save(
            doc.text,
            author=team["anna"] if number % 2 else team["bruno"],
            text="\n\n".join(paragraphs) + "\n",
            base_number=number - 1,
        )
    applied = []
    apply = storage._apply

    def counting(*args, **kwargs):
        applied.append(1)
        return apply(*args, **kwargs)

    monkeypatch.setattr(storage, "_apply", counting)
    for number in (1, 5, 6, 17, 23):
        applied.clear()
        attributed = _attributed(doc, number)
        assert len(applied) <= 4  # a snapshot and at most the rest of its chain
        assert attributed == _full_blame(doc, number)
    stored = db.session.scalars(
        db.select(Revision.number).where(Revision.line_keys.is_not(None))
    ).all()
    assert (
        stored
        == db.session.scalars(
            db.select(Revision.number).where(Revision.is_snapshot.is_(True))
        ).all()
    )


def test_attribution_of_revisions_stored_before_it_was_kept(app, team, doc):
    for number in range(2, 8):
        documents.save(
            doc,
            author=team["bruno"],
            body=GUIDELINES + f"Aggiunta {number}.\n" * number,
            base_number=number - 1,
            section=None,
            summary="",
        )
    db.session.execute(db.update(Revision).values(line_keys=None))
    db.session.commit()
    assert _attributed(doc, 7) == _full_blame(doc, 7)
    assert _attributed(doc, 1) == _full_blame(doc, 1)


# -- Smaller things --------------------------------------------------------------------------------


def test_each_failed_save_says_what_went_wrong(client, auth, team, doc, monkeypatch):
    sign_in(auth, team["anna"])

    def busy(*args, **kwargs):
        raise revisions.Busy("too many concurrent saves")

    monkeypatch.setattr(revisions, "save", busy)
    response = client.post(url(doc, "/modifica"), data={"body": "il mio testo", "base": "1"})
    assert response.status_code == 503
    page = text(response)
    assert "occupato da altri salvataggi" in page and "Il testo supera" not in page
    assert "il mio testo" in page.split('id="body"')[1]


def test_the_contents_edit_a_section_of_the_revision_that_was_read(client, auth, team, doc):
    sign_in(auth, team["anna"])
    page = client.get(url(doc, "?versione=corrente")).get_data(as_text=True)
    link = re.search(r'href="([^"]*modifica\?[^"]*sezione=2[^"]*)"', page).group(1)
    assert "versione=1" in link
    # Meanwhile Bruno adds a section before it: index 2 is now another section.
    documents.save(
        doc,
        author=team["bruno"],
        body=GUIDELINES.replace("## Accoglienza", "## Nuova\n\nAltro.\n\n## Accoglienza"),
        base_number=1,
        section=None,
        summary="",
    )
    page = client.get(link.replace("&amp;", "&"))
    assert "Modifica la sezione «Accoglienza»" in text(page)
    response = client.post(
        url(doc, "/modifica"),
        data={
            "body": "## Accoglienza\n\nLa famiglia viene accolta con cura.\n\n",
            "base": "1",
            "section": "2",
            "editor": editor_token(page),
        },
    )
    assert response.status_code == 302
    final = head_text(doc)
    assert "accolta con cura" in final and "## Nuova" in final


def test_a_title_taken_at_the_same_moment_is_a_form_error(client, auth, team, doc, monkeypatch):
    # The check passes for both, the database's unique constraint stops the second.
    monkeypatch.setattr(documents, "_check_title", lambda *args, **kwargs: None)
    sign_in(auth, team["anna"])
    response = client.post(
        f"/gruppi/{team['group'].slug}/documenti/nuovo",
        data={"title": "Linee guida", "body": "il mio testo"},
    )
    assert response.status_code == 422
    assert "Nel gruppo c'è già un documento con questo titolo." in text(response)
    assert "il mio testo" in text(response)
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 1


@pytest.mark.parametrize(
    "tail", ["/versioni/1", "/versioni/1/autori", "/revisione", "/versioni/1/stampa"]
)
def test_pages_without_a_fragment_say_they_vary_with_htmx(client, auth, team, doc, tail):
    sign_in(auth, team["anna"])
    response = client.get(url(doc, tail))
    assert response.status_code == 200 and "HX-Request" in response.vary


def test_a_draft_from_before_drafts_per_editor_can_be_resumed(client, auth, team, doc):
    # Migration 0004 gave each existing draft the editor id "draft-<its id>".
    draft = Draft(
        text_id=doc.text_id, user_id=team["anna"].id, editor_id="draft-1", body="vecchia\n",
        base_number=1, section=None, summary="",
    )  # fmt: skip
    db.session.add(draft)
    db.session.commit()
    sign_in(auth, team["anna"])
    page = client.get(url(doc, "/modifica?bozza=draft-1"))
    assert "vecchia" in text(page).split('id="body"')[1].split("</textarea>")[0]
    autosave(client, doc, editor_token(page), "vecchia e ripresa\n")
    assert [draft.body for draft in drafts_of(team["anna"])] == ["vecchia e ripresa\n"]
