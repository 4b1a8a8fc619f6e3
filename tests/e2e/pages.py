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


# -- Documents ---------------------------------------------------------------------------------


class NewDocumentPage(BasePage):
    """The "Nuovo documento" form, reached from the documents panel of a group page."""

    @classmethod
    def open_from_group(cls, group: GroupPage) -> "NewDocumentPage":
        panel = group.page.get_by_role("region", name="Documenti", exact=True)
        panel.get_by_role("link", name="Nuovo documento").click()
        form = cls(group.page)
        expect(form.heading).to_have_text("Nuovo documento")
        return form

    def create(self, title: str, body: str, description: str = "") -> "DocumentPage":
        self.page.get_by_label(re.compile(r"^Titolo")).fill(title)
        if description:
            self.page.get_by_label("Descrizione", exact=True).fill(description)
        self.page.get_by_label("Testo", exact=True).fill(body)
        self.page.get_by_role("button", name="Crea il documento").click()
        document = DocumentPage(self.page)
        expect(document.heading).to_have_text(title)
        return document


class DocumentPage(BasePage):
    """A document as it is read: the approved version by default, with a banner that says so."""

    @property
    def heading(self) -> Locator:
        """The page's title: the text's own top-level headings are h1 too, and come after it."""
        return self.page.get_by_role("heading", level=1).first

    @classmethod
    def open_from_group(cls, group: GroupPage, title: str) -> "DocumentPage":
        panel = group.page.get_by_role("region", name="Documenti", exact=True)
        panel.get_by_role("link", name=title, exact=True).click()
        document = cls(group.page)
        expect(document.heading).to_have_text(title)
        return document

    @property
    def article(self) -> Locator:
        return self.page.get_by_role("article")

    @property
    def banner(self) -> Locator:
        """The note on top of the text: approved version, current version, or neither."""
        return self.page.get_by_role("note")

    @property
    def meta(self) -> Locator:
        """ "Versione N · when · who" above the text."""
        return self.page.get_by_text(re.compile(r"^\s*Versione \d+ · "))

    @property
    def presence(self) -> Locator:
        """ "In modifica ora: …", present only while somebody else has the editor open."""
        return self.page.get_by_text(re.compile(r"^\s*In modifica ora:"))

    @property
    def toc(self) -> Locator:
        return self.page.get_by_role("navigation", name="Indice")

    @property
    def approvals(self) -> Locator:
        return self.page.get_by_role("region", name="Approvazioni")

    @property
    def downloads(self) -> Locator:
        return self.page.get_by_role("region", name=re.compile(r"^Scarica la versione"))

    def edit(self) -> "EditorPage":
        self.page.get_by_role("link", name="Modifica", exact=True).click()
        editor = EditorPage(self.page)
        expect(editor.heading).to_have_text(re.compile(r"^\s*Modifica «"))
        return editor

    def edit_section(self, title: str) -> "EditorPage":
        """The "modifica" link beside a heading in the table of contents."""
        self.toc.get_by_role("link", name=f"modifica {title}", exact=True).click()
        editor = EditorPage(self.page)
        expect(editor.heading).to_have_text(f"Modifica la sezione «{title}»")
        return editor

    def history(self) -> "HistoryPage":
        self.page.get_by_role("link", name="Versioni", exact=True).click()
        history = HistoryPage(self.page)
        expect(history.heading).to_have_text(re.compile(r"^Versioni di «"))
        return history

    def review(self) -> "ReviewPage":
        self.page.get_by_role("link", name="Da rivedere", exact=True).click()
        review = ReviewPage(self.page)
        expect(review.heading).to_have_text(re.compile(r"le modifiche da rivedere$"))
        return review


