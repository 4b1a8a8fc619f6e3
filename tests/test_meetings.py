"""Meetings through HTTP: scheduling (single and series, in Rome's time), bad input, agenda,
attendance, the minutes' lifecycle and who may make each step, joint meetings with the
foster-care coordination, decisions, actions, calendars, cancelling, htmx fragments.

State that is not the point of a test is built with the service; what is the point goes
through the test client, as a full page and, where the page has one, as an htmx fragment.
"""

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.support import htmx, plain, text
from workspace.documents import service as documents
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.groups.models import Membership
from workspace.meetings import service as meetings
from workspace.meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    MeetingSeries,
    MinutesStatus,
)
from workspace.notifications.models import Notification
from workspace.people.models import Role
from workspace.revisions import service as revisions

ROME = ZoneInfo("Europe/Rome")
JANUARY = datetime(2030, 1, 14, 17, 0)  # a Monday, winter time (UTC+1)
JULY = datetime(2030, 7, 15, 17, 0)  # a Monday, summer time (UTC+2)
HUGE = "9" * 25


@pytest.fixture
def team(make_user, make_group, make_service):
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(
        Role.OPERATOR, name="Anna Operatrice", service=make_service("Spazio neutro di Rho")
    )
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore")
    elena = make_user(Role.EXTERNAL, name="Elena Affidi", organisation="Coordinamento affidi")
    carla = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    group = make_group("Gruppo AMA", leads=[lead], members=[anna, bruno])
    other = make_group("Altro gruppo", members=[make_user(name="Ugo Altrove")])
    return {
        "lead": lead,
        "anna": anna,
        "bruno": bruno,
        "elena": elena,
        "carla": carla,
        "group": group,
        "other": other,
    }


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def murl(meeting, tail=""):
    return f"/gruppi/{meeting.group.slug}/incontri/{meeting.id}{tail}"


def durl(document, tail=""):
    return f"/gruppi/{document.group.slug}/documenti/{document.id}{tail}"


def schedule(group, by, **details):
    """One meeting, through the service (the lead's right to a series is not the point)."""
    (meeting,) = series(group, by, **details)
    return meeting


def series(
    group,
    by,
    *,
    start=JANUARY,
    hours=2,
    title="Incontro del gruppo",
    invited=(),
    joint=False,
    place="Sala 3",
    pattern=None,
    count=None,
):
    """The meetings of a series (one, without a ``pattern``), through the service."""
    return meetings.schedule_meetings(
        True,
        group,
        meetings.Schedule(
            title=title,
            starts_local=start,
            ends_local=start + timedelta(hours=hours),
            place=place,
            online_url="",
            is_joint=joint,
            invited_ids=tuple(user.id for user in invited),
            pattern=pattern,
            count=count,
        ),
        by=by,
    )


@pytest.fixture
def meeting(team):
    return schedule(
        team["group"], team["lead"], invited=(team["lead"], team["anna"], team["bruno"])
    )


def add_items(meeting, by, *titles):
    return [
        meetings.add_item(meeting, title=title, owner_id=None, duration=None, by=by)
        for title in titles
    ]


def form_data(**changes):
    data = {
        "title": "Incontro di gennaio",
        "starts_on": "2030-01-14",
        "starts_time": "17:00",
        "ends_at": "19:00",
        "place": "Provincia di Milano, sala 3",
        "online_url": "",
        "pattern": "",
        "until": "",
        "count": "",
    }
    data.update(changes)
    return data


def new_url(group):
    return f"/gruppi/{group.slug}/incontri/nuovo"


def notified(user, source_prefix=""):
    return [
        n
        for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user.id))
        if n.source.startswith(source_prefix)
    ]


def field_error(response, field_id) -> str:
    """The message shown next to a field (its ``-error`` paragraph), as plain text."""
    match = re.search(
        rf'<p class="field__error" id="{field_id}-error">(.*?)</p>',
        response.get_data(as_text=True),
        flags=re.S,
    )
    assert match, f"no message next to {field_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()).replace("&#39;", "'")


def head_text(document):
    db.session.refresh(document.text)
    return revisions.text_at(document.text, document.text.head)


