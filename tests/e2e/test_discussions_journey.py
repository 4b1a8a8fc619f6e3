"""Discussions as a working group uses them, in two browsers side by side: the lead opens a
thread, a member sees it unread, reads it and replies mentioning her (with a PDF attached);
the reply appears in place for him and, through polling, on her open page; she is notified,
quotes him, edits and withdraws her own messages, pins the thread and marks it resolved.
A second journey opens a thread from a section of a document.

Every main page is audited with axe on the way; findings are collected and reported together
at the end (see ``Findings`` in the documents journey).
"""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.test_attachments import minimal_pdf

from .pages import (
    DiscussionsPage,
    DiscussionsPanel,
    DocumentPage,
    GroupPage,
    GroupsPage,
    HomePage,
    NewThreadPage,
    NotificationsPage,
    ThreadPage,
)
from .test_documents_journey import Findings

LEAD = "giulia.ferri@tavolo.example"  # Giulia Ferri, lead of "Revisione linee guida"
MEMBER = "paolo.conti@tavolo.example"  # Paolo Conti, member of it

GROUP = "Revisione linee guida"
SLUG = "revisione-linee-guida"

TITLE = "Primo colloquio: entro quanti giorni dall'invio?"
FIRST = (
    "Le linee guida dicono **trenta giorni** dal decreto al primo colloquio.\n\n"
    "Nei vostri servizi quanto passa davvero?"
)
REPLY_START = "A Legnano di solito passano quindici giorni. "
REPLY_END = "ti allego il verbale dell'ultimo incontro d'équipe."
PDF_NAME = "verbale-equipe-legnano.pdf"
QUOTE_ANSWER = "Grazie Paolo: proporrei quindici giorni per tutti."
EDITED_ANSWER = "Grazie Paolo: proporrei quindici giorni per tutti i servizi della rete."
MISTAKE = "Scusate, questo messaggio era per un altro gruppo."
SECOND_MENTION = "ok per me, lo mettiamo all'ordine del giorno del prossimo incontro."

MENTION_TITLE = f"Paolo Conti ti ha menzionato in «{TITLE}»"
REPLY_TITLE = f"Giulia Ferri ha risposto in «{TITLE}»"
UNREAD_MARKER = "Da qui i messaggi che non hai ancora letto"


def open_group(page) -> GroupPage:
    GroupsPage(page).goto()
    return GroupPage.open(page, GROUP)