class EditorPage(BasePage):
    """The editor: the whole text or one section, with a live preview and a draft autosave."""

    @property
    def heading(self) -> Locator:
        """The page's title: the text's own top-level headings are h1 too, and come after it."""
        return self.page.get_by_role("heading", level=1).first

    @property
    def text(self) -> Locator:
        return self.page.get_by_label("Testo", exact=True)

    @property
    def summary(self) -> Locator:
        return self.page.get_by_label("Nota di modifica", exact=True)

    @property
    def preview(self) -> Locator:
        return self.page.locator("#preview")

    @property
    def draft_status(self) -> Locator:
        return self.page.get_by_role("status").filter(has_text=re.compile(r"Bozza|bozza"))

    @property
    def draft_banner(self) -> Locator:
        return self.page.get_by_role("note").filter(has_text="Hai una bozza non salvata")

    @property
    def presence(self) -> Locator:
        return self.page.get_by_text(re.compile(r"^\s*In modifica ora:"))

    @property
    def conflict(self) -> Locator:
        return self.page.get_by_role("alert", name="Modifiche in conflitto")

    def conflict_side(self, point: int, side: str) -> Locator:
        """The text of one side of conflict point ``point``: "mine" or "theirs"."""
        title = {
            "mine": "La tua versione (ora nell'editor)",
            "theirs": "La versione salvata da altri",
        }[side]
        item = self.conflict.locator(".conflict__item").filter(
            has=self.page.get_by_role("heading", name=f"Punto {point}", exact=True)
        )
        side_box = item.locator(".conflict__sides > div")
        return side_box.filter(has=self.page.get_by_role("heading", name=title)).locator("pre")

    def replace(self, old: str, new: str) -> None:
        """Change one passage of the text, as typing would (the input event fires)."""
        value = self.text.input_value()
        assert old in value, f"{old!r} is not in the editor"
        self.text.fill(value.replace(old, new, 1))

    def save(self, summary: str = "") -> None:
        if summary:
            self.summary.fill(summary)
        self.page.get_by_role("button", name="Salva", exact=True).click()

    def resume_draft(self) -> None:
        self.draft_banner.get_by_role("link", name="Riprendi la bozza").click()


class HistoryPage(BasePage):
    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="Versioni del documento, dalla più recente")

    @property
    def rows(self) -> Locator:
        return self.table.get_by_role("rowgroup").nth(1).get_by_role("row")

    def row(self, number: int) -> Locator:
        return self.rows.filter(
            has=self.page.get_by_role("rowheader").get_by_role("link", name=str(number), exact=True)
        )

    def compare(self, old: int, new: int) -> "ComparePage":
        self.page.get_by_role("radio", name=f"Confronta dalla versione {old}", exact=True).check()
        self.page.get_by_role("radio", name=f"Confronta fino alla versione {new}").check()
        self.page.get_by_role("button", name="Confronta le versioni scelte").click()
        compare = ComparePage(self.page)
        expect(compare.heading).to_contain_text(
            f"confronto tra la versione {old} e la versione {new}"
        )
        return compare


class ComparePage(BasePage):
    @property
    def views(self) -> Locator:
        return self.page.get_by_role("navigation", name="Vista del confronto")

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name=re.compile(r"^Differenze tra la versione"))

    @property
    def insertions(self) -> Locator:
        return self.table.get_by_role("insertion")

    @property
    def deletions(self) -> Locator:
        return self.table.get_by_role("deletion")

    def row_with(self, text: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=text)

    def choose(self, old: int, new: int) -> None:
        """Another pair of versions, from the form above the comparison."""
        self.page.get_by_label("Dalla versione", exact=True).fill(str(old))
        self.page.get_by_label("Alla versione", exact=True).fill(str(new))
        self.page.get_by_role("button", name="Confronta", exact=True).click()
        expect(self.heading).to_contain_text(f"tra la versione {old} e la versione {new}")

    def side_by_side(self) -> None:
        self.views.get_by_role("link", name="Affiancata").click()
        expect(self.views.get_by_role("link", name="Vista unica")).to_be_visible()

    def inline(self) -> None:
        self.views.get_by_role("link", name="Vista unica").click()
        expect(self.views.get_by_role("link", name="Affiancata")).to_be_visible()

    def open_revision(self, number: int) -> "RevisionPage":
        self.page.get_by_role("main").get_by_role(
            "link", name=f"Versione {number}", exact=True
        ).first.click()
        revision = RevisionPage(self.page)
        expect(revision.heading).to_contain_text(f"versione {number}")
        return revision