def editor_token(page) -> str:
    return re.search(r'name="editor" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def the_event(response):
    calendar = Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    return event


# -- Scheduling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [("2030-01-14", 16), ("2030-07-15", 15)],
    ids=["winter", "summer"],
)
def test_a_meeting_is_entered_in_rome_time_and_stored_in_utc(client, auth, team, day, utc_hour):
    sign_in(auth, team["anna"])
    group = team["group"]
    page = client.get(new_url(group))
    assert page.status_code == 200
    assert "Quando (ora italiana)" in text(page)
    response = client.post(
        new_url(group),
        data=form_data(starts_on=day, invited=[str(team["anna"].id), str(team["bruno"].id)]),
    )
    assert response.status_code == 303, plain(response)
    meeting = db.session.scalar(db.select(Meeting))
    assert response.location.endswith(murl(meeting))
    year, month, dom = map(int, day.split("-"))
    assert meeting.starts_at == datetime(year, month, dom, utc_hour, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(year, month, dom, utc_hour + 2, 0, tzinfo=UTC)
    assert meeting.created_by_id == team["anna"].id and meeting.series_id is None
    assert {p.user_id for p in meeting.participants} == {team["anna"].id, team["bruno"].id}
    page = client.get(response.location)
    assert "Incontro programmato." in text(page)
    assert "17:00" in plain(page) and "19:00" in plain(page)
    # The edit form gives back the time that was entered.
    edit = text(client.get(murl(meeting, "/modifica")))
    assert 'value="17:00"' in edit and f'value="{day}"' in edit
    # The invited are told; the one who scheduled it is not.
    assert len(notified(team["bruno"], "meeting:")) == 1
    assert notified(team["anna"]) == []


def test_the_new_meeting_form_invites_the_members_by_default(client, auth, team):
    sign_in(auth, team["anna"])
    page = text(client.get(new_url(team["group"])))
    for person in ("lead", "anna", "bruno"):
        assert re.search(
            rf'value="{team[person].id}"[^>]*checked|checked[^>]*value="{team[person].id}"', page
        )
    # An external participant may be invited (to a joint meeting) but is not by default.
    assert re.search(rf'value="{team["elena"].id}"', page)
    assert not re.search(rf'value="{team["elena"].id}"[^>]*checked', page)


def test_a_lead_schedules_a_second_tuesday_series_across_the_clock_change(client, auth, team):
    sign_in(auth, team["lead"])
    response = client.post(
        new_url(team["group"]),
        data=form_data(
            title="AMA",
            starts_on="2030-01-08",  # the second Tuesday of January 2030
            starts_time="18:00",
            ends_at="20:00",
            pattern="monthly_weekday",
            count="6",
        ),
    )
    assert response.status_code == 303, plain(response)
    stored = db.session.scalar(db.select(MeetingSeries))
    assert stored.rule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"
    found = list(db.session.scalars(db.select(Meeting).order_by(Meeting.starts_at)))
    assert len(found) == 6 and {m.series_id for m in found} == {stored.id}
    local = [m.starts_at.astimezone(ROME) for m in found]
    assert [d.date() for d in local] == [
        date(2030, 1, 8),
        date(2030, 2, 12),
        date(2030, 3, 12),
        date(2030, 4, 9),
        date(2030, 5, 14),
        date(2030, 6, 11),
    ]
    for moment in local:
        assert moment.weekday() == 1 and 8 <= moment.day <= 14
        assert (moment.hour, moment.minute) == (18, 0)
    # The clocks went forward on 31 March: the same local time is another UTC hour.
    assert [m.starts_at.hour for m in found] == [17, 17, 17, 16, 16, 16]
    assert all(m.ends_at.astimezone(ROME).hour == 20 for m in found)
    assert "Programmati 6 incontri della serie." in text(client.get(response.location))
    # Each meeting of the series shows its own next one.
    page = text(client.get(murl(found[2])))
    assert "fa parte di una serie" in page and murl(found[3]) in page


def test_a_series_until_a_date(client, auth, team):
    sign_in(auth, team["lead"])
    response = client.post(
        new_url(team["group"]),
        # As typed where the browser has no date picker.
        data=form_data(starts_on="14/01/2030", pattern="weekly", until="04/02/2030"),
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 4


def test_a_member_may_not_schedule_a_series_and_keeps_what_was_typed(client, auth, team):
    sign_in(auth, team["anna"])
    page = text(client.get(new_url(team["group"])))
    assert "Solo chi guida il gruppo può programmare una serie di incontri." in page
    response = client.post(
        new_url(team["group"]),
        data=form_data(title="La mia serie", pattern="monthly_weekday", count="6"),
    )
    assert response.status_code == 422
    assert "Solo chi guida il gruppo può programmare una serie di incontri." in field_error(
        response, "pattern"
    )
    body = text(response)
    assert 'value="La mia serie"' in body and 'value="2030-01-14"' in body
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0


def test_an_external_participant_cannot_schedule(client, auth, make_user, make_group):
    external = make_user(Role.EXTERNAL, name="Elena Affidi")
    group = make_group("Genitori affidatari", members=[external], is_joint=True)
    sign_in(auth, external)
    assert client.get(new_url(group)).status_code == 403
    assert client.post(new_url(group), data=form_data()).status_code == 403
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
    # They still see the group's meetings (they are a member) without the button.
    page = text(client.get(f"/gruppi/{group.slug}/incontri/"))
    assert new_url(group) not in page


def test_the_create_form_as_an_htmx_fragment(client, auth, team):
    sign_in(auth, team["anna"])
    response = client.post(new_url(team["group"]), data=form_data(ends_at="16:00"), headers=htmx())
    assert response.status_code == 422
    body = text(response)
    assert "<html" not in body and body.lstrip().startswith("<form")
    assert "L'incontro deve finire dopo l'inizio." in body


def test_moving_one_meeting_of_a_series_tells_the_invited(client, auth, team):
    held = series(
        team["group"],
        team["lead"],
        title="AMA",
        start=datetime(2030, 1, 8, 18, 0),
        invited=(team["lead"], team["anna"]),
        pattern=meetings.recurrence.Pattern.MONTHLY_WEEKDAY,
        count=3,
    )
    second = held[1]
    sign_in(auth, team["lead"])
    page = text(client.get(murl(second, "/modifica")))
    assert "le modifiche valgono solo per questo incontro" in page
    assert 'value="2030-02-12"' in page and 'value="18:00"' in page
    response = client.post(
        murl(second, "/modifica"),
        data=form_data(
            title="AMA",
            starts_on="2030-02-13",
            starts_time="18:30",
            ends_at="20:00",
            place="Sala 5",
            invited=[str(team["lead"].id), str(team["anna"].id), str(team["bruno"].id)],
        ),
    )
    assert response.status_code == 303
    assert "Incontro aggiornato." in text(client.get(response.location))
    db.session.refresh(second)
    assert second.moved and second.sequence == 1 and second.place == "Sala 5"
    assert second.starts_at == datetime(2030, 2, 13, 17, 30, tzinfo=UTC)
    assert second.occurrence_local == datetime(2030, 2, 12, 18, 0)
    # The others keep their day and time.
    for other in (held[0], held[2]):
        db.session.refresh(other)
        assert not other.moved and other.starts_at.astimezone(ROME).hour == 18
    assert "spostato" in text(client.get(murl(second)))
    event = the_event(client.get(murl(second, "/incontro.ics")))
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2030, 2, 13, 18, 30)
    # Anna is told it moved; Bruno, newly invited, gets an invitation instead.
    (moved,) = notified(team["anna"], "meeting-changed:")
    assert "Cambiato: «AMA»" in moved.title and moved.excerpt == "Sala 5"
    assert notified(team["bruno"], "meeting-changed:") == []
    assert len(notified(team["bruno"], f"meeting:{second.id}")) == 1
    # Only the title changed: nobody is bothered.
    client.post(
        murl(second, "/modifica"),
        data=form_data(
            title="AMA di febbraio",
            starts_on="2030-02-13",
            starts_time="18:30",
            ends_at="20:00",
            place="Sala 5",
            invited=[str(team["lead"].id), str(team["anna"].id), str(team["bruno"].id)],
        ),
    )
    assert len(notified(team["anna"], "meeting-changed:")) == 1


def test_a_joint_meeting_becomes_internal_once_its_externals_are_no_longer_invited(
    client, auth, team
):
    meeting = schedule(
        team["group"], team["lead"], joint=True, invited=(team["anna"], team["elena"])
    )
    sign_in(auth, team["lead"])
    response = client.post(
        murl(meeting, "/modifica"), data=form_data(invited=[str(team["anna"].id)])
    )
    assert response.status_code == 303
    db.session.refresh(meeting)
    assert not meeting.is_joint
    assert [p.user_id for p in meeting.participants] == [team["anna"].id]


def test_who_came_stays_on_the_record_when_no_longer_invited(client, auth, team, meeting):
    participant = next(p for p in meeting.participants if p.user_id == team["bruno"].id)
    meetings.set_attendance(meeting, {participant.id: Attendance.EXCUSED})
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/modifica"), data=form_data(invited=[]))
    assert response.status_code == 303
    db.session.refresh(meeting)
    assert [p.user_id for p in meeting.participants] == [team["bruno"].id]


# -- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": "16:00"}, "ends_at", "L'incontro deve finire dopo l'inizio."),
        ({"ends_at": "17:00"}, "ends_at", "L'incontro deve finire dopo l'inizio."),
        ({"starts_time": "08:00", "ends_at": "21:00"}, "ends_at", "al massimo 12 ore"),
        ({"starts_on": ""}, "starts_on", "Questo campo è obbligatorio."),
        ({"starts_time": ""}, "starts_time", "Questo campo è obbligatorio."),
        ({"ends_at": ""}, "ends_at", "Questo campo è obbligatorio."),
        ({"title": "   "}, "title", "Questo campo è obbligatorio."),
        ({"starts_on": "2030-02-30"}, "starts_on", "data"),
        ({"starts_on": "domani"}, "starts_on", "data"),
        ({"starts_on": "31/02/2030"}, "starts_on", "data"),
        ({"starts_time": "25:00"}, "starts_time", "ora"),
        ({"starts_on": "9999-01-01"}, "starts_on", "Indica una data tra il 2000 e il 2100."),
        ({"starts_on": "1899-12-31"}, "starts_on", "Indica una data tra il 2000 e il 2100."),
        ({"pattern": "weekly", "count": "0"}, "count", "Da 2 a 60 incontri."),
        ({"pattern": "weekly", "count": "61"}, "count", "Da 2 a 60 incontri."),
        ({"pattern": "weekly", "count": "abc"}, "count", "numero"),
        ({"pattern": "weekly", "count": HUGE}, "count", "numero"),
        ({"pattern": "ogni-giorno", "count": "3"}, "pattern", "ripetizioni proposte"),
        ({"pattern": "weekly"}, "until", "Indica fino a quando si ripete, o quante volte."),
        (
            {"pattern": "weekly", "until": "2030-01-01"},
            "until",
            "La data di fine è prima del primo incontro.",
        ),
        ({"pattern": "weekly", "until": "9999-99-99"}, "until", "data"),
        ({"online_url": "http://meet.example.org/abc"}, "online_url", "https://"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "https://"),
        ({"online_url": "meet.example.org"}, "online_url", "https://"),
        ({"online_url": "https://"}, "online_url", "https://"),
        ({"online_url": "https://[::1"}, "online_url", "https://"),
        ({"online_url": "https://meet.example.org/a b"}, "online_url", "https://"),
        ({"title": "x" * 201}, "title", "Al massimo 200 caratteri."),
    ],
)
def test_bad_meetings_are_explained_next_to_the_field(client, auth, team, changes, field, message):
    sign_in(auth, team["lead"])
    data = form_data(title="Da non perdere", **{k: v for k, v in changes.items() if k != "title"})
    if "title" in changes:
        data["title"] = changes["title"]
    response = client.post(new_url(team["group"]), data=data)
    assert response.status_code == 422, plain(response)
    assert message.lower() in field_error(response, field).lower()
    if "title" not in changes:
        assert 'value="Da non perdere"' in text(response)
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0


def test_inviting_someone_outside_the_group_is_refused(client, auth, team, make_user):
    sign_in(auth, team["lead"])
    stranger = make_user(name="Sara Sconosciuta")
    response = client.post(
        new_url(team["group"]), data=form_data(invited=[str(team["anna"].id), str(stranger.id)])
    )
    assert response.status_code == 422
    assert "Si possono invitare solo i componenti del gruppo" in field_error(response, "invited")
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
    for odd in ("abc", HUGE):
        response = client.post(new_url(team["group"]), data=form_data(invited=[odd]))
        assert response.status_code == 422
        assert "Si possono invitare solo" in field_error(response, "invited")


def test_an_external_may_only_be_invited_to_a_joint_meeting(client, auth, team):
    sign_in(auth, team["lead"])
    invited = [str(team["anna"].id), str(team["elena"].id)]
    response = client.post(new_url(team["group"]), data=form_data(invited=invited))
    assert response.status_code == 422
    assert "per un incontro congiunto, i partecipanti esterni" in field_error(response, "invited")
    response = client.post(new_url(team["group"]), data=form_data(invited=invited, is_joint="y"))
    assert response.status_code == 303
    meeting = db.session.scalar(db.select(Meeting))
    assert meeting.is_joint
    assert len(notified(team["elena"], "meeting:")) == 1
    # It cannot stop being joint while she is invited.
    data = form_data(invited=invited)
    response = client.post(murl(meeting, "/modifica"), data=data)
    assert response.status_code == 422
    assert "deve restare congiunto" in field_error(response, "is_joint")


