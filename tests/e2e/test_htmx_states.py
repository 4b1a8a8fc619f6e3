"""The htmx states of a meeting page that no journey opens, audited with axe (issue 9).

Each region of a meeting (agenda, attendance, guests, decisions, actions) posts with htmx and
replaces itself: refused (the error next to the field), then accepted. After each swap axe
finds nothing, and the focus is inside the replaced region. The meeting is the test's own, in
the settling-in group led by Paolo Conti, so the other journeys' meetings stay as they are.
"""

import re
import uuid
from datetime import date, timedelta

from playwright.sync_api import Locator, Page, expect

from .pages import GroupPage, GroupsPage, MeetingPage, MeetingsPanel
from .test_accessibility import axe_violations, describe

LEAD = "paolo.conti@tavolo.example"  # leads "Ambientamento del bambino in Spazio Neutro"
GROUP = "Ambientamento del bambino in Spazio Neutro"


class States:
    """Every state reached, audited; the violations reported together at the end."""

    def __init__(self, page: Page, screenshot):
        self.page = page
        self.screenshot = screenshot
        self.problems: list[str] = []

    def check(self, where: str, region: Locator) -> None:
        self.page.wait_for_function("() => !document.body.classList.contains('is-busy')")
        self.screenshot(where, target=self.page)
        violations = axe_violations(self.page)
        if violations:
            self.problems.append(describe(violations, where))
        inside = region.evaluate("region => region.contains(document.activeElement)")
        if not inside:
            focused = self.page.evaluate(
                "() => document.activeElement && document.activeElement.outerHTML.slice(0, 80)"
            )
            self.problems.append(f"{where}: the focus is outside the region, on {focused}")

    def report(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def test_every_region_of_a_meeting_refused_and_accepted(signed_in, screenshot):
    page = signed_in(LEAD)
    GroupsPage(page).goto()
    group = GroupPage.open(page, GROUP)
    title = f"Ambientamento: casi del mese ({uuid.uuid4().hex[:6]})"
    day = date.today() + timedelta(days=10)
    meeting: MeetingPage = (
        MeetingsPanel(group)
        .new_meeting()
        .schedule(title, day=day.isoformat(), starts="15:00", ends="16:30", place="Sala 2")
    )
    states = States(page, screenshot)

    # Agenda: refused, then two items, one moved up.
    meeting.submit_agenda_item()
    expect(meeting.error_summary(meeting.agenda)).to_be_visible()
    states.check("agenda refused", meeting.agenda)
    meeting.add_agenda_item("Primo incontro del bambino")
    meeting.add_agenda_item("Rientro a casa dopo l'incontro")
    states.check("agenda with two items", meeting.agenda)
    meeting.agenda.get_by_role("button", name=re.compile(r"^Sposta su")).last.click()
    expect(meeting.agenda_items.first).to_contain_text("Rientro a casa")
    states.check("agenda item moved up", meeting.agenda)

    # Attendance and guests.
    meeting.attendance.get_by_role("button", name="Aggiungi ai presenti").click()
    expect(meeting.attendance.get_by_role("alert").first).to_be_visible()
    states.check("guest refused", meeting.attendance)
    meeting.add_guest("Rita Sala", "Comune di Rho")
    expect(meeting.attendance).to_contain_text("Rita Sala")
    states.check("guest added", meeting.attendance)
    meeting.record_attendance({"Paolo Conti": "presente", "Davide Moretti": "assente"})
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"[Pp]resenze"))
    states.check("attendance recorded", meeting.attendance)

    # Decisions.
    decisions = page.get_by_role("region", name="Decisioni", exact=True)
    decisions.get_by_role("button", name="Registra la decisione").click()
    expect(decisions.get_by_role("alert").first).to_be_visible()
    states.check("decision refused", decisions)
    decisions.get_by_label(re.compile(r"^Testo|^Decisione")).first.fill(
        "Il primo incontro dura al massimo un'ora."
    )
    decisions.get_by_role("button", name="Registra la decisione").click()
    expect(decisions).to_contain_text("al massimo un'ora")
    states.check("decision recorded", decisions)

    # Actions.
    meeting.actions.get_by_role("button", name="Assegna il compito").click()
    expect(meeting.error_summary(meeting.actions)).to_be_visible()
    states.check("action refused", meeting.actions)
    meeting.assign_action("Preparare la stanza dei giochi", "Davide Moretti")
    expect(meeting.action("Preparare la stanza dei giochi")).to_be_visible()
    states.check("action assigned", meeting.actions)

    states.report()