class RevisionPage(BasePage):
    @property
    def heading(self) -> Locator:
        """The page's title: the text's own top-level headings are h1 too, and come after it."""
        return self.page.get_by_role("heading", level=1).first

    @property
    def article(self) -> Locator:
        return self.page.get_by_role("article")

    def approve(self, number: int, note: str) -> DocumentPage:
        """Open "Approva questa versione" (coordinators and group leads only) and approve."""
        self.page.get_by_text("Approva questa versione", exact=True).click()
        self.page.get_by_label("Nota di approvazione", exact=True).fill(note)
        self.page.get_by_role("button", name=f"Approva la versione {number}").click()
        return DocumentPage(self.page)

    def attribution(self) -> "AttributionPage":
        self.page.get_by_role("link", name="Chi ha scritto cosa").click()
        attribution = AttributionPage(self.page)
        expect(attribution.heading).to_contain_text("chi ha scritto cosa")
        return attribution


class ReviewPage(BasePage):
    def section(self, title: str) -> Locator:
        return self.page.get_by_role("region", name=title, exact=True)


class AttributionPage(BasePage):
    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="Paragrafi e ultima modifica")

    def row_with(self, text: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=text)


# -- Discussions and notifications ---------------------------------------------------------------


class ThreadList:
    """A list of threads (the group page's panel or the discussions page): one item per thread,
    with its title as a link and badges such as "1 non letto", "fissata", "risolta"."""

    def __init__(self, container: Locator):
        self.container = container

    @property
    def items(self) -> Locator:
        return self.container.get_by_role("listitem")

    def item(self, title: str) -> Locator:
        return self.items.filter(
            has=self.container.page.get_by_role("link", name=title, exact=True)
        )

    def open(self, title: str) -> "ThreadPage":
        self.item(title).get_by_role("link", name=title, exact=True).click()
        thread = ThreadPage(self.container.page)
        expect(thread.heading).to_have_text(title)
        return thread


class DiscussionsPanel(ThreadList):
    """The "Discussioni" panel of a group page: the latest threads and "Nuova discussione"."""

    def __init__(self, group: GroupPage):
        super().__init__(group.page.get_by_role("region", name="Discussioni", exact=True))

    def new_thread(self) -> "NewThreadPage":
        self.container.get_by_role("link", name="Nuova discussione").click()
        form = NewThreadPage(self.container.page)
        expect(form.heading).to_have_text("Nuova discussione")
        return form


class DiscussionsPage(BasePage):
    """All the discussions of a group, newest activity first (pinned ones on top)."""

    @classmethod
    def goto(cls, page: Page, slug: str) -> "DiscussionsPage":
        page.goto(f"/gruppi/{slug}/discussioni/")
        discussions = cls(page)
        expect(discussions.heading).to_have_text("Discussioni")
        return discussions

    @property
    def threads(self) -> ThreadList:
        return ThreadList(self.page.get_by_role("main"))

    def new_thread(self) -> "NewThreadPage":
        self.page.get_by_role("main").get_by_role("link", name="Nuova discussione").click()
        form = NewThreadPage(self.page)
        expect(form.heading).to_have_text("Nuova discussione")
        return form


class MessageComposer(BasePage):
    """What the new-thread form and the reply form share: the message, the @mention picker and
    the attachments."""

    @property
    def body(self) -> Locator:
        return self.page.get_by_label(re.compile(r"^Messaggio"))

    @property
    def mention_input(self) -> Locator:
        return self.page.get_by_label("Menziona qualcuno del gruppo", exact=True)

    @property
    def attachments_input(self) -> Locator:
        return self.page.get_by_label("Allegati", exact=True)

    @property
    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert")

    def mention(self, name: str) -> str:
        """Type the start of a name in the picker, choose the person among its suggestions (a
        native datalist: "@handle", labelled with the name) and press "Inserisci": the @handle
        goes into the message at the cursor. Returns the handle.

        Headless Chromium draws no datalist popup to click on; choosing a suggestion sets the
        input to its value, which is what filling it with the suggestion's value does."""
        self.mention_input.press_sequentially(name[:3].lower())
        suggestions = self.page.locator(f"datalist#{self.mention_input.get_attribute('list')}")
        option = suggestions.locator("option").filter(has_text=re.compile(rf"^{re.escape(name)}$"))
        expect(option).to_have_count(1)
        handle = option.get_attribute("value")
        self.mention_input.fill(handle)
        self.page.get_by_role("button", name="Inserisci", exact=True).click()
        return handle

    def attach(self, *paths) -> None:
        self.attachments_input.set_input_files(list(paths))


