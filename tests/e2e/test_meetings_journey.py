"""A joint meeting with the foster-care coordination, from scheduling to approved minutes.

The coordinator schedules a joint meeting of the foster-parents group and invites Marco Riva,
an external participant of the foster-care coordination who belongs to no group; he sees that
meeting and nothing else of the group. Both write the minutes at the same time, in different
parts, and both saves are kept (the second merged). Attendance, a guest, an action for Marco
(who is notified), then the group's lead circulates and approves the minutes, which lock. The
meeting downloads as an .ics that parses, and the print view names both coordinations.

Every meetings page is audited with axe on the way; findings are collected with ``Findings``
(as in the documents journey) and reported together at the end.
"""

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from playwright.sync_api import Page, expect

from .pages import (
    CalendarPage,
    DocumentPage,
    GroupPage,
    GroupsPage,
    HomePage,
    MeetingFormPage,
    MeetingPage,
    MeetingsPanel,
    NotificationsPage,
    OpenActionsPage,
    UpcomingMeetings,
)
from .test_accessibility import PHONE_WIDTH
from .test_documents_journey import Findings

ROME = ZoneInfo("Europe/Rome")

COORDINATOR = "coordinatrice@tavolo.example"  # Laura Bianchi, in no group of her own here
LEAD = "sara.galli@tavolo.example"  # Sara Galli, lead of the joint group
EXTERNAL = "marco.riva@tavolo.example"  # Marco Riva, foster-care coordination, in no group

GROUP = "Genitori affidatari e Spazio Neutro"
SLUG = "genitori-affidatari-e-spazio-neutro"
DEMO_JOINT_MEETING = "Incontro congiunto con il Coordinamento affidi"

TITLE = "Verifica degli incontri protetti dei bambini in affido"
PLACE = "Provincia di Milano, via Vivaio 1, sala 2"


def _slot_around_now() -> tuple[time, time]:
    """Today, begun a little before now and ending hours later: the meeting is on the home
    page (not over) and being held (its minutes can be approved at it), whenever the suite
    runs. Clamped to the day, as the form's times are."""
    now = datetime.now(ROME)
    minutes = max(0, now.hour * 60 + now.minute - 45) // 5 * 5
    end = min(minutes + 4 * 60, 23 * 60 + 55)
    return time(minutes // 60, minutes % 60), time(end // 60, end % 60)


STARTS, ENDS = _slot_around_now()
ITEM_1 = "Calendario degli incontri protetti"
ITEM_2 = "Relazioni al Tribunale per i minorenni"

LAURA_TEXT = "Si conferma un incontro ogni due settimane, il mercoledì pomeriggio."
MARCO_TEXT = "Il coordinamento affidi invierà le relazioni entro la fine del mese."

GUEST, GUEST_ORGANISATION = "Anna Colombo", "Comune di Legnano"
ACTION = "Inviare al gruppo il modello di relazione"


def meeting_day() -> date:
    """Today in Rome: the meeting is being held (see _slot_around_now)."""
    return datetime.now(ROME).date()


def no_sideways_scroll(page: Page, where: str, found: Findings) -> None:
    """As test_accessibility's phone check, collected with the other findings."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > limit)
                .map(e => e.tagName.toLowerCase()
                    + (e.className && typeof e.className === 'string'
                        ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                    + ' right=' + Math.round(e.getBoundingClientRect().right))
                .slice(0, 10)""",
            width + 1,
        )
        report = f"{where} ({page.url}) scrolls sideways at {width}px:\n  " + "\n  ".join(wide)
        print(report)
        found.reports.append(report)


