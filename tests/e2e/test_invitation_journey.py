"""The foundation's "done when": a coordinator invites a colleague, who sets a password,
signs in in Italian and sees exactly their groups and the 24 services."""

import re

from playwright.sync_api import expect

from tests.e2e.pages import DEMO_PASSWORD, DirectoryPage, HomePage, LoginPage

COORDINATOR = "coordinatrice@tavolo.example"
EXTERNAL = "elena.marchi@tavolo.example"
COLLEAGUE = "chiara.neri@comune-legnano.example.it"


def test_invited_colleague_joins_and_sees_her_groups_and_the_directory(
    page, new_page, live_server, live_outbox, screenshot
):
    LoginPage(page).goto().login(COORDINATOR)
    page.get_by_role("link", name="Inviti").click()
    page.get_by_role("link", name="Invita una persona").click()
    page.get_by_label(re.compile(r"^Nome e cognome")).fill("Chiara Neri")
    page.get_by_label(re.compile(r"^E-mail")).fill(COLLEAGUE)
    page.get_by_label(re.compile(r"^Ruolo nel tavolo")).select_option("operator")
    page.get_by_label("Servizio", exact=True).select_option(label="Spazio neutro CTA (Legnano)")
    page.get_by_role("checkbox", name="Revisione linee guida").check()
    screenshot("invitation-form")
    page.get_by_role("button", name="Invia l'invito").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invito inviato a {COLLEAGUE}")
    expect(page.get_by_role("row", name=re.compile("Chiara Neri"))).to_contain_text("In attesa")
    screenshot("invitation-sent")

    (mail,) = live_outbox(COLLEAGUE)
    link = re.search(r"https?://\S+/invito/\S+", mail.get_content()).group(0)

    colleague = new_page()
    colleague.goto(link)
    expect(colleague.get_by_role("heading", level=1)).to_have_text(
        "Benvenuto in Tavolo, Chiara Neri"
    )
    colleague.get_by_label(re.compile(r"^Nuova password")).fill("tavola-rotonda-di-noce")
    colleague.get_by_label(re.compile(r"^Ripeti la nuova password")).fill("tavola-rotonda-di-noce")
    screenshot("accept-invitation", target=colleague)
    colleague.get_by_role("button", name="Entra in Tavolo").click()

    home = HomePage(colleague)
    expect(home.heading).to_have_text("Ciao Chiara Neri")
    assert home.group_names() == ["Revisione linee guida"]
    screenshot("colleague-home", target=colleague)

    # Signs out and in again: Italian, the same groups.
    home.logout()
    LoginPage(colleague).login(COLLEAGUE, "tavola-rotonda-di-noce")
    assert colleague.evaluate("document.documentElement.lang") == "it"
    assert HomePage(colleague).group_names() == ["Revisione linee guida"]

    directory = DirectoryPage(colleague).goto()
    provincial = directory.table("Servizi provinciali")
    extra = directory.table("Servizi extra-provinciali")
    expect(directory.service_rows(provincial)).to_have_count(12)
    expect(directory.service_rows(extra)).to_have_count(12)
    expect(directory.service_rows(provincial).filter(has_text="Legnano")).to_contain_text(
        "Chiara Neri"
    )
    screenshot("colleague-directory", target=colleague)

    # The invitation shows as accepted to the coordinator.
    page.reload()
    expect(page.get_by_role("row", name=re.compile("Chiara Neri"))).to_contain_text("Accettato")

    # The external participant, meanwhile, sees only the joint group.
    external = new_page()
    LoginPage(external).goto().login(EXTERNAL, DEMO_PASSWORD)
    assert HomePage(external).group_names() == ["Genitori affidatari e Spazio Neutro"]
    expect(external.get_by_role("link", name="Servizi")).to_have_count(0)
    screenshot("external-home", target=external)