class NewThreadPage(MessageComposer):
    @property
    def title(self) -> Locator:
        return self.page.get_by_label(re.compile(r"^Titolo"))

    @property
    def about(self) -> Locator:
        """ "La discussione riguarda la sezione «…» del documento «…»", when opened from one."""
        return self.page.get_by_role("note")

    def submit(self) -> None:
        self.page.get_by_role("button", name="Apri la discussione").click()

    def open_thread(self, title: str, body: str) -> "ThreadPage":
        self.title.fill(title)
        self.body.fill(body)
        self.submit()
        thread = ThreadPage(self.page)
        expect(thread.heading).to_have_text(title)
        return thread


class ThreadPage(MessageComposer):
    """One thread: its messages (articles named after their author), moderation for the lead,
    and the reply form at the bottom, which posts with htmx and adds the reply in place."""

    @property
    def messages(self) -> Locator:
        return self.page.get_by_role("article")

    def message(self, number: int) -> Locator:
        """Message ``number``: its anchor, #messaggio-N, is the address that links point at."""
        return self.page.locator(f"#messaggio-{number}")

    @property
    def unread_marker(self) -> Locator:
        return self.page.get_by_text("Da qui i messaggi che non hai ancora letto")

    @property
    def status_line(self) -> Locator:
        """Badges under the title ("fissata", "risolta") and what the thread is about."""
        return self.page.get_by_role("main").locator(".page-heading .muted").first

    @property
    def moderation(self) -> Locator:
        return self.page.get_by_role("group", name="Moderazione")

    @property
    def bell(self) -> Locator:
        return self.page.get_by_role("link", name=re.compile(r"^Notifiche"))

    def reply(self, body: str = "") -> None:
        """Write (or add to) the reply and publish it; htmx posts it and adds it in place."""
        if body:
            self.body.fill(self.body.input_value() + body)
        self.page.get_by_role("button", name="Pubblica la risposta").click()

    def quote(self, number: int) -> None:
        """ "Cita": the page comes back with the reply form holding the quoted message."""
        self.page.get_by_role("link", name=f"Cita il messaggio {number}", exact=True).click()
        expect(self.body).to_have_value(re.compile(rf"^> .*\(messaggio {number}\):"))

    def edit(self, number: int) -> "EditMessagePage":
        self.page.get_by_role("link", name=f"Modifica il messaggio {number}", exact=True).click()
        editor = EditMessagePage(self.page)
        expect(editor.heading).to_have_text(f"Modifica il messaggio {number}")
        return editor

    def withdraw(self, number: int) -> None:
        """ "Ritira" asks for confirmation (a native dialog), accepted here."""
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.message(number).get_by_role("button", name="Ritira").click()

    def mark_resolution(self, number: int) -> None:
        self.message(number).get_by_role("button", name="Segna come risoluzione").click()

    def pin(self) -> None:
        self.moderation.get_by_role("button", name="Fissa in cima").click()


class EditMessagePage(MessageComposer):
    def save(self, body: str) -> ThreadPage:
        self.body.fill(body)
        self.page.get_by_role("button", name="Salva", exact=True).click()
        return ThreadPage(self.page)