def test_a_joint_meeting_from_scheduling_to_approved_minutes(signed_in, screenshot):
    found = Findings()
    day = meeting_day()

    # -- The coordinator schedules the joint meeting ---------------------------------------
    laura = signed_in(COORDINATOR)
    GroupsPage(laura).goto()
    group = GroupPage.open(laura, GROUP)
    form = MeetingsPanel(group).new_meeting()
    # The group is joint: the form starts joint, with the group's members invited.
    expect(form.joint).to_be_checked()
    expect(form.invitee("Sara Galli")).to_be_checked()
    expect(form.invitee("Marco Riva")).not_to_be_checked()
    found.axe(laura, "new meeting form")

    form.submit()
    expect(form.error_summary).to_be_visible()
    expect(form.error_summary).to_contain_text("Titolo")
    expect(form.error_summary).to_contain_text("Data")
    # What was chosen is kept.
    expect(form.joint).to_be_checked()
    expect(form.invitee("Sara Galli")).to_be_checked()
    screenshot("new-meeting-errors", target=laura)
    # Each error in the summary leads to its field.
    form.error_summary.get_by_role("link", name=re.compile(r"^Titolo")).click()
    expect(form.title).to_be_focused()
    found.axe(laura, "new meeting form with errors")

    meeting = form.schedule(
        TITLE,
        day=day.isoformat(),
        starts=STARTS.strftime("%H:%M"),
        ends=ENDS.strftime("%H:%M"),
        place=PLACE,
        joint=True,
        invite=("Marco Riva",),
    )
    expect(meeting.alerts).to_contain_text("Incontro programmato.")
    expect(meeting.heading).to_contain_text("incontro congiunto")
    expect(laura.get_by_text("con il Coordinamento affidi")).to_be_visible()
    expect(meeting.facts).to_contain_text(PLACE)
    expect(meeting.facts).to_contain_text(f"{STARTS:%H:%M}–{ENDS:%H:%M}")
    expect(meeting.attendance_of("Marco Riva")).to_be_visible()
    meeting_url = laura.url

    # -- Agenda: an empty item is refused and the focus goes to the error summary -----------
    meeting.submit_agenda_item()
    agenda_error = meeting.error_summary(meeting.agenda)
    expect(agenda_error).to_be_visible()
    expect(agenda_error).to_contain_text("Argomento")
    expect(agenda_error).to_be_focused()
    screenshot("agenda-error", target=laura)
    found.axe(laura, "meeting page, agenda item refused")

    meeting.add_agenda_item(ITEM_1, owner="Sara Galli", minutes=30)
    expect(meeting.alerts).to_contain_text("Punto aggiunto all'ordine del giorno.")
    meeting.add_agenda_item(ITEM_2, owner="Marco Riva", minutes=20)
    expect(meeting.agenda_items).to_have_count(2)
    expect(meeting.agenda_items.nth(0)).to_contain_text(ITEM_1)
    expect(meeting.agenda_items.nth(1)).to_contain_text("presenta Marco Riva")
    expect(meeting.error_summary(meeting.agenda)).to_have_count(0)
    screenshot("meeting-scheduled", target=laura)
    found.axe(laura, "meeting page")

    # -- Marco Riva, external, sees this meeting and nothing else of the group ---------------
    marco = signed_in(EXTERNAL)
    upcoming = UpcomingMeetings(HomePage(marco))
    expect(upcoming.item(TITLE)).to_contain_text("congiunto")
    expect(upcoming.item(TITLE)).to_contain_text(GROUP)
    expect(HomePage(marco).groups_section.get_by_role("link")).to_have_count(0)
    screenshot("external-home", target=marco)
    marco_meeting = upcoming.open(TITLE)
    expect(marco_meeting.agenda_items).to_have_count(2)
    # No way up into the group: the trail is the meeting alone.
    breadcrumbs = marco.get_by_role("navigation", name="Percorso", exact=True)
    expect(breadcrumbs.get_by_role("link", name=GROUP)).to_have_count(0)
    screenshot("external-meeting", target=marco)
    found.axe(marco, "meeting page, external participant")
    for path in (f"/gruppi/{SLUG}", f"/gruppi/{SLUG}/incontri/", f"/gruppi/{SLUG}/azioni/"):
        response = marco.request.get(path)
        assert response.status == 404, (path, response.status)

    # -- Both write the minutes at the same time, in different parts ---------------------------
    laura.goto(meeting_url)
    laura_editor = meeting.start_minutes()
    expect(laura_editor.text).to_have_value(
        re.compile(rf"^## {re.escape(ITEM_1)}\n(.|\n)*## {re.escape(ITEM_2)}\n")
    )
    found.axe(laura, "minutes editor")

    marco.goto(meeting_url)
    expect(marco_meeting.minutes_status).to_have_text("bozza")
    minutes = marco_meeting.read_minutes()
    expect(minutes.presence).to_contain_text("Laura Bianchi (tutto il documento)")
    found.axe(marco, "minutes page, someone writing")
    marco_editor = minutes.edit_section(ITEM_2)
    expect(marco_editor.presence).to_contain_text("Laura Bianchi")
    # Laura's editor polls every 20 s and then shows Marco too.
    expect(laura_editor.presence).to_contain_text("Marco Riva", timeout=30_000)
    expect(laura_editor.presence).to_contain_text(f"sezione «{ITEM_2}»")

    laura_editor.replace(f"## {ITEM_1}\n", f"## {ITEM_1}\n\n{LAURA_TEXT}\n")
    marco_editor.replace(f"## {ITEM_2}\n", f"## {ITEM_2}\n\n{MARCO_TEXT}\n")
    screenshot("external-writing-minutes", target=marco)
    found.axe(marco, "minutes section editor, external participant")

    laura_editor.save("Calendario")
    laura_minutes = DocumentPage(laura)
    expect(laura_minutes.alerts).to_contain_text("Versione 2 salvata.")
    marco_editor.save("Relazioni")
    expect(minutes.alerts).to_contain_text("Versione 3 salvata.")
    expect(minutes.alerts).to_contain_text("unite")
    expect(minutes.alerts).to_contain_text("Laura Bianchi")
    expect(minutes.article).to_contain_text(LAURA_TEXT)
    expect(minutes.article).to_contain_text(MARCO_TEXT)
    screenshot("minutes-merged", target=marco)
    found.axe(marco, "minutes page")

    # -- Attendance and a guest -------------------------------------------------------------
    laura.goto(meeting_url)
    meeting.record_attendance(
        {"Marco Riva": "presente", "Elena Marchi": "assente giustificato", "Sara Galli": "assente"}
    )
    expect(meeting.alerts).to_contain_text("Presenze registrate.")
    expect(
        meeting.attendance_of("Elena Marchi").get_by_role("radio", name="assente giustificato")
    ).to_be_checked()
    meeting.add_guest(GUEST, GUEST_ORGANISATION)
    expect(meeting.alerts).to_contain_text("Ospite aggiunto ai presenti.")
    expect(meeting.attendance).to_contain_text(f"{GUEST} ({GUEST_ORGANISATION})")

    # -- An action for Marco, who is notified --------------------------------------------------
    due = day + timedelta(days=14)
    meeting.assign_action(ACTION, owner="Marco Riva", due=due.isoformat())
    expect(meeting.alerts).to_contain_text("Compito assegnato")
    expect(meeting.action(ACTION)).to_contain_text("Marco Riva")
    expect(meeting.action(ACTION)).to_contain_text("entro il")
    screenshot("attendance-and-action", target=laura)
    found.axe(laura, "meeting page, attendance and action recorded")

    open_actions = OpenActionsPage.goto(laura, SLUG)
    expect(open_actions.action(ACTION)).to_contain_text("Marco Riva")
    screenshot("open-actions", target=laura)
    found.axe(laura, "open actions")

    notifications = NotificationsPage(marco).goto()
    expect(notifications.bell).to_have_accessible_name(re.compile(r"^Notifiche, \d+ non lett"))
    assigned = f"Ti è stato assegnato un compito: «{ACTION}»"
    expect(notifications.item(assigned)).to_be_visible()
    screenshot("external-notified", target=marco)
    notifications.item(assigned).get_by_role("link", name=assigned).click()
    expect(marco_meeting.heading).to_contain_text(TITLE)
    expect(marco_meeting.action(ACTION)).to_be_visible()

    # -- The lead circulates, then approves the minutes ------------------------------------------
    sara = signed_in(LEAD)
    sara.goto(meeting_url)
    lead_meeting = MeetingPage(sara)
    lead_meeting.circulate()
    expect(lead_meeting.alerts).to_contain_text("Verbale messo in visione")
    expect(lead_meeting.minutes_status).to_have_text("in visione ai partecipanti")
    screenshot("minutes-circulated", target=sara)
    found.axe(sara, "meeting page, minutes circulated")

    lead_meeting.open_approval()
    # Approved at the meeting itself, the one being held: not at one still to come.
    found.soft(
        "the approval is proposed at this meeting, not at a later one still to come",
        lambda: expect(lead_meeting.approved_at_meeting.locator("option:checked")).to_have_text(
            re.compile(r"^questo incontro"), timeout=1_000
        ),
    )
    lead_meeting.approve()
    expect(lead_meeting.alerts).to_contain_text("Verbale approvato")
    expect(lead_meeting.minutes_status).to_have_text("approvato")
    expect(lead_meeting.minutes).to_contain_text("da Sara Galli")
    screenshot("minutes-approved", target=sara)
    found.axe(sara, "meeting page, minutes approved")

    # After the approval Marco can read the minutes but not change them.
    marco.goto(meeting_url)
    expect(marco_meeting.minutes_status).to_have_text("approvato")
    expect(marco_meeting.minutes.get_by_role("link", name="Scrivi nel verbale")).to_have_count(0)
    minutes = marco_meeting.read_minutes()
    expect(minutes.banner.filter(has_text="Verbale approvato")).to_be_visible()
    actions = marco.get_by_role("main").locator(".page-heading .actions")
    expect(actions.get_by_role("link", name=re.compile(r"^(Modifica|Correggi)$"))).to_have_count(0)
    expect(minutes.toc.get_by_role("link", name=re.compile(r"^modifica "))).to_have_count(0)
    screenshot("external-approved-minutes", target=marco)
    found.axe(marco, "minutes page, approved")

    # -- The .ics and the print view -------------------------------------------------------------
    marco.goto(meeting_url)
    with marco.expect_download() as download:
        marco_meeting.ics_link.click()
    assert download.value.suggested_filename == f"incontro-{day.isoformat()}.ics"
    calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{TITLE} ({GROUP})"
    assert event.decoded("DTSTART") == datetime.combine(day, STARTS, ROME)
    assert event.decoded("DTEND") == datetime.combine(day, ENDS, ROME)
    assert str(event["LOCATION"]) == PLACE
    assert urlsplit(str(event["URL"])).path == urlsplit(meeting_url).path

    view = marco_meeting.print_view()
    expect(view.header).to_contain_text("Coordinamento affidi")
    expect(view.article).to_contain_text("Servizi ed enti presenti:")
    expect(view.article).to_contain_text(f"Coordinamento affidi, {GUEST_ORGANISATION}")
    expect(view.article).to_contain_text(LAURA_TEXT)
    expect(view.article).to_contain_text(MARCO_TEXT)
    expect(view.article).to_contain_text("Elena Marchi")
    expect(view.article).to_contain_text(ACTION)
    screenshot("print-view", target=marco)
    found.axe(marco, "minutes print view")

    # -- The personal calendar --------------------------------------------------------------------
    calendar_page = CalendarPage(marco).goto()
    found.axe(marco, "calendar page")
    calendar_page.create_address()
    expect(calendar_page.address).to_have_value(re.compile(r"/calendario/[\w-]+\.ics$"))
    screenshot("calendar", target=marco)
    found.axe(marco, "calendar page, new address")
    feed = marco.request.get(calendar_page.address.input_value())
    assert feed.ok
    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
    ]
    assert f"{TITLE} ({GROUP})" in summaries

    found.assert_none()


