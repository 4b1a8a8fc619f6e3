"""Reading and the main actions work without JavaScript (issue 9); with it, an htmx request that
takes longer than a blink shows its progress.

Without JavaScript every address is a full page, every link a plain link and every form a
plain form: a person on a locked-down office PC reads the documents, the discussions, the
meetings and the activity, and can still reply and save.
"""

import re
import uuid

import pytest
from playwright.sync_api import Page, Route, expect

from .pages import DEMO_PASSWORD, LoginPage

OPERATOR = "paolo.conti@tavolo.example"
GROUP = "Revisione linee guida"
DOCUMENT = "Linee guida della rete Spazio Neutro: testo di partenza"
# Writing happens in a group of its own: the other journeys count unread messages in theirs.
WRITING_GROUP = "Ambientamento del bambino in Spazio Neutro"
MEETING = "Revisione linee guida: le finalità"


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="it-IT", java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def open_link(page: Page, name: str, heading: str | re.Pattern) -> None:
    page.get_by_role("main").get_by_role("link", name=name, exact=True).first.click()
    expect(page.get_by_role("heading", level=1).first).to_have_text(heading)


def create_document(page: Page, title: str) -> None:
    """A document of the writing group (opening an editor marks its author as editing: the
    demo documents are left to the other journeys)."""
    page.goto("/gruppi/")
    open_link(page, WRITING_GROUP, WRITING_GROUP)
    page.get_by_role("link", name="Nuovo documento").click()
    page.get_by_label(re.compile(r"^Titolo")).fill(title)
    page.get_by_label("Testo", exact=True).fill("# Turni\n\nIl sabato apre alle 9.\n")
    page.get_by_role("button", name="Crea il documento").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_an_operator_reads_and_replies_without_javascript(no_js_page, screenshot):
    page = no_js_page
    assert page.evaluate("1 + 1") == 2  # Playwright's own evaluation still works...
    page.goto("/accedi")
    assert page.evaluate("typeof window.htmx") == "undefined"  # ...but the page's scripts do not
    LoginPage(page).login(OPERATOR, DEMO_PASSWORD)

    open_link(page, GROUP, GROUP)
    # The group page: its panels are in the page itself, not loaded afterwards.
    for panel in ("Documenti", "Discussioni", "Prossimi incontri"):
        expect(page.get_by_role("region", name=panel, exact=True)).to_be_visible()

    open_link(page, DOCUMENT, DOCUMENT)
    expect(page.get_by_role("article")).to_contain_text("Spazio Neutro")
    page.get_by_role("link", name="Versioni", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Versioni di «"))
    history = page.get_by_role("table", name="Versioni del documento, dalla più recente")
    expect(history).to_be_visible()
    screenshot("history", target=page)
    # Comparing two versions is a plain form (GET) too.
    page.get_by_role("radio", name="Confronta dalla versione 1", exact=True).check()
    page.get_by_role("radio", name=re.compile(r"^Confronta fino alla versione")).first.check()
    page.get_by_role("button", name="Confronta le versioni scelte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("confronto tra la versione 1")
    screenshot("compare", target=page)

    page.goto("/gruppi/")
    open_link(page, WRITING_GROUP, WRITING_GROUP)
    page.get_by_role("link", name="Nuova discussione").click()
    title = f"Turni di dicembre ({uuid.uuid4().hex[:6]})"
    page.get_by_label(re.compile(r"^Titolo")).fill(title)
    page.get_by_label(re.compile(r"^Messaggio")).fill("Chi copre il turno del 27?")
    page.get_by_role("button", name="Apri la discussione").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("article").first).to_contain_text("Chi copre il turno del 27?")
    # What only works with JavaScript is not offered: no button that does nothing.
    mention = page.get_by_label("Menziona qualcuno del gruppo")
    expect(mention).to_have_count(1)
    expect(mention).to_be_hidden()
    reply = f"Risposta senza JavaScript ({uuid.uuid4().hex[:6]})."
    page.get_by_label(re.compile(r"^Messaggio")).fill(reply)
    page.get_by_role("button", name="Pubblica la risposta").click()
    # A full page again, with the reply and the confirmation.
    expect(page.get_by_role("article").filter(has_text=reply)).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("Risposta pubblicata.")
    screenshot("replied", target=page)

    # A new document and its editor: what needs JavaScript is not offered.
    create_document(page, f"Turni e sostituzioni ({uuid.uuid4().hex[:6]})")
    page.get_by_role("link", name="Modifica", exact=True).click()
    expect(page.get_by_label("Testo", exact=True)).to_be_visible()
    for hidden in (
        page.get_by_role("toolbar", name="Formattazione", include_hidden=True),
        page.get_by_role("heading", name="Anteprima", include_hidden=True),
    ):
        expect(hidden).to_have_count(1)  # in the page, not shown
        expect(hidden).to_be_hidden()
    screenshot("editor", target=page)

    page.goto("/gruppi/revisione-linee-guida")
    page.get_by_role("region", name="Prossimi incontri", exact=True).get_by_role(
        "link", name=MEETING, exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(MEETING)
    expect(page.get_by_role("region", name="Ordine del giorno", exact=True)).to_be_visible()

    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Attività", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Attività"))
    expect(page.get_by_role("main").get_by_role("listitem").first).to_be_visible()

    page.goto("/cerca")
    page.get_by_role("searchbox").fill("finalità")
    page.get_by_role("button", name="Cerca", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cerca\?.*q=finalit"))
    expect(page.locator("#search-results").get_by_role("link").first).to_be_visible()
    screenshot("search", target=page)


def test_a_slow_request_shows_its_progress(signed_in, screenshot):
    """A request held back (as on a slow network): the bar at the top grows, the region it will
    replace is marked busy; once the answer arrives both are gone."""
    page = signed_in(OPERATOR)
    page.goto("/cerca")
    held: list[Route] = []
    holding = True

    def hold(route: Route) -> None:
        if holding:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/cerca\?"), hold)

    page.get_by_role("searchbox").fill("finalità")
    page.wait_for_function("() => document.body.classList.contains('is-busy')")
    expect(page.locator("#search-results")).to_have_attribute("aria-busy", "true")
    # After the blink the bar has grown: wide enough to be seen.
    page.wait_for_function(
        "() => document.querySelector('.progress').getBoundingClientRect().width > 100"
    )
    screenshot("in-flight", target=page, full_page=False)
    assert held, "the search request never left"

    holding = False
    for route in held:
        route.continue_()
    expect(page.locator("#search-results").get_by_role("link").first).to_be_visible()
    page.wait_for_function("() => !document.body.classList.contains('is-busy')")
    expect(page.locator("#search-results")).not_to_have_attribute("aria-busy", "true")
    width = page.evaluate("document.querySelector('.progress').getBoundingClientRect().width")
    assert width == 0
    # The search box kept the focus while the results were swapped in.
    expect(page.get_by_role("searchbox")).to_be_focused()


def test_a_comparison_does_not_rely_on_colour(signed_in, screenshot):
    """What was removed and what was added read apart without colour: a − or + in the margin,
    struck-through and underlined words, and the words "Tolto:" and "Aggiunto:" for screen
    readers. Checked with the page in greyscale, as a person who cannot tell red from green
    would see it."""
    page = signed_in(OPERATOR)
    page.goto("/gruppi/revisione-linee-guida")
    open_link(page, DOCUMENT, DOCUMENT)
    page.get_by_role("link", name="Versioni", exact=True).click()
    page.get_by_role("radio", name="Confronta dalla versione 1", exact=True).check()
    page.get_by_role("radio", name=re.compile(r"^Confronta fino alla versione")).first.check()
    page.get_by_role("button", name="Confronta le versioni scelte").click()
    table = page.get_by_role("table", name=re.compile(r"^Differenze tra la versione"))
    expect(table).to_be_visible()
    page.evaluate("document.documentElement.style.filter = 'grayscale(100%)'")
    screenshot("compare-in-greyscale", target=page)

    rows = page.evaluate(
        """() => [...document.querySelectorAll('.diff tbody tr')]
            .filter(row => /diff__row--(insert|delete)/.test(row.className))
            .map(row => ({kind: row.className.includes('insert') ? 'insert' : 'delete',
                          sign: (row.querySelector('.sign') || {}).textContent || '',
                          spoken: row.textContent}))"""
    )
    assert rows, "the comparison shows no added or removed line"
    for row in rows:
        assert row["sign"].strip() == {"insert": "+", "delete": "−"}[row["kind"]], row
        assert {"insert": "Aggiunto:", "delete": "Tolto:"}[row["kind"]] in row["spoken"], row
    decorations = page.evaluate(
        """() => ({
            ins: [...document.querySelectorAll('.diff ins')]
                .map(e => getComputedStyle(e).textDecorationLine),
            del: [...document.querySelectorAll('.diff del')]
                .map(e => getComputedStyle(e).textDecorationLine)})"""
    )
    assert all("underline" in line for line in decorations["ins"]), decorations
    assert all("line-through" in line for line in decorations["del"]), decorations


ERROR_FRAGMENT = '<div class="alert alert--error" role="alert">Errore di prova.</div>'
RETARGETED = {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML", "Content-Type": "text/html"}


def test_a_failed_request_ends_its_busy_state_and_leaves_the_focus(signed_in):
    """An error answer goes to the alert area, not to the region the request was for: that
    region is no longer busy all the same, and the person's focus stays where they are
    typing (the alert is announced by its role)."""
    page = signed_in(OPERATOR)
    page.goto("/cerca")
    page.route(
        re.compile(r"/cerca\?"),
        lambda route: route.fulfill(status=500, headers=RETARGETED, body=ERROR_FRAGMENT),
    )
    page.get_by_role("searchbox").fill("finalità")
    expect(page.locator("#alerts").get_by_role("alert")).to_have_text("Errore di prova.")
    page.wait_for_function("() => !document.body.classList.contains('is-busy')")
    expect(page.locator("#search-results")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("searchbox")).to_be_focused()


def test_a_background_request_that_fails_does_not_take_the_focus(signed_in):
    """The editor's preview follows the typing in the background: if its answer is an error,
    the message appears, and the typing goes on in the text."""
    page = signed_in(OPERATOR)
    create_document(page, f"Turni di gennaio ({uuid.uuid4().hex[:6]})")
    page.get_by_role("link", name="Modifica", exact=True).click()
    text = page.get_by_label("Testo", exact=True)
    expect(page.locator("#preview")).not_to_be_empty()
    page.route(
        re.compile(r"/anteprima"),
        lambda route: route.fulfill(status=500, headers=RETARGETED, body=ERROR_FRAGMENT),
    )
    text.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Prova")
    expect(page.locator("#alerts").get_by_role("alert")).to_have_text("Errore di prova.")
    expect(text).to_be_focused()
    page.keyboard.type(" continua")
    expect(text).to_have_value(re.compile(r"Prova continua$"))