def test_huge_and_unknown_ids_are_404(client, auth, team, meeting):
    sign_in(auth, team["lead"])
    slug = team["group"].slug
    (item,) = add_items(meeting, team["lead"], "Punto")
    for path in (
        f"/gruppi/{slug}/incontri/{HUGE}",
        f"/gruppi/{slug}/incontri/{HUGE}/incontro.ics",
        f"/gruppi/{slug}/incontri/{HUGE}/verbale/stampa",
        f"/gruppi/{slug}/incontri/2147483648",
        f"/gruppi/{slug}/incontri/0",
        murl(meeting, "/verbale/stampa"),  # no minutes yet
        murl(meeting, "/verbale.docx"),
        f"/gruppi/{team['other'].slug}/incontri/{meeting.id}",  # another group's address
        "/calendario/" + "x" * 40 + ".ics",
        "/calendario/" + "x" * 200 + ".ics",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        murl(meeting, f"/punti/{HUGE}/sposta"),
        murl(meeting, f"/punti/{HUGE}/rinvia"),
        murl(meeting, f"/punti/{HUGE}/elimina"),
        murl(meeting, f"/ospiti/{HUGE}/elimina"),
        murl(meeting, f"/decisioni/{HUGE}/elimina"),
        f"/gruppi/{slug}/azioni/{HUGE}/chiudi",
        f"/gruppi/{slug}/azioni/{HUGE}/riapri",
        f"/gruppi/{slug}/incontri/{HUGE}/punti",
    ):
        assert client.post(path, data={"title": "x"}).status_code == 404, path
    # An item of one meeting through another meeting's address.
    later = schedule(team["group"], team["lead"], start=JULY)
    assert client.post(murl(later, f"/punti/{item.id}/sposta")).status_code == 404
    # Odd values in the forms are refused, not crashed on.
    for data in ({"title": "Punto", "duration": HUGE}, {"title": "Punto", "owner": HUGE}):
        response = client.post(murl(meeting, "/punti"), data=data)
        assert response.status_code in (303, 422), data
    response = client.post(murl(meeting, "/verbale/approva"), data={"at_meeting": HUGE})
    assert response.status_code in (303, 404)


# -- Changes refused on a cancelled meeting or on approved minutes --------------------------------


def cancelled(meeting, by):
    meetings.cancel(meeting, reason="Sciopero dei mezzi", by=by)
    return meeting


def approved(meeting, by):
    meetings.start_minutes(meeting, by=by)
    meetings.approve_minutes(meeting, by=by, at_meeting=None)
    return meeting


@pytest.mark.parametrize("state", [cancelled, approved], ids=["cancelled", "approved"])
def test_nothing_is_added_to_a_closed_meeting(client, auth, team, meeting, state):
    (item,) = add_items(meeting, team["lead"], "Linee guida")
    state(meeting, team["lead"])
    message = (
        "L'incontro è stato annullato: non si può più modificare."
        if meeting.is_cancelled
        else "Il verbale è approvato: l'incontro non si può più modificare."
    )
    sign_in(auth, team["anna"])
    participant = next(p for p in meeting.participants if p.user_id == team["anna"].id)
    attempts = {
        "/punti": {"title": "Un punto in più"},
        "/presenze": {f"presenza-{participant.id}": "present"},
        "/ospiti": {"name": "Ospite", "organisation": "Comune"},
        "/decisioni": {"item": str(item.id), "text": "Si decide."},
        "/azioni": {"title": "Compito", "owner": str(team["anna"].id)},
    }
    for tail, data in attempts.items():
        response = client.post(murl(meeting, tail), data=data)
        assert response.status_code == 303, tail
        assert message in text(client.get(response.location)), tail
        fragment = client.post(murl(meeting, tail), data=data, headers=htmx())
        assert fragment.status_code == 422, tail
        assert message in text(fragment) and "<html" not in text(fragment), tail
    db.session.refresh(meeting)
    assert [i.title for i in meeting.items] == ["Linee guida"]
    assert meeting.guests == [] and participant.attendance == Attendance.INVITED
    assert db.session.scalar(db.select(db.func.count(Decision.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ActionItem.id))) == 0
    # The page offers none of those forms.
    page = text(client.get(murl(meeting)))
    for form_id in ("agenda-form", "guest-form", "decision-form", "action-form"):
        assert f'id="{form_id}"' not in page
    # Nor may the lead move, carry or remove its items.
    sign_in(auth, team["lead"])
    for tail in (f"/punti/{item.id}/sposta", f"/punti/{item.id}/elimina"):
        response = client.post(murl(meeting, tail), data={"verso": "su"})
        assert response.status_code == 303
        assert message in text(client.get(response.location))
    response = client.post(murl(meeting, "/modifica"), data=form_data(title="Altro"))
    assert response.status_code == 422 and message in text(response)


def test_the_edit_form_of_a_closed_meeting_says_why(client, auth, team, meeting):
    cancelled(meeting, team["lead"])
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/modifica"), data=form_data(title="Nuovo titolo"))
    assert response.status_code == 422
    assert "annullato" in text(response)
    db.session.refresh(meeting)
    assert meeting.title == "Incontro del gruppo"


# -- The minutes' lifecycle ---------------------------------------------------------------------


def test_starting_the_minutes_makes_one_part_per_agenda_item(client, auth, team, meeting):
    add_items(meeting, team["lead"], "Accoglienza", "Calendario\ndell'anno")
    sign_in(auth, team["anna"])
    page = text(client.get(murl(meeting)))
    assert "Scrivi il verbale" in page
    response = client.post(murl(meeting, "/verbale"))
    assert response.status_code == 303
    db.session.refresh(meeting)
    minutes = meeting.minutes
    assert minutes.kind == "minutes" and minutes.group_id == team["group"].id
    assert response.location.endswith(durl(minutes, "/modifica"))
    body = head_text(minutes)
    assert [line for line in body.splitlines() if line.startswith("#")] == [
        "## Accoglienza",
        "## Calendario dell'anno",
    ]
    assert meeting.minutes_status == MinutesStatus.DRAFT
    # Starting again opens the same minutes.
    client.post(murl(meeting, "/verbale"))
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 1
    # The minutes are not one of the group's documents.
    documents_page = text(client.get(f"/gruppi/{team['group'].slug}/documenti/"))
    assert minutes.title not in documents_page and durl(minutes) not in documents_page
    assert client.get(durl(minutes)).status_code == 200
    # Nor are they managed as documents are.
    assert client.get(durl(minutes, "/dettagli")).status_code == 403
    page = text(client.get(murl(meeting)))
    assert "Leggi il verbale" in page and "bozza" in page and "Scrivi nel verbale" in page


def test_minutes_started_twice_at_once_are_one_document(client, auth, team, meeting):
    """Two people press "Scrivi il verbale" together: the second finds the first's minutes
    (their document is already there, under the meeting's key) instead of an error."""
    add_items(meeting, team["lead"], "Accoglienza")
    first = documents.create_document(
        team["group"],
        title=meetings.minutes_title(meeting),
        description="",
        body="## Accoglienza\n",
        author=team["lead"],
        kind=meetings.MINUTES,
        key=f" minutes:{meeting.id}",
    )
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, "/verbale"))
    assert response.status_code == 303
    assert response.location.endswith(durl(first, "/modifica"))
    db.session.refresh(meeting)
    assert meeting.minutes_document_id == first.id
    assert db.session.scalar(db.select(db.func.count(Document.id))) == 1


def test_an_item_added_later_appends_its_part_to_the_minutes(client, auth, team, meeting):
    add_items(meeting, team["lead"], "Accoglienza")
    minutes = meetings.start_minutes(meeting, by=team["lead"])
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, "/punti"), data={"title": "Varie ed eventuali"})
    assert response.status_code == 303
    body = head_text(minutes)
    assert body.rstrip().endswith("## Varie ed eventuali")
    assert body.index("## Accoglienza") < body.index("## Varie ed eventuali")
    assert minutes.text.head == 2


def test_only_leads_and_coordinators_circulate_and_participants_are_told(
    client, auth, team, meeting
):
    add_items(meeting, team["lead"], "Accoglienza")
    minutes = meetings.start_minutes(meeting, by=team["anna"])
    sign_in(auth, team["anna"])
    assert "Metti in visione" not in text(client.get(murl(meeting)))
    assert client.post(murl(meeting, "/verbale/in-visione")).status_code == 403
    sign_in(auth, team["carla"])  # a coordinator, not in the group
    response = client.post(murl(meeting, "/verbale/in-visione"))
    assert response.status_code == 303
    db.session.refresh(meeting)
    assert meeting.minutes_status == MinutesStatus.CIRCULATED and meeting.circulated_at
    page = text(client.get(response.location))
    assert "i partecipanti sono stati avvisati" in page and "in visione" in page
    for person in ("lead", "anna", "bruno"):
        (note,) = notified(team[person], "minutes-circulated:")
        assert note.url == durl(minutes)
    # Circulating twice is explained, not repeated.
    response = client.post(murl(meeting, "/verbale/in-visione"))
    assert "Il verbale è già stato messo in visione." in text(client.get(response.location))
    assert len(notified(team["anna"], "minutes-circulated:")) == 1
    # Members may still correct circulated minutes.
    sign_in(auth, team["bruno"])
    assert client.get(durl(minutes, "/modifica")).status_code == 200


def test_minutes_not_started_cannot_be_circulated_or_approved(client, auth, team, meeting):
    sign_in(auth, team["lead"])
    for tail in ("/verbale/in-visione", "/verbale/approva"):
        response = client.post(murl(meeting, tail))
        assert response.status_code == 303
        assert "Il verbale non è ancora stato iniziato." in text(client.get(response.location))
    db.session.refresh(meeting)
    assert meeting.minutes_status == MinutesStatus.DRAFT


