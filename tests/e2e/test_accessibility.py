"""Every page of the foundation, audited with axe-core and checked for sideways scrolling.

axe runs with all its default rules and every impact level counts: a "minor" finding is still
something a person with a screen reader or a keyboard trips over. The app's CSP allows only
its own scripts, so axe is evaluated through the DevTools protocol rather than a script tag.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .pages import DirectoryPage, GroupPage, GroupsPage, LoginPage

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-4.11.4.min.js").read_text(encoding="utf-8")

COORDINATOR = "coordinatrice@tavolo.example"
LEAD = "giulia.ferri@tavolo.example"  # operator, lead of "Revisione linee guida"
PHONE_WIDTH = 360


@dataclass(frozen=True)
class Scenario:
    name: str
    signed_in_as: str | None
    reach: Callable[[Page], None]

    def __str__(self) -> str:
        return self.name


def visit(path: str, status: int = 200) -> Callable[[Page], None]:
    def reach(page: Page) -> None:
        response = page.goto(path)
        assert response is not None and response.status == status, (path, response)

    return reach


def login_empty(page: Page) -> None:
    login = LoginPage(page).goto()
    login.page.get_by_role("button", name="Accedi", exact=True).click()
    expect(login.error_summary).to_be_visible()


def login_failed(page: Page) -> None:
    # An address that has no account: the demo accounts must not collect failed attempts.
    login = LoginPage(page).goto()
    login.submit("nessuno@tavolo.example", "password-sbagliata")
    expect(login.error_summary).to_contain_text("E-mail o password non corretti.")


def group_as_lead(page: Page) -> None:
    GroupsPage(page).goto()
    GroupPage.open(page, "Revisione linee guida")


def group_manage_open(page: Page) -> None:
    group_as_lead(page)
    GroupPage(page).open_manage("Paolo Conti")


def services(page: Page) -> None:
    directory = DirectoryPage(page).goto()
    expect(directory.tables).to_have_count(2)


def person_edit(page: Page) -> None:
    page.goto("/persone")
    page.get_by_role("link", name="Paolo Conti", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paolo Conti")


def invitations_with_one_sent(page: Page) -> None:
    # The demo data has no invitations: send one so that the table itself is audited.
    page.goto("/inviti/nuovo")
    page.get_by_label("Nome e cognome").fill("Chiara Rossi")
    page.get_by_label("E-mail").fill(f"chiara.rossi.{uuid.uuid4().hex[:8]}@tavolo.example")
    page.get_by_label("Servizio", exact=True).select_option(label="Spazio neutro CTA (Legnano)")
    page.get_by_role("checkbox", name="Revisione linee guida").check()
    page.get_by_role("button", name="Invia l'invito").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inviti")
    expect(page.get_by_role("status")).to_contain_text("Invito inviato a chiara.rossi.")
    expect(page.get_by_role("table")).to_be_visible()


def invitation_empty(page: Page) -> None:
    page.goto("/inviti/nuovo")
    page.get_by_role("button", name="Invia l'invito").click()
    expect(page.get_by_role("alert")).to_be_visible()


SCENARIOS = [
    Scenario("login", None, visit("/accedi")),
    Scenario("login-empty", None, login_empty),
    Scenario("login-failed", None, login_failed),
    Scenario("home", LEAD, visit("/")),
    Scenario("groups", COORDINATOR, visit("/gruppi/")),
    Scenario("group-as-lead", LEAD, group_as_lead),
    Scenario("group-manage-open", LEAD, group_manage_open),
    Scenario("services", COORDINATOR, services),
    Scenario("people", COORDINATOR, visit("/persone")),
    Scenario("person-edit", COORDINATOR, person_edit),
    Scenario("invitations", COORDINATOR, invitations_with_one_sent),
    Scenario("invitation-new", COORDINATOR, visit("/inviti/nuovo")),
    Scenario("invitation-new-errors", COORDINATOR, invitation_empty),
    Scenario("profile", LEAD, visit("/profilo")),
    Scenario("change-password", LEAD, visit("/profilo/password")),
    Scenario("not-found", LEAD, visit("/gruppi/non-esiste", status=404)),
]


def arrive(page: Page, scenario: Scenario) -> None:
    if scenario.signed_in_as:
        LoginPage(page).goto().login(scenario.signed_in_as)
    scenario.reach(page)
    page.wait_for_load_state("load")


def axe_violations(page: Page) -> list[dict]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }"""
    )


def describe(violations: list[dict], where: str) -> str:
    lines = [f"{len(violations)} axe violation(s) on {where}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {' > '.join(map(str, node['target']))}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"      {detail}")
    return "\n".join(lines)


def expect_no_axe_violations(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations, where)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_no_axe_violations(scenario, page, screenshot):
    arrive(page, scenario)
    screenshot("page")
    violations = axe_violations(page)
    if violations:
        report = describe(violations, f"{scenario.name} ({page.url})")
        print(report)
        pytest.fail(report, pytrace=False)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_no_horizontal_scroll_on_a_phone(scenario, new_page, screenshot):
    page = new_page(width=PHONE_WIDTH, height=740)
    arrive(page, scenario)
    screenshot(f"{PHONE_WIDTH}px", target=page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > PHONE_WIDTH + 1:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > limit)
                .map(e => e.tagName.toLowerCase()
                    + (e.id ? '#' + e.id : '')
                    + (e.className && typeof e.className === 'string'
                        ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                    + ' right=' + Math.round(e.getBoundingClientRect().right))
                .slice(0, 15)""",
            PHONE_WIDTH + 1,
        )
        pytest.fail(
            f"{scenario.name} ({page.url}) scrolls sideways at {PHONE_WIDTH}px: "
            f"scrollWidth={scroll_width}. Elements past the edge:\n  " + "\n  ".join(wide),
            pytrace=False,
        )
