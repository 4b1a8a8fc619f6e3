"""The foundation as people use it: sign in, find your groups, manage members, browse services."""

import re

from playwright.sync_api import expect

from .pages import DirectoryPage, GroupPage, LoginPage

COORDINATOR = "coordinatrice@tavolo.example"
OPERATOR = "giulia.ferri@tavolo.example"
EXTERNAL = "elena.marchi@tavolo.example"

GUIDELINES = "Revisione linee guida"
AMA = "Gruppo genitori auto mutuo aiuto (AMA)"
JOINT = "Genitori affidatari e Spazio Neutro"


def test_operator_sees_her_groups_and_their_members(page, screenshot):
    login = LoginPage(page).goto()
    screenshot("login")
    home = login.login(OPERATOR)
    expect(home.heading).to_have_text("Ciao Giulia Ferri")
    assert sorted(home.group_names()) == sorted([GUIDELINES, AMA])
    screenshot("home")

    group = home.open_group(GUIDELINES)
    expect(page).to_have_url(re.compile(r"/gruppi/revisione-linee-guida$"))
    expect(group.member("Paolo Conti")).to_contain_text("Spazio neutro CTA (Legnano)")
    expect(group.member("Giulia Ferri")).to_contain_text(
        "Spazio neutro-Comune Mi Ghenos Spazio Aperto Servizi (Milano)"
    )
    expect(group.member("Giulia Ferri")).to_contain_text("referente")
    screenshot("group")


def test_external_participant_sees_only_the_joint_group(page, screenshot):
    home = LoginPage(page).goto().login(EXTERNAL)
    assert home.group_names() == [JOINT]
    expect(home.main_nav.get_by_role("link", name="Servizi")).to_have_count(0)
    screenshot("home")

    response = page.goto("/gruppi/revisione-linee-guida")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina non trovata")
    expect(page.get_by_text("Revisione linee guida")).to_have_count(0)
    screenshot("not-found")


def test_lead_adds_a_member_in_place(page, screenshot):
    home = LoginPage(page).goto().login(OPERATOR)
    group = home.open_group(GUIDELINES)
    assert "Sara Galli" not in group.member_names()
    before = group.members.count()
    screenshot("before")

    url = page.url
    # Survives only if the page is not reloaded: htmx swaps the members region in place.
    page.evaluate("window.e2eNoReload = true")
    group.add_member("Sara Galli")

    expect(group.member("Sara Galli")).to_be_visible()
    expect(group.member("Sara Galli")).to_contain_text("Cernusco sul Naviglio")
    expect(group.alerts).to_contain_text("Sara Galli aggiunto al gruppo.")
    expect(group.members).to_have_count(before + 1)
    expect(group.members_heading).to_contain_text(f"({before + 1})")
    assert page.url == url
    assert page.evaluate("window.e2eNoReload") is True
    screenshot("after")

    # The region was replaced, not nested in itself, and no longer offers the new member.
    expect(group.members_region).to_have_count(1)
    expect(group.candidate("Sara Galli")).to_have_count(0)

    page.reload()
    expect(GroupPage(page).member("Sara Galli")).to_be_visible()


def test_coordinator_browses_the_services(page, screenshot):
    home = LoginPage(page).goto().login(COORDINATOR)
    expect(home.heading).to_have_text("Ciao Laura Bianchi")
    home.go_to("Servizi")

    directory = DirectoryPage(page)
    expect(directory.heading).to_have_text("Servizi della rete")
    expect(directory.tables).to_have_count(2)
    for caption in ("Servizi provinciali", "Servizi extra-provinciali"):
        expect(directory.service_rows(directory.table(caption))).to_have_count(12)
    screenshot("services")


def test_first_tab_reaches_the_skip_link(page, screenshot):
    # Not on the sign-in page: it puts the focus in the e-mail field on load.
    LoginPage(page).goto().login(OPERATOR)
    page.reload()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Vai al contenuto")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    screenshot("skip-link", full_page=False)

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.get_by_role("main")).to_be_focused()