def test_approving_records_who_when_and_at_which_meeting(client, auth, team):
    today = datetime.now(ROME).replace(tzinfo=None, hour=17, minute=0, second=0, microsecond=0)
    invited = (team["lead"], team["anna"], team["bruno"])
    meeting = schedule(
        team["group"], team["lead"], start=today - timedelta(days=30), invited=invited
    )
    add_items(meeting, team["lead"], "Accoglienza")
    minutes = meetings.start_minutes(meeting, by=team["anna"])
    following = schedule(team["group"], team["lead"], start=today - timedelta(days=2))
    upcoming = schedule(team["group"], team["lead"], start=today + timedelta(days=12))
    sign_in(auth, team["anna"])
    assert "Approva il verbale" not in text(client.get(murl(meeting)))
    response = client.post(murl(meeting, "/verbale/approva"), data={"at_meeting": following.id})
    assert response.status_code == 403
    sign_in(auth, team["lead"])
    page = text(client.get(murl(meeting)))
    # The meeting held last is offered first: minutes are usually approved at the next one;
    # one that has not taken place yet is not offered, nor accepted.
    assert re.search(
        rf'<option selected value="{following.id}"|<option value="{following.id}" selected', page
    )
    choices = re.search(r'<select[^>]*id="at_meeting".*?</select>', page, re.S).group(0)
    assert f'value="{upcoming.id}"' not in choices and f'value="{meeting.id}"' in choices
    response = client.post(murl(meeting, "/verbale/approva"), data={"at_meeting": upcoming.id})
    assert "Scegli questo incontro o uno successivo" in text(client.get(response.location))
    response = client.post(murl(meeting, "/verbale/approva"), data={"at_meeting": following.id})
    assert response.status_code == 303
    db.session.refresh(meeting)
    assert meeting.minutes_status == MinutesStatus.APPROVED
    assert meeting.approved_by_id == team["lead"].id and meeting.approved_at is not None
    assert meeting.approved_at_meeting_id == following.id
    assert meeting.approved_revision == minutes.text.head == 1
    page = plain(client.get(murl(meeting)))
    assert "Approvato il" in page and "da Laura Referente" in page
    assert "nell'incontro del" in page
    assert "Verbale approvato: ora è chiuso alle modifiche." in page
    assert len(notified(team["anna"], "minutes-approved:")) == 1
    # The minutes' page says so and offers the lead a correction, not an edit.
    document_page = text(client.get(durl(minutes)))
    assert "Verbale approvato (versione 1)." in document_page and "Correggi" in document_page
    # Approving twice, or at a meeting before this one or of another group, is refused.
    response = client.post(murl(meeting, "/verbale/approva"))
    assert "Il verbale è già approvato." in text(client.get(response.location))


def test_minutes_are_approved_only_at_this_or_a_later_meeting_of_the_group(client, auth, team):
    # Held last week: approving at the meeting itself (at its end) is possible.
    held = datetime.now(ROME).replace(tzinfo=None, hour=17, minute=0, second=0, microsecond=0)
    meeting = schedule(team["group"], team["lead"], start=held - timedelta(days=7))
    meetings.start_minutes(meeting, by=team["lead"])
    earlier = schedule(team["group"], team["lead"], start=held - timedelta(days=40))
    elsewhere = schedule(team["other"], team["carla"], start=JULY)
    called_off = cancelled(schedule(team["group"], team["lead"], start=JULY), team["lead"])
    sign_in(auth, team["lead"])
    assert f'value="{called_off.id}"' not in text(client.get(murl(meeting)))
    for other in (earlier, elsewhere, called_off):
        response = client.post(murl(meeting, "/verbale/approva"), data={"at_meeting": other.id})
        assert response.status_code in (303, 404)
        if response.status_code == 303:
            assert "Scegli questo incontro o uno successivo del gruppo." in text(
                client.get(response.location)
            )
    db.session.refresh(meeting)
    assert meeting.minutes_status == MinutesStatus.DRAFT
    response = client.post(murl(meeting, "/verbale/approva"), data={"at_meeting": meeting.id})
    assert response.status_code == 303
    db.session.refresh(meeting)
    assert meeting.approved_at_meeting_id == meeting.id


def test_approved_minutes_refuse_members_and_take_a_lead_correction_with_a_reason(
    client, auth, team, meeting
):
    add_items(meeting, team["lead"], "Accoglienza")
    minutes = meetings.start_minutes(meeting, by=team["anna"])
    meetings.approve_minutes(meeting, by=team["lead"], at_meeting=None)
    corrected = head_text(minutes) + "\nLa famiglia Rossi è stata accolta.\n"
    # A member: no edit button, the editor sends back with the reason, a save keeps the text.
    sign_in(auth, team["anna"])
    assert "Scrivi nel verbale" not in text(client.get(murl(meeting)))
    response = client.get(durl(minutes, "/modifica"))
    assert response.status_code == 302 and response.location.endswith(durl(minutes))
    assert "solo chi guida il gruppo può correggerlo" in text(client.get(response.location))
    response = client.post(
        durl(minutes, "/modifica"), data={"body": corrected, "base": "1", "summary": "refuso"}
    )
    assert response.status_code == 403
    assert "La famiglia Rossi è stata accolta." in text(response)
    assert "solo chi guida il gruppo può correggerlo" in text(response)
    assert minutes.text.head == 1
    # Nor may they restore an older version.
    assert client.post(durl(minutes, "/versioni/1/ripristina")).status_code == 403
    # The lead: a correction needs its reason, and the text is kept while it is missing.
    sign_in(auth, team["lead"])
    page = client.get(durl(minutes, "/modifica"))
    assert page.status_code == 200
    response = client.post(
        durl(minutes, "/modifica"),
        data={"body": corrected, "base": "1", "summary": "  ", "editor": editor_token(page)},
    )
    assert response.status_code == 422
    assert "Indica il motivo della correzione" in field_error(response, "summary")
    assert "La famiglia Rossi è stata accolta." in text(response)
    assert minutes.text.head == 1
    response = client.post(
        durl(minutes, "/modifica"),
        data={
            "body": corrected,
            "base": "1",
            "summary": "Mancava l'accoglienza dei Rossi",
            "editor": editor_token(page),
        },
    )
    assert response.status_code == 302
    db.session.refresh(minutes.text)
    assert minutes.text.head == 2
    db.session.refresh(meeting)
    assert meeting.minutes_status == MinutesStatus.APPROVED and meeting.approved_revision == 1
    page = plain(client.get(murl(meeting)))
    assert "Correzioni dopo l'approvazione" in page
    assert "Versione 2" in page and "«Mancava l'accoglienza dei Rossi»" in page
    assert re.search(
        re.escape(durl(minutes, "/confronta?")) + r"[^\"]*da=1", text(client.get(murl(meeting)))
    )
    # The print view shows the corrected text.
    assert "La famiglia Rossi è stata accolta." in text(
        client.get(murl(meeting, "/verbale/stampa"))
    )


# -- Joint meetings with the foster-care coordination -------------------------------------------


@pytest.fixture
def joint(team):
    return schedule(
        team["group"],
        team["lead"],
        title="Incontro con il Coordinamento affidi",
        invited=(team["lead"], team["anna"], team["elena"]),
        joint=True,
    )