def test_two_members_discuss_mention_and_are_notified(signed_in, screenshot, tmp_path):
    found = Findings()

    # -- Giulia, the lead, opens a thread from the group page ------------------------------
    giulia = signed_in(LEAD)
    group = HomePage(giulia).open_group(GROUP)
    form = DiscussionsPanel(group).new_thread()
    found.axe(giulia, "new-thread form")

    form.submit()  # nothing written
    expect(form.error_summary).to_be_visible()
    expect(form.error_summary).to_contain_text("Titolo")
    expect(form.title).to_have_attribute("aria-invalid", "true")
    screenshot("new-thread-errors", target=giulia)
    found.axe(giulia, "new-thread form with errors")

    a_thread = form.open_thread(TITLE, FIRST)
    expect(a_thread.alerts).to_contain_text("Discussione aperta.")
    expect(a_thread.messages).to_have_count(1)
    expect(a_thread.message(1)).to_contain_text("trenta giorni")
    expect(a_thread.message(1).locator("strong")).to_have_text("trenta giorni")  # Markdown
    expect(a_thread.unread_marker).to_have_count(0)  # her own message is read
    screenshot("thread-opened", target=giulia)

    # -- Paolo sees it unread on the group page and in the discussions list ----------------
    paolo = signed_in(MEMBER)
    b_group = open_group(paolo)
    panel = DiscussionsPanel(b_group)
    expect(panel.item(TITLE)).to_contain_text("1 non letto")
    screenshot("group-page-unread", target=paolo)

    discussions = DiscussionsPage.goto(paolo, SLUG)
    row = discussions.threads.item(TITLE)
    expect(row).to_contain_text("1 non letto")
    expect(row).to_contain_text("Partecipano: Giulia Ferri")
    screenshot("discussions-list-unread", target=paolo)
    found.axe(paolo, "discussions list, one thread unread")

    b_thread = discussions.threads.open(TITLE)
    expect(b_thread.unread_marker).to_be_visible()
    # The marker is right before the first unread message (here the first one).
    expect(b_thread.page.locator(".unread-marker + article")).to_have_id("messaggio-1")
    screenshot("thread-unread-marker", target=paolo)
    found.axe(paolo, "thread page with the unread marker")

    # -- Paolo replies, mentions Giulia with the picker, attaches a PDF ---------------------
    pdf = tmp_path / PDF_NAME
    pdf.write_bytes(minimal_pdf())
    b_thread.body.fill(REPLY_START)
    assert b_thread.mention("Giulia Ferri") == "@giulia.ferri"
    expect(b_thread.body).to_have_value(REPLY_START + "@giulia.ferri ")
    expect(b_thread.body).to_be_focused()  # the cursor is back in the message, after the @
    paolo.keyboard.type(REPLY_END)
    b_thread.attach(pdf)
    screenshot("reply-written", target=paolo)

    paolo.evaluate("window.__notReloaded = true")
    with paolo.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/rispondi")
    ) as answer:
        b_thread.reply()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(b_thread.messages).to_have_count(2)
    reply = b_thread.message(2)
    expect(reply).to_contain_text(REPLY_START.strip())
    expect(reply.locator("strong", has_text="@Giulia Ferri")).to_be_visible()  # the mention
    attachments = reply.get_by_role("list", name="Allegati")
    link = attachments.get_by_role("link", name=PDF_NAME, exact=True)
    expect(link).to_have_attribute("href", re.compile(rf"^/allegati/\d+/{re.escape(PDF_NAME)}$"))
    expect(attachments).to_contain_text("PDF")
    assert paolo.evaluate("window.__notReloaded === true"), "the page was reloaded"
    expect(b_thread.body).to_have_value("")  # the form is back, empty, for the next reply
    screenshot("reply-in-place", target=paolo)

    with paolo.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == PDF_NAME
    assert Path(download.value.path()).read_bytes() == pdf.read_bytes()

    # Paolo leaves the thread: everything in it is read for him.
    b_group = open_group(paolo)
    expect(DiscussionsPanel(b_group).item(TITLE)).not_to_contain_text("non lett")

    # -- Giulia, thread still open, sees the reply arrive (it polls every 15 s) ------------
    expect(a_thread.message(2)).to_contain_text(REPLY_START.strip(), timeout=20_000)
    expect(a_thread.message(2).get_by_role("link", name=PDF_NAME)).to_be_visible()
    screenshot("reply-arrived-by-polling", target=giulia)

    # She is notified of the mention. The poll that showed her the message also marked the
    # thread read, and with it every notification pointing into it: the bell does not count
    # this one (whether it should, for a tab left in the background, is the app's call). It
    # is in her list all the same, and leads to the message. A later mention, while she is
    # elsewhere, shows on the bell: see the end of this journey.
    notifications = NotificationsPage(giulia).goto()
    expect(notifications.item(MENTION_TITLE)).to_be_visible()
    expect(notifications.item(MENTION_TITLE)).to_contain_text("Menzione")
    expect(notifications.item(MENTION_TITLE)).to_contain_text(GROUP)
    screenshot("notifications-with-mention", target=giulia)
    found.axe(giulia, "notifications list")
    a_thread = notifications.open(MENTION_TITLE)
    expect(giulia).to_have_url(re.compile(r"/discussioni/\d+\?pagina=1#messaggio-2$"))
    expect(a_thread.message(2)).to_be_in_viewport()

    # -- Giulia quotes Paolo's message ------------------------------------------------------
    a_thread.quote(2)
    expect(a_thread.body).to_have_value(re.compile(r"^> \*\*Paolo Conti\*\* \(messaggio 2\):\n"))
    expect(a_thread.body).to_have_value(re.compile(re.escape("> " + REPLY_START.strip())))
    screenshot("quote-prefilled", target=giulia)
    found.axe(giulia, "thread page with a quote prefilled")
    a_thread.reply(QUOTE_ANSWER)
    expect(a_thread.messages).to_have_count(3)
    expect(a_thread.message(3)).to_contain_text("In risposta a messaggio 2")
    expect(a_thread.message(3).locator("blockquote")).to_contain_text("Paolo Conti")
    expect(a_thread.message(3)).to_contain_text(QUOTE_ANSWER)

    # -- She edits her message: "modificato", and the lead sees the earlier version --------
    editor = a_thread.edit(3)
    expect(editor.body).to_have_value(re.compile(re.escape(QUOTE_ANSWER)))
    screenshot("edit-message", target=giulia)
    found.axe(giulia, "edit-message page")
    a_thread = editor.save(editor.body.input_value().replace(QUOTE_ANSWER, EDITED_ANSWER))
    expect(a_thread.alerts).to_contain_text("Messaggio modificato.")
    expect(a_thread.message(3)).to_contain_text(EDITED_ANSWER)
    expect(a_thread.message(3).get_by_text("modificato", exact=True)).to_be_visible()
    a_thread.message(3).get_by_role("link", name="versioni precedenti").click()
    expect(giulia.get_by_role("main")).to_contain_text(QUOTE_ANSWER)
    giulia.go_back()

    # -- She posts by mistake and withdraws it ----------------------------------------------
    a_thread = ThreadPage(giulia)
    a_thread.reply(MISTAKE)
    expect(a_thread.message(4)).to_contain_text(MISTAKE)
    a_thread.withdraw(4)
    expect(a_thread.alerts).to_contain_text("Messaggio ritirato.")
    expect(a_thread.message(4)).to_contain_text("Messaggio ritirato")
    expect(a_thread.message(4)).not_to_contain_text(MISTAKE)
    expect(a_thread.messages).to_have_count(4)  # the thread stays readable around it
    screenshot("message-withdrawn", target=giulia)

    # -- As lead she pins the thread and marks Paolo's reply as the resolution --------------
    a_thread.pin()
    expect(a_thread.alerts).to_contain_text("Discussione fissata in cima.")
    expect(a_thread.status_line).to_contain_text("fissata")
    a_thread.mark_resolution(2)
    expect(a_thread.alerts).to_contain_text("Discussione segnata come risolta dal messaggio 2.")
    expect(a_thread.status_line).to_contain_text("risolta")
    expect(a_thread.message(2)).to_contain_text("ha risolto la discussione")
    screenshot("pinned-and-resolved", target=giulia)
    found.axe(giulia, "thread page, pinned and resolved, as lead")

    # -- Paolo: the list says pinned, resolved, one unread (the withdrawn one not counted) ---
    discussions = DiscussionsPage.goto(paolo, SLUG)
    row = discussions.threads.item(TITLE)
    for badge in ("fissata", "risolta", "1 non letto"):
        expect(row).to_contain_text(badge)
    screenshot("discussions-list-pinned-resolved", target=paolo)
    # He follows the thread since he wrote in it: Giulia's reply notified him; the withdrawn
    # message's notification went with it.
    b_notifications = NotificationsPage(paolo).goto()
    expect(b_notifications.items.filter(has_text=REPLY_TITLE)).to_have_count(1)
    expect(b_notifications.items.filter(has_text=MISTAKE)).to_have_count(0)

    # -- A mention while Giulia is elsewhere: her bell shows it without a reload ------------
    a_notifications = NotificationsPage(giulia).goto()
    bell = a_notifications.bell
    expect(bell).to_have_accessible_name("Notifiche")
    b_thread = DiscussionsPage.goto(paolo, SLUG).threads.open(TITLE)
    b_thread.mention("Giulia Ferri")
    paolo.keyboard.type(SECOND_MENTION)
    b_thread.reply()
    expect(b_thread.message(5)).to_contain_text(SECOND_MENTION)
    # The bell polls every 30 s.
    expect(bell).to_have_accessible_name("Notifiche, 1 non letta", timeout=35_000)
    screenshot("bell-with-one-unread", target=giulia)
    bell.click()
    expect(a_notifications.heading).to_have_text("Notifiche")
    mention = a_notifications.items.filter(has_text=SECOND_MENTION)
    expect(mention).to_contain_text("Da leggere")
    expect(mention).to_contain_text(MENTION_TITLE)
    a_thread = ThreadPage(giulia)
    mention.get_by_role("link", name=MENTION_TITLE).click()
    expect(giulia).to_have_url(re.compile(r"#messaggio-5$"))
    expect(a_thread.message(5)).to_be_in_viewport()
    expect(a_thread.bell).to_have_accessible_name("Notifiche")  # read now

    a_notifications = NotificationsPage(giulia).goto()
    a_notifications.preferences()
    expect(giulia.get_by_role("main")).to_contain_text(TITLE)  # she follows the thread
    screenshot("notification-preferences", target=giulia)
    found.axe(giulia, "notification preferences")

    found.assert_none()


