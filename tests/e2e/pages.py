"""Page objects for the browser journeys: what a person sees and does, by role and label.

Locators go through the accessibility tree (roles, accessible names, labels), so a journey that
passes here is also one that a screen-reader user can follow.
"""

import re

from playwright.sync_api import Locator, Page, expect

DEMO_PASSWORD = "spazio-neutro-demo"


class BasePage:
    def __init__(self, page: Page):
        self.page = page

    @property
    def main_nav(self) -> Locator:
        return self.page.get_by_role("navigation", name="Navigazione principale")

    @property
    def alerts(self) -> Locator:
        """The live region where flash messages and htmx errors appear."""
        return self.page.get_by_role("status")

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    def go_to(self, section: str) -> None:
        self.main_nav.get_by_role("link", name=section, exact=True).click()

    def logout(self) -> "LoginPage":
        self.page.get_by_role("button", name="Esci").click()
        return LoginPage(self.page)


class LoginPage(BasePage):
    path = "/accedi"

    def goto(self) -> "LoginPage":
        self.page.goto(self.path)
        return self

    @property
    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert")

    def submit(self, email: str, password: str) -> None:
        # Labels of required fields end with "(obbligatorio)".
        self.page.get_by_label(re.compile(r"^E-mail")).fill(email)
        self.page.get_by_label(re.compile(r"^Password")).fill(password)
        self.page.get_by_role("button", name="Accedi", exact=True).click()

    def login(self, email: str, password: str = DEMO_PASSWORD) -> "HomePage":
        self.submit(email, password)
        home = HomePage(self.page)
        expect(home.heading).to_have_text(re.compile(r"^Ciao "))
        return home


class HomePage(BasePage):
    path = "/"

    def goto(self) -> "HomePage":
        self.page.goto(self.path)
        return self

    @property
    def groups_section(self) -> Locator:
        title = re.compile(r"^(I tuoi gruppi|Gruppi di lavoro)$")
        return self.page.get_by_role("region", name=title)

    @property
    def group_links(self) -> Locator:
        return self.groups_section.get_by_role("link")

    def group_names(self) -> list[str]:
        return [name.strip() for name in self.group_links.all_inner_texts()]

    def open_group(self, name: str) -> "GroupPage":
        return GroupPage.open(self.page, name)


class GroupPage(BasePage):
    @classmethod
    def open(cls, page: Page, name: str) -> "GroupPage":
        """Click the group's name wherever it is listed (home page or groups list)."""
        page.get_by_role("link", name=name, exact=True).click()
        group = cls(page)
        expect(group.heading).to_have_text(name)
        return group

    @property
    def members_region(self) -> Locator:
        return self.page.get_by_role("region", name=re.compile(r"^Componenti"))

    @property
    def members(self) -> Locator:
        return self.members_region.get_by_role("list").first.get_by_role("listitem")

    @property
    def members_heading(self) -> Locator:
        return self.members_region.get_by_role("heading", level=2)

    def candidate(self, name: str) -> Locator:
        """The option for a person in the "add a person" list, which reads "Name · Service"."""
        person = self.members_region.get_by_label("Persona", exact=True)
        return person.get_by_role("option", name=re.compile(rf"^{re.escape(name)}\b"))

    def member(self, name: str) -> Locator:
        return self.members.filter(has_text=name)

    def member_names(self) -> list[str]:
        return [text.strip() for text in self.members.locator(".person__name").all_inner_texts()]

    def open_manage(self, name: str) -> Locator:
        """Open the "Gestisci" disclosure of one member; returns the member's list item."""
        member = self.member(name)
        member.get_by_text("Gestisci").click()
        expect(member.get_by_role("button", name="Cambia ruolo")).to_be_visible()
        return member

    def add_member(self, name: str, role: str = "Componente") -> None:
        person = self.members_region.get_by_label("Persona", exact=True)
        person.select_option(self.candidate(name).get_attribute("value"))
        self.members_region.get_by_label("Ruolo nel gruppo", exact=True).select_option(label=role)
        self.members_region.get_by_role("button", name="Aggiungi al gruppo").click()


class GroupsPage(BasePage):
    path = "/gruppi/"

    def goto(self) -> "GroupsPage":
        self.page.goto(self.path)
        return self


class DirectoryPage(BasePage):
    path = "/servizi/"

    def goto(self) -> "DirectoryPage":
        self.page.goto(self.path)
        return self

    @property
    def tables(self) -> Locator:
        return self.page.get_by_role("table")

    def table(self, caption: str) -> Locator:
        return self.page.get_by_role("table", name=caption, exact=True)

    def service_rows(self, table: Locator) -> Locator:
        """The body rows: one per service, the header row left out."""
        return table.get_by_role("rowgroup").nth(1).get_by_role("row")
