"""What an independent review of meetings found, each pinned by a test: carried items never
reach a joint meeting, agenda items survive a concurrent save of the minutes, a meeting in the
clock change is refused, the record closes a code fence left open, and the like."""

import re
from datetime import datetime

import icalendar
import pytest

from tests.support import plain, text
from tests.test_meetings import (
    JANUARY,
    add_items,
    meeting,
    murl,
    schedule,
    series,
    sign_in,
    team,
)
from workspace.extensions import db
from workspace.meetings import service as meetings
from workspace.meetings.models import AgendaItem, Meeting
from workspace.revisions import service as revisions

__all__ = ["meeting", "team"]  # fixtures used below


def test_an_internal_item_is_never_carried_to_a_joint_meeting(client, auth, team, meeting):
    (item,) = add_items(meeting, team["lead"], "Caso riservato famiglia Rossi")
    joint = schedule(
        team["group"],
        team["lead"],
        start=datetime(2030, 1, 21, 17, 0),
        joint=True,
        invited=(team["lead"], team["elena"]),
    )
    internal = schedule(team["group"], team["lead"], start=datetime(2030, 1, 28, 17, 0))
    sign_in(auth, team["lead"])
    client.post(murl(meeting, f"/punti/{item.id}/rinvia"))
    carried = AgendaItem.query.filter_by(carried_from_id=meeting.id).one()
    assert carried.meeting_id == internal.id
    assert AgendaItem.query.filter_by(meeting_id=joint.id).count() == 0


