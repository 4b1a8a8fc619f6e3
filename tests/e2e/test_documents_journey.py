"""Versioned documents as a working group uses them: two operators edit the guidelines at the
same time in two browsers, their edits are merged or, where they clash, resolved without losing
anything; a coordinator reviews the history, compares versions and approves the newest one.

Every main page is audited with axe on the way. axe findings and the few checks wrapped in
``found.soft`` are collected and reported together when the journey ends, so that one finding
does not hide the rest of the journey; the test still fails on any of them.
"""

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .pages import (
    DocumentPage,
    EditorPage,
    GroupPage,
    GroupsPage,
    HomePage,
    NewDocumentPage,
    RevisionPage,
)
from .test_accessibility import axe_violations, describe

COORDINATOR = "coordinatrice@tavolo.example"  # Laura Bianchi
OPERATOR_A = "giulia.ferri@tavolo.example"  # Giulia Ferri, lead of "Revisione linee guida"
OPERATOR_B = "paolo.conti@tavolo.example"  # Paolo Conti, member of it

GROUP = "Revisione linee guida"
TITLE = "Linee guida per il diritto di visita e di relazione"
DESCRIPTION = "Il testo comune dei servizi Spazio Neutro della rete, in revisione."
GUIDELINES = """\
Linee guida condivise dai servizi della rete per il diritto di visita e di relazione.

# Finalità

Lo Spazio Neutro garantisce al bambino la relazione con entrambi i genitori.

# Accesso al servizio

L'invio al servizio avviene su decreto dell'autorità giudiziaria.
Il primo colloquio con ciascun genitore si svolge entro trenta giorni dall'invio.

# Incontri protetti

Gli incontri durano un'ora e si svolgono ogni due settimane.
Dopo ogni incontro l'operatore scrive una breve relazione.
"""

# The first round: different sections, merged without asking.
A_SECTION_OLD = "entro trenta giorni"
A_SECTION_NEW = "entro quindici giorni"
B_SECTION_OLD = "scrive una breve relazione.\n"
B_ADDED_LINE = "La relazione è inviata al servizio che ha chiesto gli incontri."
B_SECTION_NEW = B_SECTION_OLD + B_ADDED_LINE + "\n"  # a line added, none changed

# The second round: the same line, changed differently.
SAME_LINE = "Gli incontri durano un'ora e si svolgono ogni due settimane."
A_LINE = "Gli incontri durano un'ora e si svolgono ogni settimana."
B_LINE = "Gli incontri durano novanta minuti e si svolgono ogni due settimane."
RESOLVED_LINE = "Gli incontri durano novanta minuti e si svolgono ogni settimana."

APPROVAL_NOTE = "Approvata dal tavolo nell'incontro del 12 marzo."


class Findings:
    """What a journey found wrong on the way: axe violations and checks marked ``soft``.

    Everything is kept and the journey goes on, so that one finding does not hide the rest;
    ``assert_none`` at the end fails the test with all of them.
    """

    def __init__(self):
        self.reports: list[str] = []

    def axe(self, page: Page, where: str) -> None:
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        if violations:
            report = describe(violations, f"{where} ({page.url})")
            print(report)
            self.reports.append(report)

    def soft(self, what: str, check: Callable[[], None]) -> None:
        try:
            check()
        except AssertionError as error:
            message = str(error).split("Call log:")[0].strip()
            report = f"{what}:\n{message}"
            print(report)
            self.reports.append(report)

    def assert_none(self) -> None:
        assert not self.reports, "\n\n".join(self.reports)


def open_document(page: Page, title: str = TITLE) -> DocumentPage:
    """From anywhere: Gruppi → the guidelines group → the document."""
    GroupsPage(page).goto()
    group = GroupPage.open(page, GROUP)
    return DocumentPage.open_from_group(group, title)


