"""Comments on minutes in view: who may comment, when, and who is told."""

from datetime import datetime

import pytest

from workspace.meetings import service as meetings
from workspace.meetings.models import MinutesComment
from workspace.notifications.models import Notification
from workspace.people.models import Role


@pytest.fixture
def joint_meeting(app, make_user, make_group):
    lead = make_user(Role.OPERATOR, name="Sara Referente")
    member = make_user(Role.OPERATOR, name="Paolo Componente")
    external = make_user(Role.EXTERNAL, name="Marco Affidi")
    group = make_group("Genitori affidatari", leads=[lead], members=[member], is_joint=True)
    with app.test_request_context():
        (meeting,) = meetings.schedule_meetings(
            True,
            group,
            meetings.Schedule(
                title="Incontro congiunto",
                starts_local=datetime(2030, 3, 5, 14, 30),
                ends_local=datetime(2030, 3, 5, 16, 30),
                place="Sala 5",
                online_url="",
                is_joint=True,
                invited_ids=(lead.id, member.id, external.id),
            ),
            by=lead,
        )
        meetings.add_item(meeting, title="Casi", owner_id=None, duration=None, by=lead)
        meetings.start_minutes(meeting, by=lead)
    return meeting, lead, member, external


def _url(meeting, tail=""):
    return f"/gruppi/{meeting.group.slug}/incontri/{meeting.id}{tail}"


def test_comments_only_while_in_view(client, auth, joint_meeting):
    meeting, lead, member, external = joint_meeting
    auth.login(member)
    response = client.post(_url(meeting, "/verbale/commenti"), data={"body": "Manca un nome."})
    assert response.status_code == 303
    assert MinutesComment.query.count() == 0
    page = client.get(_url(meeting)).get_data(as_text=True)
    assert "Si commenta il verbale quando è in visione ai partecipanti." in page


def test_external_participant_comments_and_the_lead_is_told(app, client, auth, joint_meeting):
    meeting, lead, member, external = joint_meeting
    with app.test_request_context():
        meetings.circulate(meeting, by=lead)
    auth.login(external)
    response = client.post(
        _url(meeting, "/verbale/commenti"),
        data={"body": "Al punto 1 <script>x</script> manca il mio servizio."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="minutes"')
    assert "&lt;script&gt;x&lt;/script&gt;" in fragment and "<script>x" not in fragment
    notified = Notification.query.filter_by(user_id=lead.id).all()
    assert any("ha commentato il verbale" in n.title for n in notified)


def test_an_empty_or_long_comment_is_refused_next_to_the_field(app, client, auth, joint_meeting):
    meeting, lead, member, external = joint_meeting
    with app.test_request_context():
        meetings.circulate(meeting, by=lead)
    auth.login(member)
    response = client.post(_url(meeting, "/verbale/commenti"), data={"body": "   "})
    assert response.status_code == 422
    assert "Questo campo è obbligatorio." in response.get_data(as_text=True)
    long = "x" * 2001
    response = client.post(_url(meeting, "/verbale/commenti"), data={"body": long})
    assert response.status_code == 422
    assert long in response.get_data(as_text=True)  # what was typed is kept
    assert MinutesComment.query.count() == 0


def test_comments_stay_readable_after_approval_but_closed(app, client, auth, joint_meeting):
    meeting, lead, member, external = joint_meeting
    with app.test_request_context():
        meetings.circulate(meeting, by=lead)
        meetings.add_comment(meeting, body="Va bene così.", by=member)
        meetings.approve_minutes(meeting, by=lead, at_meeting=None)
    auth.login(member)
    page = client.get(_url(meeting)).get_data(as_text=True)
    assert "Va bene così." in page and 'id="comment-form"' not in page
    response = client.post(_url(meeting, "/verbale/commenti"), data={"body": "Tardi."})
    assert response.status_code == 303
    assert MinutesComment.query.count() == 1