def test_an_item_added_while_someone_saves_the_minutes_is_kept(team, meeting, monkeypatch):
    add_items(meeting, team["lead"], "Accoglienza")
    minutes = meetings.start_minutes(meeting, by=team["lead"])
    real_save = revisions.save
    calls = {"n": 0}

    def someone_saves_first(versioned, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            # Anna saves the minutes between the reading of the text and this save.
            head = versioned.head
            body = revisions.text_at(versioned, head).replace(
                "## Accoglienza\n", "## Accoglienza\n\nScritto da Anna.\n"
            )
            real_save(versioned, author=team["anna"], text=body, base_number=head)
        return real_save(versioned, **kwargs)

    monkeypatch.setattr(meetings.revisions, "save", someone_saves_first)
    meetings.add_item(meeting, title="Nuovo punto", owner_id=None, duration=None, by=team["lead"])
    db.session.expire_all()
    assert [i.title for i in db.session.get(Meeting, meeting.id).items] == [
        "Accoglienza",
        "Nuovo punto",
    ]
    final = revisions.text_at(minutes.text, minutes.text.head)
    assert "Scritto da Anna." in final and "## Nuovo punto" in final


def test_when_the_minutes_cannot_take_the_part_the_item_stays_and_the_person_is_told(
    client, auth, team, meeting, monkeypatch
):
    meetings.start_minutes(meeting, by=team["lead"])

    def always_busy(versioned, **kwargs):
        raise revisions.Busy()

    monkeypatch.setattr(meetings.revisions, "save", always_busy)
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/punti"), data={"title": "Punto tenace"})
    assert response.status_code in (303, 422)
    page = text(client.get(murl(meeting)))
    assert "Punto tenace" in page
    assert "aggiungila a mano" in page
    assert AgendaItem.query.filter_by(title="Punto tenace").count() == 1


def test_a_meeting_inside_the_spring_clock_change_is_refused(client, auth, team):
    sign_in(auth, team["lead"])
    response = client.post(
        f"/gruppi/{team['group'].slug}/incontri/nuovo",
        data={
            "title": "Notturno",
            "starts_on": "2030-03-31",
            "starts_time": "02:50",
            "ends_at": "03:10",
            "pattern": "",
            "invited": [str(team["lead"].id)],
        },
    )
    assert response.status_code == 422
    assert "cambio dell'ora legale" in plain(response), re.findall(
        r'field__error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S
    )
    assert Meeting.query.count() == 0


def test_a_series_crossing_the_clock_change_never_ends_before_it_starts(team):
    meetings_ = series(
        team["group"],
        team["lead"],
        title="Di notte",
        start=datetime(2030, 3, 24, 2, 0),
        hours=1,
        invited=(team["lead"],),
        pattern=meetings.recurrence.Pattern.WEEKLY,
        count=3,
    )
    assert all(m.ends_at > m.starts_at for m in meetings_)


def test_the_calendar_survives_a_meeting_whose_end_is_wrong(client, auth, team, meeting):
    meeting.ends_at = meeting.starts_at.replace(hour=meeting.starts_at.hour - 1)
    db.session.commit()
    sign_in(auth, team["lead"])
    response = client.get(murl(meeting, "/incontro.ics"))
    assert response.status_code == 200
    assert icalendar.Calendar.from_ical(response.data).walk("VEVENT")


def test_a_guest_without_organisation(client, auth, team, meeting):
    sign_in(auth, team["lead"])
    response = client.post(murl(meeting, "/ospiti"), data={"name": "Anna"})
    assert response.status_code == 303
    assert [g.name for g in db.session.get(Meeting, meeting.id).guests] == ["Anna"]


def test_a_code_fence_left_open_does_not_swallow_the_decisions(client, auth, team, meeting):
    (item,) = add_items(meeting, team["lead"], "Accoglienza")
    minutes = meetings.start_minutes(meeting, by=team["lead"])
    revisions.save(
        minutes.text,
        author=team["lead"],
        text="## Accoglienza\n\n```\ncodice non chiuso\n",
        base_number=minutes.text.head,
    )
    meetings.add_decision(
        meeting,
        item_id=item.id,
        text="Si decide.",
        document_id=None,
        revision_number=None,
        by=team["lead"],
    )
    sign_in(auth, team["lead"])
    page = text(client.get(murl(meeting, "/verbale/stampa")))
    decisions = page.index("Decisioni")
    assert "<code" not in page[decisions:] and "Si decide." in page[decisions:]
    # The record's sections are the page's second level, the minutes' parts the third.
    assert re.search(r"<h2[^>]*>\s*Svolgimento", page)
    assert re.search(r"<h3[^>]*>\s*Accoglienza", page)


def test_the_approval_warns_about_people_writing(client, auth, team, meeting):
    minutes = meetings.start_minutes(meeting, by=team["lead"])
    revisions.touch_presence(minutes.text, team["anna"], None)
    db.session.commit()
    sign_in(auth, team["lead"])
    page = plain(client.get(murl(meeting)))
    assert "In questo momento stanno scrivendo nel verbale: Anna Operatrice" in page


@pytest.mark.parametrize("start", [JANUARY])
def test_approved_minutes_are_not_changed_by_carrying_items(client, auth, team, meeting, start):
    (item,) = add_items(meeting, team["lead"], "Accoglienza")
    schedule(team["group"], team["lead"], start=datetime(2030, 2, 11, 17, 0))
    meetings.start_minutes(meeting, by=team["lead"])
    meetings.approve_minutes(meeting, by=team["lead"], at_meeting=None)
    sign_in(auth, team["lead"])
    client.post(murl(meeting, f"/punti/{item.id}/rinvia"))
    db.session.refresh(item)
    assert item.carried_to_id is None


def test_someone_who_left_the_group_is_told_nothing_more_nor_given_tasks(
    client, auth, team, meeting
):
    from workspace.groups.models import Membership
    from workspace.notifications.models import Notification

    other = schedule(team["group"], team["lead"], invited=(team["lead"], team["bruno"]))
    Membership.query.filter_by(group_id=team["group"].id, user_id=team["bruno"].id).delete()
    db.session.commit()
    meetings.cancel(meeting, reason="Sciopero", by=team["lead"])
    told = {n.user_id for n in Notification.query.filter(Notification.source.like("meeting-c%"))}
    assert team["anna"].id in told and team["bruno"].id not in told
    assert team["bruno"] not in meetings.audience(meeting)
    sign_in(auth, team["lead"])
    response = client.post(
        murl(other, "/azioni"), data={"title": "Chiamare", "owner": str(team["bruno"].id)}
    )
    assert response.status_code == 422
    assert "Scegli una persona invitata all'incontro." in plain(response)