def test_meeting_pages_fit_a_phone(signed_in, screenshot):
    """At 360px: the demo's joint meeting as its external participant, the new meeting form
    as the group's lead, and the open actions list."""
    found = Findings()
    marco = signed_in(EXTERNAL, width=PHONE_WIDTH, height=740)
    meeting = UpcomingMeetings(HomePage(marco)).open(DEMO_JOINT_MEETING)
    expect(meeting.agenda_items).to_have_count(2)
    screenshot("meeting-360px", target=marco)
    no_sideways_scroll(marco, "meeting page", found)

    sara = signed_in(LEAD, width=PHONE_WIDTH, height=740)
    sara.goto(f"/gruppi/{SLUG}/incontri/nuovo")
    form = MeetingFormPage(sara)
    expect(form.heading).to_have_text("Nuovo incontro")
    screenshot("new-meeting-360px", target=sara)
    no_sideways_scroll(sara, "new meeting form", found)
    found.axe(sara, "new meeting form, lead (series allowed)")

    sara.goto(f"/gruppi/{SLUG}/incontri/")
    screenshot("meetings-360px", target=sara)
    no_sideways_scroll(sara, "meetings list", found)
    found.axe(sara, "meetings list")

    sara.goto(urlsplit(marco.url).path)
    lead_meeting = MeetingPage(sara)
    expect(lead_meeting.heading).to_contain_text(DEMO_JOINT_MEETING)
    screenshot("meeting-as-lead-360px", target=sara)
    no_sideways_scroll(sara, "meeting page, lead", found)
    found.axe(sara, "meeting page, lead")

    found.assert_none()