def test_an_external_participant_takes_part_in_a_joint_meeting(client, auth, team, joint):
    group = team["group"]
    elena = team["elena"]
    sign_in(auth, elena)
    page = client.get(murl(joint))
    assert page.status_code == 200
    body = text(page)
    assert "Incontro con il Coordinamento affidi" in body and "con il Coordinamento affidi" in body
    # Nothing of the group links from here for her: no breadcrumbs to it, no documents.
    assert f'href="/gruppi/{group.slug}"' not in body
    assert f'href="/gruppi/{group.slug}/incontri/"' not in body
    assert f'/gruppi/{group.slug}/documenti/"' not in body
    # She adds an item and records who came.
    response = client.post(murl(joint, "/punti"), data={"title": "Progetto affidi 2030"})
    assert response.status_code == 303
    participants = {p.user_id: p for p in joint.participants}
    response = client.post(
        murl(joint, "/presenze"),
        data={
            f"presenza-{participants[elena.id].id}": "present",
            f"presenza-{participants[team['anna'].id].id}": "present",
            f"presenza-{participants[team['lead'].id].id}": "excused",
        },
    )
    assert response.status_code == 303
    response = client.post(
        murl(joint, "/ospiti"), data={"name": "Marco Sociale", "organisation": "Comune di Rho"}
    )
    assert response.status_code == 303
    db.session.refresh(joint)
    assert [i.title for i in joint.items] == ["Progetto affidi 2030"]
    assert {p.user_id: p.attendance for p in joint.participants} == {
        elena.id: Attendance.PRESENT,
        team["anna"].id: Attendance.PRESENT,
        team["lead"].id: Attendance.EXCUSED,
    }
    # She writes the minutes through the documents' editor; the save is a revision.
    response = client.post(murl(joint, "/verbale"))
    assert response.status_code == 303
    db.session.refresh(joint)
    minutes = joint.minutes
    editor = client.get(response.location)
    assert editor.status_code == 200
    body = head_text(minutes) + "\nIl coordinamento presenta il progetto.\n"
    response = client.post(
        durl(minutes, "/modifica"),
        data={"body": body, "base": "1", "summary": "Primo punto", "editor": editor_token(editor)},
    )
    assert response.status_code == 302
    db.session.refresh(minutes.text)
    assert minutes.text.head == 2
    assert "Il coordinamento presenta il progetto." in head_text(minutes)
    for tail in ("", "/versioni", "/confronta?da=1&a=2", "/versioni/1", "/versioni/2/autori"):
        response = client.get(durl(minutes, tail))
        assert response.status_code == 200, tail
        assert f'href="/gruppi/{group.slug}"' not in text(response), tail
    # The minutes' breadcrumbs lead back to the meeting, not to the group.
    trail = text(client.get(durl(minutes)))
    assert f'href="{murl(joint)}"' in trail
    # Print view and DOCX: both coordinations and the organisations present.
    response = client.get(murl(joint, "/verbale/stampa"))
    header = re.search(r"<header.*?</header>", text(response), flags=re.S).group(0)
    assert header.count("Coordinamento affidi (incontro congiunto)") == 1
    assert "Gruppo AMA" in header and "14 gennaio 2030, 17:00–19:00" in header
    printed = plain(response)
    assert "Anna Operatrice, Spazio neutro di Rho" in printed
    assert "Tavolo di coordinamento Spazio Neutro e Coordinamento affidi" in printed
    assert "Servizi ed enti presenti" in printed
    for organisation in ("Coordinamento affidi", "Spazio neutro di Rho", "Comune di Rho"):
        assert organisation in printed
    assert "Marco Sociale (Comune di Rho), ospite" in printed
    assert "Il coordinamento presenta il progetto." in printed
    response = client.get(murl(joint, "/verbale.docx"))
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    from docx import Document as Docx

    word = Docx(io.BytesIO(response.data))
    paragraphs = [p.text for p in word.paragraphs]
    assert paragraphs[0].startswith("Verbale: Incontro con il Coordinamento affidi")
    assert "Coordinamento affidi (incontro congiunto)" in paragraphs[1]
    whole = "\n".join(paragraphs)
    assert "Spazio neutro di Rho" in whole and "Comune di Rho" in whole
    assert client.get(murl(joint, "/incontro.ics")).status_code == 200


def test_an_external_participant_sees_nothing_else_of_the_group(client, auth, team, joint):
    group = team["group"]
    slug = group.slug
    not_joint = schedule(group, team["lead"], start=JULY, invited=(team["anna"],))
    not_invited = schedule(
        group, team["lead"], start=JULY, joint=True, invited=(team["anna"],), title="Altro"
    )
    document = documents.create_document(
        group, title="Linee guida", description="", body="# Testo\n", author=team["lead"]
    )
    db.session.commit()
    action = meetings.assign_action(
        joint,
        title="Mandare il testo",
        owner_id=team["anna"].id,
        due_on=None,
        item_id=None,
        by=team["lead"],
    )
    sign_in(auth, team["elena"])
    for path in (
        f"/gruppi/{slug}",
        f"/gruppi/{slug}/incontri/",
        f"/gruppi/{slug}/incontri/nuovo",
        f"/gruppi/{slug}/documenti/",
        durl(document),
        f"/gruppi/{slug}/discussioni/",
        f"/gruppi/{slug}/azioni/",
        murl(not_joint),
        murl(not_joint, "/incontro.ics"),
        murl(not_invited),
        murl(not_invited, "/incontro.ics"),
    ):
        assert client.get(path).status_code == 404, path
    for path in (murl(not_joint, "/punti"), murl(not_invited, "/verbale")):
        assert client.post(path, data={"title": "x"}).status_code == 404, path
    # She may not close an action that is not hers, nor manage the meeting.
    assert client.post(f"/gruppi/{slug}/azioni/{action.id}/chiudi").status_code == 403
    assert client.get(murl(joint, "/modifica")).status_code == 403
    assert client.post(murl(joint, "/annulla")).status_code == 403
    # A decision cannot point her at one of the group's documents.
    (item,) = add_items(joint, team["lead"], "Punto")
    response = client.post(
        murl(joint, "/decisioni"),
        data={"item": str(item.id), "text": "Approvate", "document": str(document.id)},
    )
    assert response.status_code in (303, 422)
    decision = db.session.scalar(db.select(Decision))
    assert decision is None or decision.document_id is None
    page = text(client.get(murl(joint)))
    assert "Linee guida" not in page
    # Once she is no longer invited, the joint meeting is gone for her too.
    db.session.refresh(joint)
    joint.participants = [p for p in joint.participants if p.user_id != team["elena"].id]
    db.session.commit()
    assert client.get(murl(joint)).status_code == 404


def test_an_external_participant_is_not_told_when_the_series_meets_next(client, auth, team):
    first, second = meetings.schedule_meetings(
        True,
        team["group"],
        meetings.Schedule(
            title="Affidi",
            starts_local=JANUARY,
            ends_local=JANUARY.replace(hour=19),
            place="",
            online_url="",
            is_joint=True,
            invited_ids=(team["anna"].id, team["elena"].id),
            pattern=meetings.recurrence.Pattern.WEEKLY,
            count=2,
        ),
        by=team["lead"],
    )
    second.participants = [p for p in second.participants if p.user_id != team["elena"].id]
    db.session.commit()
    sign_in(auth, team["elena"])
    page = text(client.get(murl(first)))
    assert "fa parte di una serie" in page and murl(second) not in page
    assert client.get(murl(second)).status_code == 404
    sign_in(auth, team["anna"])
    assert murl(second) in text(client.get(murl(first)))


# -- Decisions ----------------------------------------------------------------------------------


@pytest.fixture
def guidelines(team):
    document = documents.create_document(
        team["group"], title="Linee guida", description="", body="# Premessa\n", author=team["lead"]
    )
    db.session.commit()
    documents.save_from_editor(
        document,
        team["lead"],
        editor_id=revisions.new_editor_id(),
        body="# Premessa\n\nSeconda stesura.\n",
        base_number=1,
        section=None,
        summary="",
    )
    db.session.commit()
    assert document.text.head == 2
    return document


def test_a_decision_on_a_document_revision_shows_on_the_document(
    client, auth, team, meeting, guidelines
):
    (item,) = add_items(meeting, team["lead"], "Linee guida")
    sign_in(auth, team["anna"])
    response = client.post(
        murl(meeting, "/decisioni"),
        data={
            "item": str(item.id),
            "text": "Linee guida approvate",
            "document": str(guidelines.id),
            "revision": "1",
        },
        headers=htmx(),
    )
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.lstrip().startswith('<section id="decisions"')
    assert "Linee guida approvate" in fragment and "«Linee guida», versione 1" in fragment
    assert durl(guidelines, "/versioni/1") in fragment
    decision = db.session.scalar(db.select(Decision))
    assert (decision.document_id, decision.revision_number) == (guidelines.id, 1)
    page = text(client.get(durl(guidelines)))
    assert "Versione 1: «Linee guida approvate», all'incontro del 14 gennaio 2030." in page
    assert f'href="{murl(meeting)}#decisions"' in page
    # Without a version, the current one.
    client.post(
        murl(meeting, "/decisioni"),
        data={"item": str(item.id), "text": "Si pubblica", "document": str(guidelines.id)},
    )
    assert db.session.scalars(db.select(Decision.revision_number).order_by(Decision.id)).all() == [
        1,
        2,
    ]
    # A cancelled meeting decided nothing.
    cancelled(meeting, team["lead"])
    assert "all'incontro del" not in text(client.get(durl(guidelines)))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "   "}, "text", "Questo campo è obbligatorio."),
        ({"item": ""}, "item", "Scegli il punto all'ordine del giorno."),
        ({"item": HUGE}, "item", "Scegli il punto all'ordine del giorno."),
        ({"item": "99999"}, "item", "Scegli il punto all'ordine del giorno."),
        ({"document": "elsewhere"}, "document", "Scegli un documento del gruppo."),
        ({"document": "minutes"}, "document", "Scegli un documento del gruppo."),
        ({"document": "mine", "revision": "99"}, "revision", "Il documento non ha la versione 99."),
        ({"document": "mine", "revision": "abc"}, "revision", "Scrivi un numero intero"),
        ({"document": "mine", "revision": HUGE}, "revision", "Scrivi un numero intero"),
        ({"revision": "1"}, "document", "Scegli il documento a cui si riferisce la versione."),
    ],
)
def test_bad_decisions_are_explained_in_the_fragment(
    client, auth, team, meeting, guidelines, data, field, message
):
    (item,) = add_items(meeting, team["lead"], "Linee guida")
    elsewhere = documents.create_document(
        team["other"], title="Altrove", description="", body="x", author=team["lead"]
    )
    db.session.commit()
    minutes = meetings.start_minutes(meeting, by=team["lead"])
    ids = {"elsewhere": elsewhere.id, "minutes": minutes.id, "mine": guidelines.id}
    form = {"item": str(item.id), "text": "La decisione scritta"} | data
    if form.get("document") in ids:
        form["document"] = str(ids[form["document"]])
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, "/decisioni"), data=form, headers=htmx())
    assert response.status_code == 422
    assert "<html" not in text(response)
    assert message in field_error(response, field)
    if data.get("text") is None:
        assert "La decisione scritta" in text(response)
    assert db.session.scalar(db.select(db.func.count(Decision.id))) == 0


