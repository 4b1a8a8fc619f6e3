"""Keyboard only (issue 9): journeys done with Tab, Shift+Tab, Enter and typing, no mouse.

At each step the focus is checked: it is where a person would expect it, and it can be seen (an
outline or a shadow). After every htmx swap the focus lands somewhere sensible (an error
summary, a conflict, the region's heading) and never falls back to the top of the page; the
live regions say what happened (a reply published, a document saved).

The second person of a journey, who makes the conflict happen, uses the mouse: only the
keyboard user's steps are the point.
"""

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from .pages import DEMO_PASSWORD, DocumentPage, EditorPage, MeetingPage, ThreadPage
from .test_accessibility import expect_no_axe_violations

# The other journeys follow Giulia and Paolo in "Revisione linee guida" and count their unread
# messages and notifications: the keyboard journeys keep to a group of their own.
OPERATOR = "davide.moretti@tavolo.example"  # member of the settling-in group
COLLEAGUE = "paolo.conti@tavolo.example"  # member too: makes the conflict happen
GROUP = "Ambientamento del bambino in Spazio Neutro"
LEAD = "giulia.ferri@tavolo.example"  # leads "Revisione linee guida" and its meeting
MEETING = "Revisione linee guida: le finalità"  # next week's, led by the lead
MOST_TABS = 250  # a page's whole tab order, and then some


# Runs before the page's scripts: records the text of the live region at each change.
WATCH_LIVE_REGION = """
window.__liveChanges = [];
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("alerts");
  if (!region) return;
  new MutationObserver(() => window.__liveChanges.push(region.textContent))
    .observe(region, {childList: true, subtree: true, characterData: true});
});
"""


def focused(page: Page) -> str:
    """What has the focus, described for a failure message."""
    return page.evaluate(
        """() => { const e = document.activeElement;
            if (!e || e === document.body) return 'nothing (the page itself)';
            return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' «'
                + (e.getAttribute('aria-label') || e.textContent || e.value || '')
                    .trim().replace(/\\s+/g, ' ').slice(0, 60) + '»'; }"""
    )


def has_focus(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def expect_focus_visible(page: Page) -> None:
    """The focused element shows it: an outline, or a box shadow, that is not nothing."""
    style = page.evaluate(
        """() => { const e = document.activeElement;
            if (!e || e === document.body) return null;
            const s = getComputedStyle(e);
            return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    shadow: s.boxShadow}; }"""
    )
    assert style is not None, "the focus is on nothing"
    visible = (style["outline"] != "none" and style["width"] >= 2) or style["shadow"] != "none"
    assert visible, f"no visible focus on {focused(page)}: {style}"


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus, checking on the way that each
    stop shows its focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MOST_TABS):
        page.keyboard.press(key)
        if has_focus(target):
            expect_focus_visible(page)
            return
    raise AssertionError(f"{MOST_TABS} presses of {key} never reached {target}")


def expect_focus_on(page: Page, target: Locator) -> None:
    expect(target).to_be_visible()
    page.wait_for_function(
        "element => element === document.activeElement", arg=target.element_handle()
    )
    expect_focus_visible(page)


def sign_in_by_keyboard(page: Page, email: str) -> None:
    page.goto("/accedi")
    email_field = page.get_by_label(re.compile(r"^E-mail"))
    expect_focus_on(page, email_field)  # the form starts where the typing starts
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Ciao "))


def follow(page: Page, link: Locator) -> None:
    tab_to(page, link)
    page.keyboard.press("Enter")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page):
    sign_in_by_keyboard(page, OPERATOR)
    page.goto("/gruppi/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Vai al contenuto")
    assert has_focus(skip), f"the first Tab reached {focused(page)}"
    expect_focus_visible(page)
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0, "the skip link stays hidden"
    page.keyboard.press("Enter")
    expect_focus_on(page, page.get_by_role("main"))
    # The next Tab goes into the content, past the header and its navigation.
    page.keyboard.press("Tab")
    inside = page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    assert inside, f"after the skip link, Tab went to {focused(page)}"