def base_revision(editor: EditorPage) -> str:
    """The revision the editor was opened from (a hidden field sent with the save)."""
    return editor.page.locator("#editor-form input[name=base]").input_value()


def test_two_operators_edit_the_guidelines_and_the_coordinator_approves(signed_in, screenshot):
    found = Findings()

    # -- Operator A writes the first version ----------------------------------------------
    giulia = signed_in(OPERATOR_A)
    group = HomePage(giulia).open_group(GROUP)
    document = NewDocumentPage.open_from_group(group).create(TITLE, GUIDELINES, DESCRIPTION)
    expect(document.alerts).to_contain_text(f"Documento «{TITLE}» creato.")
    expect(document.meta).to_contain_text("Versione 1")
    expect(document.meta).to_contain_text("Giulia Ferri")
    expect(document.toc.get_by_role("link", name="Incontri protetti", exact=True)).to_be_visible()
    screenshot("document-created", target=giulia)

    # -- Round 1: both open the editor from revision 1, on different sections --------------
    a_editor = document.edit_section("Accesso al servizio")
    assert base_revision(a_editor) == "1"
    expect(a_editor.text).to_have_value(re.compile(r"^# Accesso al servizio\n"))
    found.soft(
        "the live preview shows the text when the editor opens",
        lambda: expect(
            a_editor.preview.get_by_role("heading", name="Accesso al servizio")
        ).to_be_visible(timeout=3_000),
    )

    paolo = signed_in(OPERATOR_B)
    b_document = open_document(paolo)
    # Presence: Giulia has the editor open, Paolo sees it on the document page...
    expect(b_document.presence).to_contain_text("Giulia Ferri")
    expect(b_document.presence).to_contain_text("sezione «Accesso al servizio»")
    screenshot("presence-on-document-page", target=paolo)
    found.axe(paolo, "document page, someone editing")

    b_editor = b_document.edit_section("Incontri protetti")
    assert base_revision(b_editor) == "1"
    # ...and in his own editor.
    expect(b_editor.presence).to_contain_text("Giulia Ferri")
    # Giulia's editor polls every 20 s and then shows Paolo too, without a reload.
    expect(a_editor.presence).to_contain_text("Paolo Conti", timeout=30_000)
    expect(a_editor.presence).to_contain_text("sezione «Incontri protetti»")

    a_editor.replace(A_SECTION_OLD, A_SECTION_NEW)
    b_editor.replace(B_SECTION_OLD, B_SECTION_NEW)
    found.soft(
        "the live preview follows what is typed",
        lambda: expect(b_editor.preview).to_contain_text(B_ADDED_LINE, timeout=3_000),
    )
    screenshot("b-editing-a-section", target=paolo)
    found.axe(paolo, "section editor")

    a_editor.save("Primo colloquio entro quindici giorni")
    expect(document.alerts).to_contain_text("Versione 2 salvata.")
    expect(document.article).to_contain_text(A_SECTION_NEW)

    b_editor.save("Relazione inviata al servizio")
    b_document = DocumentPage(paolo)
    expect(b_document.alerts).to_contain_text("Versione 3 salvata.")
    expect(b_document.alerts).to_contain_text("unite")
    expect(b_document.alerts).to_contain_text("Giulia Ferri")  # whose work was merged in
    expect(b_document.meta).to_contain_text("Versione 3")
    # Both edits are in the document.
    expect(b_document.article).to_contain_text(A_SECTION_NEW)
    expect(b_document.article).to_contain_text(B_ADDED_LINE)
    expect(b_document.article).not_to_contain_text(A_SECTION_OLD)
    screenshot("merged", target=paolo)

    # -- Round 2: both open the whole text from revision 3 and change the same line ----------
    giulia.reload()
    a_editor = document.edit()
    b_editor = b_document.edit()
    expect(b_editor.presence).to_contain_text("Giulia Ferri (tutto il documento)")
    assert base_revision(a_editor) == base_revision(b_editor) == "3"
    a_editor.replace(SAME_LINE, A_LINE)
    b_editor.replace(SAME_LINE, B_LINE)

    a_editor.save("Incontri ogni settimana")
    expect(document.alerts).to_contain_text("Versione 4 salvata.")
    expect(document.article).to_contain_text(A_LINE)

    with paolo.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/modifica")
    ) as answer:
        b_editor.save("Incontri di novanta minuti")
    assert answer.value.status == 409
    expect(b_editor.conflict).to_be_visible()
    expect(b_editor.conflict).to_contain_text("versione 4")
    # Both versions of the line are shown...
    expect(b_editor.conflict_side(1, "mine")).to_have_text(B_LINE)
    expect(b_editor.conflict_side(1, "theirs")).to_have_text(A_LINE)
    # ...Paolo's text is kept in the editor, now based on revision 4, with the other edits.
    expect(b_editor.text).to_have_value(re.compile(re.escape(B_LINE)))
    expect(b_editor.text).not_to_have_value(re.compile(re.escape(A_LINE)))
    expect(b_editor.text).to_have_value(re.compile(re.escape(A_SECTION_NEW)))
    expect(b_editor.text).to_have_value(re.compile(re.escape(B_SECTION_NEW)))
    assert base_revision(b_editor) == "4"
    expect(b_editor.summary).to_have_value("Incontri di novanta minuti")
    screenshot("conflict", target=paolo)
    found.axe(paolo, "conflict screen")

    # Paolo resolves it by hand, keeping both ideas, and saves.
    b_editor.replace(B_LINE, RESOLVED_LINE)
    b_editor.save("Novanta minuti, ogni settimana")
    expect(b_document.alerts).to_contain_text("Versione 5 salvata.")
    expect(b_document.alerts).not_to_contain_text("unite")
    for kept in (RESOLVED_LINE, A_SECTION_NEW, B_ADDED_LINE, "Lo Spazio Neutro garantisce"):
        expect(b_document.article).to_contain_text(kept)
    for gone in (SAME_LINE, A_LINE, B_LINE, A_SECTION_OLD):
        expect(b_document.article).not_to_contain_text(gone)
    screenshot("conflict-resolved", target=paolo)

    # -- The history shows every revision and both authors --------------------------------
    history = b_document.history()
    expect(history.rows).to_have_count(5)
    for number, author in (
        (1, "Giulia Ferri"),
        (2, "Giulia Ferri"),
        (3, "Paolo Conti"),
        (4, "Giulia Ferri"),
        (5, "Paolo Conti"),
    ):
        expect(history.row(number)).to_contain_text(author)
    expect(history.row(3)).to_contain_text("unita a modifiche altrui")
    expect(history.row(5)).to_contain_text("Novanta minuti, ogni settimana")
    expect(paolo.get_by_label("Autore", exact=True).get_by_role("option")).to_have_text(
        ["Tutti", "Giulia Ferri", "Paolo Conti"]
    )

    # -- The coordinator reviews, compares and approves ------------------------------------
    laura = signed_in(COORDINATOR)
    coordinator_document = open_document(laura)
    expect(coordinator_document.banner).to_have_count(0)  # nothing approved yet
    history = coordinator_document.history()
    expect(history.rows).to_have_count(5)
    screenshot("history", target=laura)
    found.axe(laura, "history")

    compare = history.compare(1, 5)
    expect(compare.table).to_be_visible()
    expect(compare.deletions.filter(has_text="trenta")).not_to_have_count(0)
    expect(compare.insertions.filter(has_text="quindici")).not_to_have_count(0)
    expect(compare.insertions.filter(has_text="novanta minuti")).not_to_have_count(0)
    # A line only added: the whole row says so, also to a screen reader.
    expect(compare.row_with(B_ADDED_LINE)).to_have_count(1)
    expect(compare.row_with(B_ADDED_LINE)).to_contain_text(f"Aggiunto: {B_ADDED_LINE}")
    expect(laura.get_by_text("Sezioni cambiate:")).to_contain_text("Accesso al servizio")
    expect(laura.get_by_text("Sezioni cambiate:")).to_contain_text("Incontri protetti")
    screenshot("compare-inline", target=laura)
    found.axe(laura, "compare, inline")

    compare.side_by_side()
    expect(laura).to_have_url(re.compile(r"vista=affiancata"))
    side_by_side_url = laura.url
    expect(compare.table.get_by_role("columnheader", name="Versione 1")).to_be_visible()
    expect(compare.table.get_by_role("columnheader", name="Versione 5")).to_be_visible()
    expect(compare.deletions.filter(has_text="trenta")).not_to_have_count(0)
    expect(compare.insertions.filter(has_text="quindici")).not_to_have_count(0)
    expect(compare.row_with(B_ADDED_LINE)).to_contain_text(f"Aggiunto: {B_ADDED_LINE}")
    screenshot("compare-side-by-side", target=laura)
    found.axe(laura, "compare, side by side")

    # Another pair of versions, chosen in the form above the side-by-side view.
    compare.choose(1, 4)
    found.soft(
        "the compare form keeps the side-by-side view it was switched to",
        lambda: expect(laura).to_have_url(re.compile(r"vista=affiancata"), timeout=2_000),
    )
    # The side-by-side view is a page of its own too (its address opens it).
    laura.goto(side_by_side_url)
    expect(compare.table.get_by_role("columnheader", name="Versione 5")).to_be_visible()
    compare.inline()
    expect(compare.table.get_by_role("columnheader", name="Testo")).to_be_visible()

    review = open_document(laura).review()
    expect(laura.get_by_text("Nessuna versione è ancora stata approvata")).to_be_visible()
    expect(review.section("Accesso al servizio")).to_contain_text("Giulia Ferri")
    expect(review.section("Incontri protetti")).to_contain_text("Paolo Conti")
    expect(review.section("Incontri protetti")).to_contain_text("Giulia Ferri")
    screenshot("review", target=laura)
    found.axe(laura, "review")

    laura.get_by_role("link", name="Leggi e approva la versione 5").click()
    revision = RevisionPage(laura)
    expect(revision.heading).to_have_text(f"«{TITLE}», versione 5")
    expect(revision.article).to_contain_text(RESOLVED_LINE)
    found.soft(
        "the revision page has a plain title",
        lambda: expect(laura).to_have_title(f"Versione 5 · {TITLE} · Tavolo", timeout=1_000),
    )
    screenshot("revision", target=laura)
    found.axe(laura, "revision")

    attribution = revision.attribution()
    expect(attribution.row_with(A_SECTION_NEW)).to_contain_text("Giulia Ferri")
    expect(attribution.row_with(RESOLVED_LINE)).to_contain_text("Paolo Conti")
    expect(attribution.row_with(B_ADDED_LINE)).to_contain_text("Paolo Conti")
    expect(attribution.row_with("Lo Spazio Neutro garantisce")).to_contain_text("Giulia Ferri")
    screenshot("attribution", target=laura)
    found.axe(laura, "attribution")

    laura.go_back()
    approved = revision.approve(5, APPROVAL_NOTE)
    expect(approved.alerts).to_contain_text("Versione 5 approvata.")
    expect(approved.banner).to_contain_text("Questa è la versione approvata il")
    expect(approved.approvals).to_contain_text(APPROVAL_NOTE)
    expect(approved.approvals).to_contain_text("Laura Bianchi")
    screenshot("approved", target=laura)
    found.axe(laura, "document page, approved")

    # -- Readers see the approved version ---------------------------------------------------
    paolo.goto(laura.url)
    reader = DocumentPage(paolo)
    expect(reader.banner).to_contain_text("Questa è la versione approvata il")
    expect(reader.article).to_contain_text(RESOLVED_LINE)
    with paolo.expect_download() as download:
        reader.downloads.get_by_role("link", name="Markdown (.md)").click()
    assert download.value.suggested_filename == (
        "linee-guida-per-il-diritto-di-visita-e-di-relazione-v5.md"
    )
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    for kept in (RESOLVED_LINE, A_SECTION_NEW, B_ADDED_LINE):
        assert kept in markdown
    reader.downloads.get_by_role("link", name="Versione da stampare").click()
    expect(paolo.get_by_role("heading", level=1).first).to_have_text(TITLE)
    expect(paolo.get_by_text("versione approvata", exact=True)).to_be_visible()
    expect(paolo.get_by_role("article")).to_contain_text(RESOLVED_LINE)
    screenshot("print-view", target=paolo)
    found.axe(paolo, "print view")
    paolo.go_back()
    history = reader.history()
    expect(history.row(5)).to_contain_text("approvata")

    # A change after the approval: readers still get the approved text first, and are told.
    giulia.goto(laura.url)
    a_editor = DocumentPage(giulia).edit()
    a_editor.replace("Dopo ogni incontro", "Dopo ciascun incontro")
    a_editor.save("Ritocco")
    expect(document.alerts).to_contain_text("Versione 6 salvata.")
    expect(document.banner).to_contain_text("Stai leggendo la versione attuale (6)")

    paolo.goto(laura.url)
    expect(reader.banner).to_contain_text("Stai leggendo la versione approvata (versione 5")
    expect(reader.banner).to_contain_text("1 modifica dalla versione approvata")
    expect(reader.meta).to_contain_text("Versione 5")
    expect(reader.article).to_contain_text("Dopo ogni incontro")
    screenshot("reader-sees-approved-version", target=paolo)
    found.axe(paolo, "document page, approved version with a newer one")
    reader.banner.get_by_role("link", name="Leggi la versione attuale").click()
    expect(reader.meta).to_contain_text("Versione 6")
    expect(reader.article).to_contain_text("Dopo ciascun incontro")

    found.assert_none()