def test_an_external_participant_sees_a_decisions_document_title_without_a_link(
    client, auth, team, joint, guidelines
):
    (item,) = add_items(joint, team["lead"], "Linee guida")
    meetings.add_decision(
        joint,
        item_id=item.id,
        text="Approvate",
        document_id=guidelines.id,
        revision_number=2,
        by=team["lead"],
    )
    sign_in(auth, team["elena"])
    page = text(client.get(murl(joint)))
    assert "«Linee guida», versione 2" in page and durl(guidelines) not in page
    sign_in(auth, team["anna"])
    assert durl(guidelines, "/versioni/2") in text(client.get(murl(joint)))


def test_a_decision_is_removed_by_its_author_or_a_lead_only(client, auth, team, meeting):
    (item,) = add_items(meeting, team["lead"], "Punto")
    decision = meetings.add_decision(
        meeting,
        item_id=item.id,
        text="Si decide",
        document_id=None,
        revision_number=None,
        by=team["anna"],
    )
    sign_in(auth, team["bruno"])
    assert client.post(murl(meeting, f"/decisioni/{decision.id}/elimina")).status_code == 403
    # An item with decisions is not removed under them.
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, f"/punti/{item.id}/elimina"))
    assert "Il punto ha delle decisioni: eliminale prima." in text(client.get(response.location))
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, f"/decisioni/{decision.id}/elimina"), headers=htmx())
    assert response.status_code == 200
    assert "Nessuna decisione registrata." in text(response)
    assert db.session.scalar(db.select(db.func.count(Decision.id))) == 0


# -- Actions ------------------------------------------------------------------------------------


def test_an_action_is_assigned_listed_closed_with_a_note_and_reopened(client, auth, team, meeting):
    (item,) = add_items(meeting, team["lead"], "Calendario")
    slug = team["group"].slug
    sign_in(auth, team["lead"])
    response = client.post(
        murl(meeting, "/azioni"),
        data={
            "title": "Mandare il calendario",
            "owner": str(team["anna"].id),
            "due_on": "2030-01-31",
            "item": str(item.id),
        },
    )
    assert response.status_code == 303
    action = db.session.scalar(db.select(ActionItem))
    assert (action.owner_id, action.due_on, action.item_id) == (
        team["anna"].id,
        date(2030, 1, 31),
        item.id,
    )
    (note,) = notified(team["anna"], "action:")
    assert "Mandare il calendario" in note.title
    assert note.url == murl(meeting) + f"#azione-{action.id}"
    assert notified(team["bruno"], "action:") == []
    # The group's open actions.
    listing = text(client.get(f"/gruppi/{slug}/azioni/"))
    assert "Mandare il calendario" in listing and "31 gennaio 2030" in listing
    assert "1 compito aperto" in text(client.get(f"/gruppi/{slug}"))
    # Someone who is neither its owner, nor who assigned it, nor a lead: 403.
    sign_in(auth, team["bruno"])
    assert "Segna come fatto" not in text(client.get(f"/gruppi/{slug}/azioni/"))
    response = client.post(f"/gruppi/{slug}/azioni/{action.id}/chiudi", data={"note": "fatto"})
    assert response.status_code == 403
    # The owner closes it with a note, from the list.
    sign_in(auth, team["anna"])
    response = client.post(
        f"/gruppi/{slug}/azioni/{action.id}/chiudi",
        data={"note": "Mandato a tutti il 20 gennaio", "da": "elenco"},
    )
    assert response.status_code == 303 and response.location.endswith(f"/gruppi/{slug}/azioni/")
    db.session.refresh(action)
    assert action.status == ActionStatus.DONE and action.closed_by_id == team["anna"].id
    assert action.closing_note == "Mandato a tutti il 20 gennaio"
    listing = text(client.get(response.location))
    assert "Compito chiuso." in listing and "Mandare il calendario" not in listing
    page = text(client.get(murl(meeting)))
    assert "«Mandato a tutti il 20 gennaio»" in page and "fatto" in page
    # Closing twice is explained.
    response = client.post(f"/gruppi/{slug}/azioni/{action.id}/chiudi", data={"note": ""})
    assert "Il compito è già chiuso." in text(client.get(response.location))
    # Reopened from the meeting page, with htmx: the actions region comes back.
    response = client.post(f"/gruppi/{slug}/azioni/{action.id}/riapri", headers=htmx())
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<section id="actions"')
    db.session.refresh(action)
    assert action.status == ActionStatus.OPEN and action.closed_at is None
    assert "Mandare il calendario" in text(client.get(f"/gruppi/{slug}/azioni/"))
    # A note that is too long.
    response = client.post(f"/gruppi/{slug}/azioni/{action.id}/chiudi", data={"note": "x" * 2001})
    assert "La nota è troppo lunga" in text(client.get(response.location))
    db.session.refresh(action)
    assert action.status == ActionStatus.OPEN


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"owner": "stranger"}, "action-owner", "Scegli una persona invitata all'incontro."),
        ({"owner": "elena"}, "action-owner", "Scegli una persona invitata all'incontro."),
        ({"owner": ""}, "action-owner", "Scegli il responsabile."),
        ({"owner": HUGE}, "action-owner", "Scegli il responsabile."),
        ({"item": "99999"}, "action-item", "Scegli il punto all'ordine del giorno."),
        ({"title": ""}, "action-title", "Questo campo è obbligatorio."),
        ({"due_on": "2030-13-01"}, "action-due-on", "Indica una data valida"),
        ({"due_on": "9999-01-01"}, "action-due-on", "Indica una data tra il 2000 e il 2100."),
    ],
)
def test_bad_actions_are_explained_next_to_the_field(
    client, auth, team, meeting, make_user, data, field, message
):
    stranger = make_user(name="Sara Sconosciuta")
    people = {"stranger": str(stranger.id), "elena": str(team["elena"].id)}
    form = {"title": "Il compito scritto", "owner": str(team["anna"].id)} | data
    form["owner"] = people.get(form["owner"], form["owner"])
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, "/azioni"), data=form)
    assert response.status_code == 422
    assert message in field_error(response, field)
    if "title" not in data:
        assert 'value="Il compito scritto"' in text(response)
    assert db.session.scalar(db.select(db.func.count(ActionItem.id))) == 0


def test_a_select_value_that_is_not_an_id_is_no_choice(client, auth, team, meeting, guidelines):
    """What no select offers (a huge number, a word) is read as the empty choice."""
    (item,) = add_items(meeting, team["lead"], "Punto")
    sign_in(auth, team["anna"])
    response = client.post(
        murl(meeting, "/decisioni"),
        data={"item": str(item.id), "text": "Si decide", "document": HUGE},
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(Decision.document_id)) is None
    response = client.post(
        murl(meeting, "/azioni"),
        data={"title": "Compito", "owner": str(team["anna"].id), "item": "punto"},
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(ActionItem.item_id)) is None


# -- Agenda -------------------------------------------------------------------------------------


def titles(meeting):
    db.session.refresh(meeting)
    return [item.title for item in meeting.items]


def test_the_lead_reorders_the_agenda_and_members_may_not(client, auth, team, meeting):
    first, second, third = add_items(meeting, team["anna"], "Primo", "Secondo", "Terzo")
    sign_in(auth, team["anna"])
    page = text(client.get(murl(meeting)))
    assert "Sposta su" not in page
    response = client.post(murl(meeting, f"/punti/{second.id}/sposta"), data={"verso": "su"})
    assert response.status_code == 403
    sign_in(auth, team["lead"])
    assert "Sposta su" in text(client.get(murl(meeting)))
    response = client.post(
        murl(meeting, f"/punti/{second.id}/sposta"), data={"verso": "su"}, headers=htmx()
    )
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.lstrip().startswith('<section id="agenda"') and "<html" not in fragment
    assert fragment.index("Secondo") < fragment.index("Primo")
    assert titles(meeting) == ["Secondo", "Primo", "Terzo"]
    response = client.post(murl(meeting, f"/punti/{second.id}/sposta"), data={"verso": "giu"})
    assert response.status_code == 303 and response.location.endswith("#agenda")
    assert titles(meeting) == ["Primo", "Secondo", "Terzo"]
    # Past either end: nothing moves.
    client.post(murl(meeting, f"/punti/{first.id}/sposta"), data={"verso": "su"})
    client.post(murl(meeting, f"/punti/{third.id}/sposta"), data={"verso": "giu"})
    assert titles(meeting) == ["Primo", "Secondo", "Terzo"]
    # A coordinator may too.
    sign_in(auth, team["carla"])
    client.post(murl(meeting, f"/punti/{third.id}/sposta"), data={"verso": "su"})
    assert titles(meeting) == ["Primo", "Terzo", "Secondo"]