class NotificationsPage(BasePage):
    path = "/notifiche"

    def goto(self) -> "NotificationsPage":
        self.page.goto(self.path)
        expect(self.heading).to_have_text("Notifiche")
        return self

    @property
    def bell(self) -> Locator:
        """The bell in the header: its name says the count, "Notifiche, 1 non letta"."""
        return self.page.get_by_role("link", name=re.compile(r"^Notifiche"))

    @property
    def items(self) -> Locator:
        return self.page.get_by_role("main").get_by_role("list").first.get_by_role("listitem")

    def item(self, title: str) -> Locator:
        return self.items.filter(has=self.page.get_by_role("link", name=title, exact=True))

    def open(self, title: str) -> ThreadPage:
        self.item(title).get_by_role("link", name=title, exact=True).click()
        return ThreadPage(self.page)

    def preferences(self) -> "BasePage":
        self.page.get_by_role("link", name="Preferenze delle notifiche").click()
        preferences = BasePage(self.page)
        expect(preferences.heading).to_have_text("Preferenze delle notifiche")
        return preferences


# -- Meetings ----------------------------------------------------------------------------------


class MeetingList:
    """A list of meetings (home page, group panel, meetings page): one item per meeting, with
    its date and time in Rome, its title as a link and badges such as "congiunto"."""

    def __init__(self, container: Locator):
        self.container = container

    @property
    def items(self) -> Locator:
        return self.container.get_by_role("listitem")

    def item(self, title: str) -> Locator:
        return self.items.filter(
            has=self.container.page.get_by_role("link", name=title, exact=True)
        )

    def open(self, title: str) -> "MeetingPage":
        self.item(title).first.get_by_role("link", name=title, exact=True).click()
        meeting = MeetingPage(self.container.page)
        expect(meeting.heading).to_contain_text(title)
        return meeting


class UpcomingMeetings(MeetingList):
    """ "I prossimi incontri" on the home page: the person's groups and joint invitations."""

    def __init__(self, home: HomePage):
        super().__init__(home.page.get_by_role("region", name="I prossimi incontri", exact=True))


class MeetingsPanel(MeetingList):
    """The "Prossimi incontri" panel of a group page."""

    def __init__(self, group: GroupPage):
        super().__init__(group.page.get_by_role("region", name="Prossimi incontri", exact=True))

    def new_meeting(self) -> "MeetingFormPage":
        self.container.get_by_role("link", name="Nuovo incontro").click()
        form = MeetingFormPage(self.container.page)
        expect(form.heading).to_have_text("Nuovo incontro")
        return form


class MeetingFormPage(BasePage):
    """ "Nuovo incontro" (and "Modifica l'incontro"): times are Rome's wall-clock time."""

    @property
    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def title(self) -> Locator:
        return self.page.get_by_label(re.compile(r"^Titolo"))

    @property
    def joint(self) -> Locator:
        return self.page.get_by_role(
            "checkbox", name="Incontro congiunto con il Coordinamento affidi"
        )

    @property
    def invited(self) -> Locator:
        return self.page.get_by_role("group", name="Invitati", exact=True)

    def invitee(self, name: str) -> Locator:
        """The checkbox of one person, labelled "Name (esterno) · Organisation"."""
        return self.invited.get_by_role("checkbox", name=re.compile(rf"^{re.escape(name)}\b"))

    def fill(
        self,
        *,
        title: str,
        day: str,
        starts: str,
        ends: str,
        place: str = "",
        joint: bool = False,
        invite: tuple[str, ...] = (),
    ) -> None:
        """``day`` as YYYY-MM-DD, ``starts`` and ``ends`` as HH:MM (what a date and a time
        input hold, whatever the locale shows)."""
        self.title.fill(title)
        self.page.get_by_label(re.compile(r"^Data")).fill(day)
        self.page.get_by_label(re.compile(r"^Ora di inizio")).fill(starts)
        self.page.get_by_label(re.compile(r"^Ora di fine")).fill(ends)
        if place:
            self.page.get_by_label("Luogo", exact=True).fill(place)
        self.joint.set_checked(joint)
        for name in invite:
            self.invitee(name).check()

    def submit(self) -> None:
        self.page.get_by_role("button", name="Programma l'incontro").click()

    def schedule(self, title: str, **details) -> "MeetingPage":
        self.fill(title=title, **details)
        self.submit()
        meeting = MeetingPage(self.page)
        expect(meeting.heading).to_contain_text(title)
        return meeting