def test_a_draft_survives_a_closed_tab(signed_in, screenshot):
    found = Findings()
    title = "Accoglienza dei genitori al primo incontro"
    giulia = signed_in(OPERATOR_A)
    group = HomePage(giulia).open_group(GROUP)
    document = NewDocumentPage.open_from_group(group).create(
        title, "# Accoglienza\n\nL'operatore accoglie il genitore all'ingresso.\n"
    )
    editor = document.edit()
    editor.text.click()
    giulia.keyboard.press("Control+End")
    giulia.keyboard.type("Gli presenta la stanza e gli spiega le regole dell'incontro.")
    expect(editor.draft_status).to_contain_text(re.compile(r"Bozza salvata alle \d\d:\d\d:\d\d"))
    screenshot("draft-saved", target=giulia)

    context = giulia.context
    giulia.close()  # the tab is closed without saving

    giulia = context.new_page()
    giulia.goto("/")
    document = open_document(giulia, title)
    editor = document.edit()
    expect(editor.draft_banner).to_be_visible()
    # The editor opens on the saved text until the draft is taken up.
    expect(editor.text).not_to_have_value(re.compile("Gli presenta la stanza"))
    screenshot("draft-offered", target=giulia)
    found.axe(giulia, "editor offering a draft")

    editor.resume_draft()
    editor = EditorPage(giulia)
    expect(editor.text).to_have_value(re.compile("Gli presenta la stanza e gli spiega le regole"))
    expect(editor.draft_banner).to_have_count(0)
    editor.save()
    expect(document.alerts).to_contain_text("Versione 2 salvata.")
    expect(document.article).to_contain_text("Gli presenta la stanza")

    # Saved: the draft is gone.
    editor = document.edit()
    expect(editor.draft_banner).to_have_count(0)

    found.assert_none()