def test_items_are_removed_by_whoever_added_them_or_a_lead(client, auth, team, meeting):
    (mine,) = add_items(meeting, team["anna"], "Di Anna")
    sign_in(auth, team["bruno"])
    assert client.post(murl(meeting, f"/punti/{mine.id}/elimina")).status_code == 403
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, f"/punti/{mine.id}/elimina"), headers=htmx())
    assert response.status_code == 200
    assert "Nessun punto all'ordine del giorno." in text(response)
    assert titles(meeting) == []


def test_an_item_not_reached_is_carried_to_the_next_meeting_of_the_series(client, auth, team):
    first, second = series(
        team["group"],
        team["lead"],
        title="AMA",
        start=datetime(2030, 1, 8, 18, 0),
        place="",
        invited=(team["lead"], team["anna"]),
        pattern=meetings.recurrence.Pattern.MONTHLY_WEEKDAY,
        count=2,
    )
    # A single meeting of the group in between is not the series' next one.
    schedule(team["group"], team["lead"], start=datetime(2030, 1, 20, 10, 0))
    meetings.start_minutes(second, by=team["lead"])
    (item,) = add_items(first, team["anna"], "Bilancio")
    meetings.add_item(
        first, title="Con relatrice", owner_id=team["anna"].id, duration=20, by=team["anna"]
    )
    sign_in(auth, team["anna"])
    assert client.post(murl(first, f"/punti/{item.id}/rinvia")).status_code == 403
    sign_in(auth, team["lead"])
    response = client.post(murl(first, f"/punti/{item.id}/rinvia"))
    assert response.status_code == 303
    assert "Punto rinviato all'incontro del 12 febbraio 2030." in text(
        client.get(response.location)
    )
    db.session.refresh(item)
    assert item.carried_to_id == second.id
    carried = db.session.scalar(db.select(AgendaItem).where(AgendaItem.meeting_id == second.id))
    assert carried.title == "Bilancio" and carried.carried_from_id == first.id
    # Here it is marked, there it says where it comes from, and it has its part of the minutes.
    here = plain(client.get(murl(first)))
    assert "non trattato" in here and "rinviato al 12 febbraio 2030" in here
    there = plain(client.get(murl(second)))
    assert "rinviato dall'incontro del" in there and "8 gennaio 2030" in there
    assert "## Bilancio" in head_text(second.minutes)
    # Carried once only.
    response = client.post(murl(first, f"/punti/{item.id}/rinvia"), headers=htmx())
    assert response.status_code == 422
    assert "Questo punto è già stato rinviato." in text(response)
    # The owner goes along when invited there too.
    with_owner = first.items[-1]
    client.post(murl(first, f"/punti/{with_owner.id}/rinvia"))
    moved = db.session.scalar(
        db.select(AgendaItem).where(
            AgendaItem.meeting_id == second.id, AgendaItem.title == "Con relatrice"
        )
    )
    assert moved.owner_id == team["anna"].id and moved.duration_minutes == 20


def test_carrying_an_item_without_a_next_meeting_says_so(client, auth, team, meeting):
    (item,) = add_items(meeting, team["lead"], "Bilancio")
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, f"/punti/{item.id}/rinvia"))
    assert response.status_code == 303
    assert "Non c'è un incontro successivo: programmalo prima." in text(
        client.get(response.location)
    )
    response = client.post(murl(meeting, f"/punti/{item.id}/rinvia"), headers=htmx())
    assert response.status_code == 422
    assert "Non c'è un incontro successivo" in text(response)
    db.session.refresh(item)
    assert item.carried_to_id is None


def test_items_of_approved_minutes_are_not_carried(client, auth, team, meeting):
    (item,) = add_items(meeting, team["lead"], "Bilancio")
    later = schedule(team["group"], team["lead"], start=JULY)
    approved(meeting, team["lead"])
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, f"/punti/{item.id}/rinvia"))
    assert "Il verbale è approvato" in text(client.get(response.location))
    assert titles(later) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Questo campo è obbligatorio."),
        ({"title": "x" * 201}, "title", "Al massimo 200 caratteri."),
        ({"duration": "0"}, "duration", "Indica una durata tra 1 e 600 minuti."),
        ({"duration": "601"}, "duration", "Indica una durata tra 1 e 600 minuti."),
        ({"duration": "mezz'ora"}, "duration", "Scrivi un numero intero"),
        ({"owner": "stranger"}, "owner", "Scegli una persona invitata all'incontro."),
    ],
)
def test_bad_agenda_items_are_explained_inside_the_fragment(
    client, auth, team, meeting, make_user, data, field, message
):
    stranger = make_user(name="Sara Sconosciuta")
    form = {"title": "Il punto scritto"} | data
    if form.get("owner") == "stranger":
        form["owner"] = str(stranger.id)
    sign_in(auth, team["anna"])
    response = client.post(murl(meeting, "/punti"), data=form, headers=htmx())
    assert response.status_code == 422
    fragment = text(response)
    assert fragment.lstrip().startswith('<section id="agenda"') and "<html" not in fragment
    assert message in field_error(response, field)
    if "title" not in data:
        assert 'value="Il punto scritto"' in fragment
    # Without htmx, the whole page with the same message.
    response = client.post(murl(meeting, "/punti"), data=form)
    assert response.status_code == 422 and "<html" in text(response)
    assert message in field_error(response, field)
    assert titles(meeting) == []


def test_adding_an_agenda_item_with_htmx_returns_the_agenda_only(client, auth, team, meeting):
    sign_in(auth, team["anna"])
    response = client.post(
        murl(meeting, "/punti"),
        data={"title": "Calendario dell'anno", "owner": str(team["bruno"].id), "duration": "15"},
        headers=htmx(),
    )
    assert response.status_code == 200
    assert "HX-Request" in response.headers.get("Vary", "")
    fragment = text(response)
    assert fragment.lstrip().startswith('<section id="agenda"') and "<html" not in fragment
    assert 'id="attendance"' not in fragment and 'id="minutes"' not in fragment
    assert "Calendario dell'anno" in fragment and "Bruno Educatore" in fragment
    assert "15 minuti" in fragment
    # A fresh form, and the confirmation out of band.
    assert 'value="Calendario dell\'anno"' not in fragment
    assert "Punto aggiunto all'ordine del giorno." in fragment and "hx-swap-oob" in fragment
    (item,) = meeting.items
    assert (item.owner_id, item.duration_minutes, item.added_by_id) == (
        team["bruno"].id,
        15,
        team["anna"].id,
    )
    # The same URL without htmx: back to the page, at the agenda.
    response = client.post(murl(meeting, "/punti"), data={"title": "Varie"})
    assert response.status_code == 303 and response.location.endswith(murl(meeting) + "#agenda")


def test_the_regions_that_list_agenda_items_follow_the_agenda(client, auth, team, meeting):
    """Decisions and actions choose among the agenda's items: an item added with htmx reaches
    them out of band (the decisions region whole with the first item, when it had no form;
    after that only the lists, so what is typed beside them stays); a refusal changes none."""
    sign_in(auth, team["anna"])
    first = client.post(murl(meeting, "/punti"), data={"title": "Calendario"}, headers=htmx())
    fragment = text(first)
    assert re.search(r'<section id="decisions"[^>]*data-hx-swap-oob="true"', fragment)
    assert 'id="decision-form"' in fragment and "1. Calendario" in fragment
    action_select = re.search(r'<select[^>]*id="action-item"[^>]*>', fragment)
    assert action_select and 'data-hx-swap-oob="true"' in action_select.group(0)

    second = text(client.post(murl(meeting, "/punti"), data={"title": "Varie"}, headers=htmx()))
    assert '<section id="decisions"' not in second
    decision_items = re.search(r'<select[^>]*id="item"[^>]*>(.*?)</select>', second, re.S)
    assert decision_items and "data-hx-swap-oob" in decision_items.group(0)
    assert "1. Calendario" in decision_items.group(1) and "2. Varie" in decision_items.group(1)
    action_items = re.search(r'<select[^>]*id="action-item"[^>]*>(.*?)</select>', second, re.S)
    assert action_items and "2. Varie" in action_items.group(1)

    refused = client.post(murl(meeting, "/punti"), data={"title": ""}, headers=htmx())
    assert refused.status_code == 422
    assert 'id="item"' not in text(refused) and 'id="action-item"' not in text(refused)


def test_attendance_and_guests_with_htmx(client, auth, team, meeting):
    sign_in(auth, team["anna"])
    participants = {p.user_id: p for p in meeting.participants}
    response = client.post(
        murl(meeting, "/presenze"),
        data={
            f"presenza-{participants[team['anna'].id].id}": "present",
            f"presenza-{participants[team['bruno'].id].id}": "absent",
            f"presenza-{participants[team['lead'].id].id}": "nonsense",
            "presenza-999999": "present",
        },
        headers=htmx(),
    )
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<section id="attendance"')
    db.session.refresh(meeting)
    assert {p.user_id: p.attendance for p in meeting.participants} == {
        team["anna"].id: Attendance.PRESENT,
        team["bruno"].id: Attendance.ABSENT,
        team["lead"].id: Attendance.INVITED,
    }
    response = client.post(murl(meeting, "/ospiti"), data={"name": ""}, headers=htmx())
    assert response.status_code == 422
    assert "Questo campo è obbligatorio." in field_error(response, "name")
    response = client.post(
        murl(meeting, "/ospiti"), data={"name": "Marco", "organisation": "ASST"}, headers=htmx()
    )
    assert response.status_code == 200 and "Marco" in text(response)
    (guest,) = meeting.guests
    response = client.post(murl(meeting, f"/ospiti/{guest.id}/elimina"), headers=htmx())
    assert "Nessun ospite." in text(response)