def test_discuss_a_section_from_the_document(signed_in, screenshot):
    found = Findings()
    giulia = signed_in(LEAD)
    group = open_group(giulia)
    document_title = "Linee guida della rete Spazio Neutro: testo di partenza"
    document = DocumentPage.open_from_group(group, document_title)
    expect(document.page.get_by_text("Nessuna discussione su questo documento.")).to_be_visible()

    document.toc.get_by_role("link", name="discuti Finalità", exact=True).click()
    form = NewThreadPage(giulia)
    expect(form.heading).to_have_text("Nuova discussione")
    expect(form.about).to_have_text(
        f"La discussione riguarda la sezione «Finalità» del documento «{document_title}»."
    )
    expect(form.title).to_have_value("Sezione «Finalità»")
    screenshot("new-thread-about-a-section", target=giulia)
    found.axe(giulia, "new-thread form linked to a section")

    thread = form.open_thread(
        "Sezione «Finalità»", "Aggiungerei tra le finalità il sostegno alla genitorialità."
    )
    about = thread.status_line.get_by_role("link", name=re.compile(r"Finalità"))
    expect(about).to_have_text(f"«{document_title}», sezione «Finalità»")
    screenshot("thread-about-a-section", target=giulia)

    about.click()
    document = DocumentPage(giulia)
    expect(document.heading).to_have_text(document_title)
    expect(giulia).to_have_url(re.compile(r"#sez-finalita$"))
    threads = giulia.get_by_role("region", name="Discussioni sul documento")
    item = threads.get_by_role("listitem").filter(has_text="Sezione «Finalità»")
    expect(item).to_contain_text("(sezione «Finalità»)")
    expect(item).to_contain_text("1 messaggio")
    screenshot("document-lists-the-thread", target=giulia)
    found.axe(giulia, "document page with a discussion")

    item.get_by_role("link", name="Sezione «Finalità»").click()
    expect(ThreadPage(giulia).heading).to_have_text("Sezione «Finalità»")

    found.assert_none()