class MeetingPage(BasePage):
    """One meeting: its facts, the minutes and their lifecycle, the agenda, attendance,
    decisions and actions. The forms of each region post with htmx and replace the region."""

    @property
    def facts(self) -> Locator:
        return self.page.locator("dl.meeting-facts")

    @property
    def minutes(self) -> Locator:
        return self.page.get_by_role("region", name="Verbale", exact=True)

    @property
    def agenda(self) -> Locator:
        return self.page.get_by_role("region", name="Ordine del giorno", exact=True)

    @property
    def attendance(self) -> Locator:
        return self.page.get_by_role("region", name="Invitati e presenze", exact=True)

    @property
    def actions(self) -> Locator:
        return self.page.get_by_role("region", name="Compiti", exact=True)

    @property
    def agenda_items(self) -> Locator:
        return self.agenda.get_by_role("list").first.get_by_role("listitem")

    def error_summary(self, region: Locator) -> Locator:
        return region.get_by_role("alert")

    # Agenda

    def submit_agenda_item(self) -> None:
        self.agenda.get_by_role("button", name="Aggiungi all'ordine del giorno").click()

    def add_agenda_item(self, title: str, owner: str | None = None, minutes: int | None = None):
        self.agenda.get_by_label(re.compile(r"^Argomento")).fill(title)
        if owner:
            self._choose(self.agenda.get_by_label("Chi lo presenta", exact=True), owner)
        if minutes:
            self.agenda.get_by_label("Durata prevista (minuti)", exact=True).fill(str(minutes))
        self.submit_agenda_item()
        expect(self.agenda_items.filter(has_text=title)).to_have_count(1)

    @staticmethod
    def _choose(select: Locator, name: str) -> None:
        """An option of a people select, which reads "Name (esterno) · Organisation"."""
        option = select.get_by_role("option", name=re.compile(rf"^{re.escape(name)}\b"))
        select.select_option(option.get_attribute("value"))

    # Attendance

    def attendance_of(self, name: str) -> Locator:
        """The radio group of one invited person (its legend is the person's name)."""
        return self.attendance.get_by_role("group", name=re.compile(rf"^\s*{re.escape(name)}\b"))

    def record_attendance(self, choices: dict[str, str]) -> None:
        """``{"Name": "presente" | "assente" | "assente giustificato"}``, then save."""
        for name, state in choices.items():
            self.attendance_of(name).get_by_role("radio", name=state, exact=True).check()
        self.attendance.get_by_role("button", name="Registra le presenze").click()

    def add_guest(self, name: str, organisation: str) -> None:
        self.attendance.get_by_label(re.compile(r"^Nome e cognome")).fill(name)
        self.attendance.get_by_label("Servizio o ente", exact=True).fill(organisation)
        self.attendance.get_by_role("button", name="Aggiungi ai presenti").click()

    # Actions

    def assign_action(self, title: str, owner: str, due: str | None = None) -> None:
        """``due`` as YYYY-MM-DD."""
        self.actions.get_by_label(re.compile(r"^Compito")).fill(title)
        self._choose(self.actions.get_by_label(re.compile(r"^Responsabile")), owner)
        if due:
            self.actions.get_by_label("Scadenza", exact=True).fill(due)
        self.actions.get_by_role("button", name="Assegna il compito").click()

    def action(self, title: str) -> Locator:
        return self.actions.get_by_role("listitem").filter(has_text=title)

    # Minutes

    @property
    def minutes_status(self) -> Locator:
        """The badge beside "Verbale": "bozza", "in visione ai partecipanti", "approvato"."""
        return self.minutes.locator(".badge")

    def start_minutes(self) -> EditorPage:
        """ "Scrivi il verbale": the minutes are created, one part per agenda item, and the
        editor opens on the whole text."""
        self.minutes.get_by_role("button", name="Scrivi il verbale").click()
        editor = EditorPage(self.page)
        expect(editor.heading).to_have_text(re.compile(r"^\s*Modifica «Verbale: "))
        return editor

    def read_minutes(self) -> DocumentPage:
        self.minutes.get_by_role("link", name="Leggi il verbale").click()
        document = DocumentPage(self.page)
        expect(document.heading).to_have_text(re.compile(r"^Verbale: "))
        return document

    def circulate(self) -> None:
        self.minutes.get_by_role("button", name="Metti in visione ai partecipanti").click()

    @property
    def approved_at_meeting(self) -> Locator:
        """In the approval form: the meeting at which the minutes are approved."""
        return self.minutes.get_by_label("Approvato durante l'incontro", exact=True)

    def open_approval(self) -> None:
        self.minutes.get_by_text("Approva il verbale", exact=True).click()
        expect(self.approved_at_meeting).to_be_visible()

    def approve(self) -> None:
        """ "Approva il verbale" opens the form (if it is not open yet); the approval asks for
        confirmation (a native dialog), accepted here."""
        if not self.approved_at_meeting.is_visible():
            self.open_approval()
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.minutes.get_by_role("button", name="Approva e chiudi il verbale").click()

    def print_view(self) -> "MinutesPrintPage":
        self.minutes.get_by_role("link", name="Versione da stampare").click()
        view = MinutesPrintPage(self.page)
        expect(view.heading).to_have_text(re.compile(r"^Verbale: "))
        return view

    @property
    def ics_link(self) -> Locator:
        return self.page.get_by_role("link", name="Aggiungi al calendario (.ics)")