# -- Calendars ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "utc_hour"), [(JANUARY, 16), (JULY, 15)])
def test_the_meeting_ics_parses_and_keeps_rome_time(client, auth, team, start, utc_hour):
    meeting = schedule(team["group"], team["lead"], start=start, invited=(team["anna"],))
    sign_in(auth, team["anna"])
    response = client.get(murl(meeting, "/incontro.ics"))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="incontro-{start:%Y-%m-%d}.ics"' in response.headers["Content-Disposition"]
    event = the_event(response)
    assert str(event["UID"]).startswith(f"meeting-{meeting.id}@")
    assert str(event["SUMMARY"]) == "Incontro del gruppo (Gruppo AMA)"
    assert str(event["LOCATION"]) == "Sala 3"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).endswith(murl(meeting))
    dtstart = event.decoded("DTSTART")
    assert str(dtstart.tzinfo) == "Europe/Rome" or event["DTSTART"].params["TZID"] == "Europe/Rome"
    assert dtstart.replace(tzinfo=None) == start
    assert dtstart.astimezone(UTC).hour == utc_hour
    assert event.decoded("DTEND").replace(tzinfo=None) == start.replace(hour=19)


def feed_token(client) -> str:
    response = client.post("/calendario/nuovo-indirizzo")
    assert response.status_code == 200
    match = re.search(
        r'id="feed-url"[^>]*value="http://tavolo\.test/calendario/([^"/]+)\.ics"', text(response)
    )
    assert match, text(response)
    return match.group(1)


def uids(response) -> set[str]:
    return {str(event["UID"]) for event in Calendar.from_ical(response.data).walk("VEVENT")}


def test_the_personal_calendar_feed(client, auth, team, meeting, joint, make_group):
    elsewhere = schedule(team["other"], team["carla"], start=JULY)
    elena_group = make_group("Genitori affidatari", members=[team["elena"]])
    hers = schedule(elena_group, team["carla"], start=JULY)
    sign_in(auth, team["anna"])
    page = text(client.get("/calendario/"))
    assert "Non hai ancora un indirizzo del calendario." in page
    token = feed_token(client)
    # Shown once only.
    page = text(client.get("/calendario/"))
    assert token not in page and "Hai un indirizzo attivo" in page
    auth.logout()
    response = client.get(f"/calendario/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert uids(response) == {f"meeting-{meeting.id}@tavolo", f"meeting-{joint.id}@tavolo"}
    assert f"meeting-{elsewhere.id}@tavolo" not in uids(response)
    # A new address replaces the old one.
    sign_in(auth, team["anna"])
    new_token = feed_token(client)
    assert new_token != token
    assert client.get(f"/calendario/{token}.ics").status_code == 404
    assert client.get(f"/calendario/{new_token}.ics").status_code == 200
    # Revoked: gone.
    response = client.post("/calendario/revoca")
    assert response.status_code == 303
    assert "Indirizzo del calendario revocato" in text(client.get(response.location))
    assert client.get(f"/calendario/{new_token}.ics").status_code == 404
    # An external participant's feed: her groups and the joint meetings she is invited to.
    sign_in(auth, team["elena"])
    token = feed_token(client)
    auth.logout()
    assert uids(client.get(f"/calendario/{token}.ics")) == {
        f"meeting-{joint.id}@tavolo",
        f"meeting-{hers.id}@tavolo",
    }


def test_the_feed_follows_what_the_person_may_see(client, auth, team, meeting, joint):
    """Someone who leaves the group no longer gets its meetings, invited or not; a disabled
    account's address stops working."""
    sign_in(auth, team["bruno"])
    token = feed_token(client)
    auth.logout()
    assert uids(client.get(f"/calendario/{token}.ics")) == {
        f"meeting-{meeting.id}@tavolo",
        f"meeting-{joint.id}@tavolo",  # a member sees the group's joint meetings too
    }
    membership = db.session.scalar(
        db.select(Membership).where(Membership.user_id == team["bruno"].id)
    )
    db.session.delete(membership)
    db.session.commit()
    assert uids(client.get(f"/calendario/{token}.ics")) == set()
    team["bruno"].active = False
    db.session.commit()
    assert client.get(f"/calendario/{token}.ics").status_code == 404


def test_the_calendar_page_needs_a_sign_in(client):
    assert client.get("/calendario/").status_code == 302
    assert client.post("/calendario/nuovo-indirizzo").status_code == 302


# -- Cancelling ---------------------------------------------------------------------------------


def test_the_organiser_or_a_lead_cancels_and_the_invited_are_told(client, auth, team):
    meeting = schedule(
        team["group"], team["anna"], invited=(team["lead"], team["anna"], team["bruno"])
    )
    sign_in(auth, team["bruno"])
    assert "Annulla questo incontro" not in text(client.get(murl(meeting)))
    assert client.post(murl(meeting, "/annulla"), data={"reason": "no"}).status_code == 403
    sign_in(auth, team["anna"])  # who scheduled it
    assert "Annulla questo incontro" in text(client.get(murl(meeting)))
    response = client.post(murl(meeting, "/annulla"), data={"reason": "Sciopero dei mezzi"})
    assert response.status_code == 303
    page = plain(client.get(response.location))
    assert "Incontro annullato. Gli invitati sono stati avvisati." in page
    assert "Motivo: Sciopero dei mezzi" in page
    db.session.refresh(meeting)
    assert meeting.is_cancelled and meeting.sequence == 1
    for person in ("lead", "bruno"):
        (note,) = notified(team[person], "meeting-cancelled:")
        assert "Annullato" in note.title and note.excerpt == "Sciopero dei mezzi"
    assert notified(team["anna"], "meeting-cancelled:") == []
    event = the_event(client.get(murl(meeting, "/incontro.ics")))
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["DESCRIPTION"]) == "Sciopero dei mezzi"
    # Listed as cancelled; cancelling again changes nothing.
    assert "annullato" in text(client.get(f"/gruppi/{team['group'].slug}/incontri/"))
    client.post(murl(meeting, "/annulla"))
    db.session.refresh(meeting)
    assert meeting.sequence == 1
    assert len(notified(team["bruno"], "meeting-cancelled:")) == 1


def test_a_lead_cancels_a_meeting_someone_else_scheduled(client, auth, team):
    meeting = schedule(team["group"], team["anna"], invited=(team["anna"],))
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/annulla"), data={"reason": "x" * 301})
    assert "Il motivo è troppo lungo" in text(client.get(response.location))
    db.session.refresh(meeting)
    assert not meeting.is_cancelled
    client.post(murl(meeting, "/annulla"))
    db.session.refresh(meeting)
    assert meeting.is_cancelled
    assert len(notified(team["anna"], "meeting-cancelled:")) == 1


def test_approved_minutes_keep_their_meeting(client, auth, team, meeting):
    approved(meeting, team["lead"])
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/annulla"))
    assert "Il verbale è approvato" in text(client.get(response.location))
    db.session.refresh(meeting)
    assert not meeting.is_cancelled


def test_a_meeting_whose_minutes_were_started_cannot_be_cancelled(client, auth, team, meeting):
    meetings.start_minutes(meeting, by=team["lead"])
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/annulla"), data={"reason": "Sciopero"})
    assert response.status_code == 303
    assert "Il verbale è già iniziato: l'incontro non si può annullare." in text(
        client.get(response.location)
    )
    db.session.refresh(meeting)
    assert not meeting.is_cancelled


def test_the_minutes_of_a_cancelled_meeting_are_neither_written_nor_approved(
    client, auth, team, meeting
):
    cancelled(meeting, team["lead"])
    with pytest.raises(meetings.MeetingError):
        meetings.start_minutes(meeting, by=team["lead"])
    # Minutes started before a cancellation (as older data may have them) stay closed.
    minutes = documents.create_document(
        team["group"],
        title="Verbale",
        description="",
        body="## Punto\n",
        author=team["lead"],
        kind=meetings.MINUTES,
        key=f" minutes:{meeting.id}",
    )
    meeting.minutes_document_id = minutes.id
    db.session.commit()
    sign_in(auth, team["lead"])
    response = client.get(durl(minutes, "/modifica"))
    assert response.status_code == 302
    assert "L'incontro è stato annullato." in text(client.get(response.location))
    for tail in ("/verbale/in-visione", "/verbale/approva"):
        response = client.post(murl(meeting, tail))
        assert response.status_code == 303
        assert "annullato" in text(client.get(response.location))
    db.session.refresh(meeting)
    assert meeting.minutes_status == MinutesStatus.DRAFT
    assert notified(team["anna"], "minutes-") == []