def test_an_operator_opens_a_discussion_and_replies_with_the_keyboard_only(page, screenshot):
    sign_in_by_keyboard(page, OPERATOR)
    follow(page, page.get_by_role("link", name=GROUP, exact=True).first)
    expect(page.get_by_role("heading", level=1)).to_have_text(GROUP)
    follow(page, page.get_by_role("link", name="Nuova discussione"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nuova discussione")
    title = f"Orari del sabato ({uuid.uuid4().hex[:6]})"
    tab_to(page, page.get_by_label(re.compile(r"^Titolo")))
    page.keyboard.type(title)
    tab_to(page, page.get_by_label(re.compile(r"^Messaggio")))
    page.keyboard.type("Proviamo ad anticipare gli incontri del sabato alle 9?")
    follow(page, page.get_by_role("button", name="Apri la discussione"))
    thread = ThreadPage(page)
    expect(thread.heading).to_have_text(title)

    # Sent empty: the error summary takes the focus and is read out; its link leads to the field.
    publish = page.get_by_role("button", name="Pubblica la risposta")
    tab_to(page, publish)
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert").filter(has_text="Controlla i campi segnalati")
    expect_focus_on(page, summary)
    screenshot("reply-refused")
    expect_no_axe_violations(page, "reply refused, after the swap")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect_focus_on(page, thread.body)

    reply = f"Risposta scritta solo con la tastiera ({uuid.uuid4().hex[:6]})."
    page.keyboard.type(reply)
    tab_to(page, publish)
    page.keyboard.press("Enter")
    expect(page.get_by_role("article").filter(has_text=reply)).to_have_count(1)
    # The live region says so, and the focus is on the fresh form's heading, not lost.
    expect(page.get_by_role("status").filter(has_text="Risposta pubblicata.")).to_be_visible()
    expect_focus_on(page, page.get_by_role("heading", name="Rispondi", exact=True))
    screenshot("reply-published")
    expect_no_axe_violations(page, "reply published, after the swap")
    # The new message arrived inside the thread's live region, which announces it.
    live = page.locator("[aria-live=polite]").filter(has=page.get_by_text(reply))
    expect(live).to_have_count(1)
    # From there, the next Tab is the empty message field again.
    page.keyboard.press("Tab")
    assert has_focus(thread.body), f"Tab after publishing went to {focused(page)}"
    expect(thread.body).to_have_value("")


def test_an_operator_writes_a_document_and_meets_a_conflict_with_the_keyboard_only(
    page, signed_in, screenshot
):
    title = f"Scheda di accoglienza {uuid.uuid4().hex[:6]}"
    page.add_init_script(WATCH_LIVE_REGION)
    sign_in_by_keyboard(page, OPERATOR)
    follow(page, page.get_by_role("link", name=GROUP, exact=True).first)
    expect(page.get_by_role("heading", level=1)).to_have_text(GROUP)

    # A new document, sent first without a title.
    follow(page, page.get_by_role("link", name="Nuovo documento"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nuovo documento")
    create = page.get_by_role("button", name="Crea il documento")
    tab_to(page, create)
    page.keyboard.press("Enter")
    expect_focus_on(page, page.get_by_role("alert").filter(has_text="Controlla i campi"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect_focus_on(page, page.get_by_label(re.compile(r"^Titolo")))
    page.keyboard.type(title)
    tab_to(page, page.get_by_label("Testo", exact=True))
    page.keyboard.type("# Accoglienza\n\nIl bambino arriva con l'educatore.\n")
    tab_to(page, create)
    page.keyboard.press("Enter")
    document = DocumentPage(page)
    expect(document.heading).to_have_text(title)
    expect(page.get_by_role("status")).to_contain_text("creato")

    # The editor, by keyboard; meanwhile the lead changes the same line and saves first.
    follow(page, page.get_by_role("link", name="Modifica", exact=True))
    editor = EditorPage(page)
    expect(editor.heading).to_have_text(re.compile(r"^\s*Modifica «"))
    # With JavaScript the toolbar and the live preview are there; the preview's first load is
    # a background request and leaves the focus alone (it is on nothing yet).
    expect(page.get_by_role("toolbar", name="Formattazione")).to_be_visible()
    expect(editor.preview).to_contain_text("Il bambino arriva")
    assert focused(page) == "nothing (the page itself)", f"the preview took {focused(page)}"
    other = signed_in(COLLEAGUE)
    other.goto(page.url)
    other_editor = EditorPage(other)
    other_editor.replace("con l'educatore", "con l'assistente sociale")
    other_editor.save("Chi accompagna il bambino")
    expect(DocumentPage(other).heading).to_have_text(title)

    tab_to(page, editor.text)
    page.keyboard.press("Control+Home")
    for _ in range(2):  # the title, the blank line, then the sentence the lead changed
        page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.type(" Lo accoglie l'operatrice del servizio.")
    tab_to(page, page.get_by_role("button", name="Salva", exact=True))
    page.keyboard.press("Enter")

    # The conflict page opens with the focus on the conflict, which is read first.
    expect_focus_on(page, editor.conflict)
    screenshot("conflict")
    expect_no_axe_violations(page, "conflict")
    tab_to(page, editor.text)
    page.keyboard.press("Control+a")
    page.keyboard.type(
        "# Accoglienza\n\nIl bambino arriva con l'assistente sociale. "
        "Lo accoglie l'operatrice del servizio.\n"
    )
    tab_to(page, page.get_by_role("button", name="Salva", exact=True))
    page.keyboard.press("Enter")
    expect(document.heading).to_have_text(title)
    # The message the page arrives with is said again in the live region once it has loaded
    # (a screen reader announces changes, not what was there): the observer installed before
    # the page's own scripts sees it written.
    expect(page.get_by_role("status")).to_contain_text("Versione 3 salvata")
    page.wait_for_function(
        "() => (window.__liveChanges || []).some(text => text.includes('Versione 3 salvata'))"
    )
    expect(page.get_by_role("main")).to_contain_text("Lo accoglie l'operatrice del servizio.")
    screenshot("saved")


def test_a_lead_adds_to_a_meetings_agenda_with_the_keyboard_only(page, screenshot):
    """The agenda is a region of the meeting page that htmx replaces on each post: after the
    refusal and after the addition the focus is inside the new region, never back at the top
    of the page."""
    sign_in_by_keyboard(page, LEAD)
    follow(page, page.get_by_role("link", name=MEETING, exact=True).first)
    meeting = MeetingPage(page)
    expect(meeting.heading).to_contain_text(MEETING)

    add = meeting.agenda.get_by_role("button", name="Aggiungi all'ordine del giorno")
    tab_to(page, add)
    page.keyboard.press("Enter")  # no topic: refused, with the message in the region
    expect_focus_on(page, meeting.error_summary(meeting.agenda))
    screenshot("agenda-refused")
    expect_no_axe_violations(page, "agenda item refused, after the swap")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    topic_field = meeting.agenda.get_by_label(re.compile(r"^Argomento"))
    expect_focus_on(page, topic_field)

    topic = f"Tempi di consegna dei testi ({uuid.uuid4().hex[:6]})"
    page.keyboard.type(topic)
    tab_to(page, add)
    page.keyboard.press("Enter")
    expect(meeting.agenda_items.filter(has_text=topic)).to_have_count(1)
    page.wait_for_function(
        "() => document.activeElement !== document.body"
        " && document.querySelector('#main').contains(document.activeElement)"
    )
    inside = meeting.agenda.evaluate("region => region.contains(document.activeElement)")
    assert inside, f"after the addition the focus is on {focused(page)}"
    expect_focus_visible(page)
    screenshot("agenda-added")
    expect_no_axe_violations(page, "agenda item added, after the swap")