class MinutesPrintPage(BasePage):
    """The minutes in the formal layout: coordinations, group, date, place, who was there,
    agenda, discussion per item, decisions, actions."""

    @property
    def header(self) -> Locator:
        """Above the title: the coordinations ("... e Coordinamento affidi"), and below it the
        group, date and place."""
        return self.page.locator("main header")

    @property
    def article(self) -> Locator:
        return self.page.get_by_role("article")


class OpenActionsPage(BasePage):
    """ "Compiti aperti" of a group: the open actions of all its meetings, by due date."""

    @classmethod
    def goto(cls, page: Page, slug: str) -> "OpenActionsPage":
        page.goto(f"/gruppi/{slug}/azioni/")
        actions = cls(page)
        expect(actions.heading).to_have_text(re.compile(r"^Compiti aperti di "))
        return actions

    def action(self, title: str) -> Locator:
        return self.page.get_by_role("main").get_by_role("listitem").filter(has_text=title)


class CalendarPage(BasePage):
    """ "Il mio calendario": the secret address of the personal calendar feed."""

    path = "/calendario/"

    def goto(self) -> "CalendarPage":
        self.page.goto(self.path)
        expect(self.heading).to_have_text("Il mio calendario")
        return self

    @property
    def address(self) -> Locator:
        return self.page.get_by_label("Il tuo indirizzo", exact=True)

    def create_address(self) -> None:
        self.page.get_by_role("button", name=re.compile(r"^Crea (l'|un nuovo )indirizzo")).click()


# -- Profile and search ------------------------------------------------------------------------


class ProfilePage(BasePage):
    """ "Il tuo profilo": the person's own name, phone, affiliation and language."""

    path = "/profilo"

    def goto(self) -> "ProfilePage":
        self.page.goto(self.path)
        expect(self.heading).to_have_text("Il tuo profilo")
        return self

    @property
    def name(self) -> Locator:
        return self.page.get_by_label(re.compile(r"^Nome e cognome"))

    def save_name(self, name: str) -> None:
        self.name.fill(name)
        self.page.get_by_role("button", name="Salva il profilo").click()
        expect(self.name).to_have_value(name.strip())


class SearchPage(BasePage):
    """ "Cerca": the results follow the words as they are typed (htmx swaps them in)."""

    path = "/cerca"

    def goto(self) -> "SearchPage":
        self.page.goto(self.path)
        expect(self.heading).to_have_text("Cerca")
        return self

    @property
    def query(self) -> Locator:
        return self.page.get_by_role("searchbox")

    @property
    def results(self) -> Locator:
        return self.page.locator("#search-results")

    def type_query(self, words: str) -> None:
        """Type the words and wait for the results of exactly those words to be swapped in."""
        with self.page.expect_response(
            lambda response: "/cerca" in response.url and response.request.method == "GET"
        ):
            self.query.fill(words)
        # The class goes once the answer is swapped in.
        expect(self.page.locator(".htmx-request")).to_have_count(0)
