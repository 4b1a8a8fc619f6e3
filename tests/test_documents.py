"""Documents through HTTP: create, read, edit without losing a word, history, approve."""

import io
import re
from html.parser import HTMLParser

import pytest

from tests.support import PASSWORD, htmx, text
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
    # Resolving: saving from revision 2 now succeeds.
    response = client.post(
        url(doc, "/modifica"),
        data={"body": GUIDELINES.replace("un'ora", "un'ora e mezza"), "base": "2"},
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
    response = client.post(
        url(doc, "/bozza"),
        data={"body": "testo a metà", "base": "1", "summary": "bozza"},
        headers=htmx("draft-status"),
    )
    assert response.status_code == 200 and "Bozza salvata alle" in text(response)
    page = text(client.get(url(doc, "/modifica")))
    assert "Hai una bozza non salvata" in page
    page = text(client.get(url(doc, "/modifica?bozza=riprendi")))
    assert "Hai ripreso la bozza non salvata." in page
    assert "testo a metà" in page.split('id="body"')[1].split("</textarea>")[0]
    response = client.post(url(doc, "/bozza/elimina"), data={"sezione": ""})
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Draft.id))) == 0


def test_drafts_are_private(client, auth, team, doc):
    sign_in(auth, team["anna"])
    client.post(url(doc, "/bozza"), data={"body": "segreto di Anna", "base": "1"})
    sign_in(auth, team["bruno"])
    assert "segreto di Anna" not in text(client.get(url(doc, "/modifica?bozza=riprendi")))


def test_a_save_after_the_session_expired_keeps_the_text_until_sign_in(client, auth, team, doc):
    sign_in(auth, team["anna"])
    client.get(url(doc, "/modifica"))
    auth.logout()  # the session is gone, as after expiry; the editor is still open
    response = client.post(
        url(doc, "/modifica"),
        data={"body": "Testo scritto prima della scadenza", "base": "1", "summary": "importante"},
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
        response = client.post(
            url(document, "/modifica"), data={"body": "b\n", "base": "1", "csrf_token": "scaduto"}
        )
        assert response.status_code == 303
        resumed = text(client.get(response.location, follow_redirects=True))
        assert "b\n" in resumed.split('id="body"')[1].split("</textarea>")[0]
        db.session.refresh(document.text)
        assert document.text.head == 1


def test_expired_pending_texts_are_pruned(app, doc, runner):
    revisions.stash_pending(
        doc.text, token="t" * 40, body="x", base_number=1, section=None, summary=""
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
    documents.save(doc, author=team["anna"], body=paste, base_number=1, section=None, summary="")
    reordered = "\n".join(reversed(paste.split("\n")))
    documents.save(
        doc, author=team["anna"], body=reordered, base_number=2, section=None, summary=""
    )
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
    assert 'badge--external">esterno</span>' in history.split("<tbody>")[1]
    presence = text(client.get(url(doc, "/presenza")))
    assert "Elena Affidi" in presence and "esterno" in presence
