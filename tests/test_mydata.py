"""Personal data (GDPR): a person downloads what Tavolo holds about them, and nothing of others.

The state is built with the services (messages, revisions, drafts, a meeting with attendance,
actions, notifications, audit entries); the download goes through the test client.
"""

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.support import text
from workspace.activity.models import WeeklySummary
from workspace.audit.models import AuditEntry
from workspace.discussions import service as discussions
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.meetings import service as meetings
from workspace.meetings.models import Attendance, MinutesComment
from workspace.notifications import service as notifications
from workspace.notifications.models import MailMode, Target
from workspace.people.models import Role

URL = "/profilo/i-miei-dati.json"
SECRET_TEXT = "TESTO-DEL-DOCUMENTO-CHE-RESTA-DEL-GRUPPO"


@pytest.fixture
def world(make_user, make_group, make_service):
    """Anna's traces across Tavolo, next to Bruno's in the same places."""
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(
        Role.OPERATOR,
        name="Anna Operatrice",
        email="anna@rho.example.it",
        service=make_service("Spazio neutro di Rho"),
    )
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore", email="bruno@legnano.example.it")
    group = make_group("Gruppo AMA", leads=[lead], members=[anna, bruno])

    thread = discussions.open_thread(
        group, author=anna, title="Calendario degli incontri", body="Propongo il martedì."
    )
    discussions.reply(thread, author=bruno, body="Va bene il martedì.")
    edited = discussions.reply(thread, author=anna, body="Prima stesura di Anna.")
    discussions.edit_message(edited, by=anna, body="Seconda stesura di Anna.")
    withdrawn = discussions.reply(thread, author=anna, body="Messaggio poi ritirato.")
    discussions.withdraw(withdrawn, by=anna)

    document = documents.create_document(
        group, title="Linee guida", description="", body="# Linee guida\n\nInizio.", author=bruno
    )
    documents.save(
        document,
        author=anna,
        body=f"# Linee guida\n\nInizio.\n\n{SECRET_TEXT}\n",
        base_number=1,
        section=None,
        summary="Aggiunto il paragrafo sull'ambientamento",
    )
    documents.keep_draft(
        document,
        anna,
        editor_id="editor-anna",
        body="# Linee guida\n\nBozza non salvata di Anna.\n",
        base_number=2,
        section=None,
        summary="",
    )

    start = datetime(2030, 1, 14, 17, 0)
    meeting = meetings.schedule_meetings(
        True,
        group,
        meetings.Schedule(
            title="Incontro di gennaio",
            starts_local=start,
            ends_local=start + timedelta(hours=2),
            place="Sala 3",
            online_url="",
            is_joint=False,
            invited_ids=(lead.id, anna.id, bruno.id),
            pattern=None,
            count=None,
        ),
        by=lead,
    )[0]
    by_user = {p.user_id: p.id for p in meeting.participants}
    meetings.set_attendance(
        meeting, {by_user[anna.id]: Attendance.PRESENT, by_user[bruno.id]: Attendance.ABSENT}
    )
    meetings.assign_action(
        meeting, title="Preparare la sintesi", owner_id=anna.id, due_on=None, item_id=None, by=lead
    )
    meetings.assign_action(
        meeting, title="Compito di Bruno", owner_id=bruno.id, due_on=None, item_id=None, by=lead
    )
    db.session.add(MinutesComment(meeting_id=meeting.id, author_id=anna.id, body="Manca Rho."))
    db.session.add(MinutesComment(meeting_id=meeting.id, author_id=bruno.id, body="Di Bruno."))

    notifications.notify(
        [anna],
        kind="mention",
        group=group,
        actor=bruno,
        title="Bruno Educatore ti ha menzionato",
        excerpt="una menzione",
        url="/gruppi",
        source="test:1",
    )
    notifications.notify(
        [bruno],
        kind="mention",
        group=group,
        actor=anna,
        title="Notifica per Bruno soltanto",
        excerpt="",
        url="/gruppi",
        source="test:2",
    )
    notifications.mute(anna, Target.GROUP, group.id)
    notifications.follow(anna, Target.THREAD, thread.id)
    notifications.set_mode(anna, MailMode.DAILY)
    db.session.add(WeeklySummary(user_id=anna.id, enabled=True))
    db.session.commit()
    # In the group Anna muted: she is not told, and it is not hers.
    discussions.open_thread(
        group, author=bruno, title="Domanda di Bruno", body="Messaggio privato di Bruno."
    )
    return {"anna": anna, "bruno": bruno, "lead": lead, "group": group, "thread": thread}


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def download(client):
    response = client.get(URL)
    assert response.status_code == 200, response.data
    return response, json.loads(response.get_data(as_text=True))


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accedi" in response.headers["Location"]


def test_download_headers(client, login_as):
    login_as(Role.OPERATOR)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="tavolo-i-miei-dati-\d{4}-\d{2}-\d{2}\.json"', disposition
    )


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.COORDINATOR, Role.EXTERNAL])
def test_every_role_gets_its_own_account(client, login_as, role):
    user = login_as(role, name="Persona Con Accento è")
    _, data = download(client)
    account = data["account"]
    assert account["email"] == user.email
    assert account["name"] == "Persona Con Accento è"
    assert account["role"] == role.value
    assert account["active"] is True
    assert account["created_at"].endswith("Z")
    assert account["last_login_at"].endswith("Z")
    if role == Role.EXTERNAL:
        assert account["organisation"] == "Coordinamento affidi"


def test_unicode_is_written_as_is(client, login_as):
    login_as(Role.OPERATOR, name="Niccolò Proietti")
    response = client.get(URL)
    assert "Niccolò".encode() in response.data


def test_content_of_a_busy_person(client, auth, world):
    anna = world["anna"]
    sign_in(auth, anna)
    response, data = download(client)

    account = data["account"]
    assert account["email"] == "anna@rho.example.it"
    assert account["service"].startswith("Spazio neutro di Rho")
    assert account["language"] == "it"

    assert [(m["group"], m["role"]) for m in data["memberships"]] == [("Gruppo AMA", "member")]
    assert data["preferences"]["notification_mail"] == "daily"
    assert data["preferences"]["weekly_summary"] is True
    states = {(s["target"], s["state"]) for s in data["subscriptions"]}
    assert ("group", "mute") in states
    assert ("thread", "follow") in states
    followed = next(s for s in data["subscriptions"] if s["target"] == "thread")
    assert followed["thread"] == "Calendario degli incontri"

    messages = {m["number"]: m for m in data["messages"] if m["thread_id"] == world["thread"].id}
    assert len(data["messages"]) == 3
    assert sorted(messages) == [1, 3, 4]  # number 2 is Bruno's
    assert messages[1]["thread"] == "Calendario degli incontri"
    assert messages[1]["group"] == "Gruppo AMA"
    assert messages[3]["body"] == "Seconda stesura di Anna."
    assert [v["body"] for v in messages[3]["earlier_versions"]] == ["Prima stesura di Anna."]
    assert messages[3]["edited_at"] is not None
    assert messages[4]["withdrawn"] is True
    assert messages[4]["withdrawn_at"].endswith("Z")
    assert messages[1]["withdrawn"] is False

    (revision,) = data["document_revisions"]
    assert revision["document"] == "Linee guida"
    assert revision["group"] == "Gruppo AMA"
    assert revision["number"] == 2
    assert revision["summary"] == "Aggiunto il paragrafo sull'ambientamento"
    assert revision["created_at"].endswith("Z")
    (draft,) = data["drafts"]
    assert draft["document"] == "Linee guida"
    assert "Bozza non salvata di Anna." in draft["body"]

    (meeting,) = data["meetings"]
    assert meeting["meeting"] == "Incontro di gennaio"
    assert meeting["attendance"] == "present"
    assert meeting["starts_at"] == "2030-01-14T16:00:00Z"  # 17:00 in Rome, winter time
    assert [a["title"] for a in data["actions"]] == ["Preparare la sintesi"]
    assert [c["body"] for c in data["minutes_comments"]] == ["Manca Rho."]
    titles = [n["title"] for n in data["notifications"]]
    assert "Bruno Educatore ti ha menzionato" in titles

    actions = [entry["action"] for entry in data["audit_log"]]
    assert "auth.login" in actions
    assert "message.withdrawn" in actions
    withdrawn = next(e for e in data["audit_log"] if e["action"] == "message.withdrawn")
    assert withdrawn["description"] == "Messaggio ritirato"
    mine = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.actor_id == anna.id)
    )
    # This download is recorded after the file was built.
    assert len(data["audit_log"]) == mine - 1

    body = text(response)
    # Nothing of other people: Bruno's messages, action, comment, notification, audit entries.
    assert "Messaggio privato di Bruno" not in body
    assert "Compito di Bruno" not in body
    assert "Di Bruno." not in body
    assert "Notifica per Bruno soltanto" not in body
    assert "bruno@legnano.example.it" not in body
    assert world["lead"].email not in body
    # A revision gives its facts, not the group's text; secrets never.
    assert SECRET_TEXT not in body
    assert anna.password_hash not in body
    assert anna.session_id not in body


def test_another_persons_download_shows_none_of_annas(client, auth, world):
    sign_in(auth, world["bruno"])
    _, data = download(client)
    body = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == "bruno@legnano.example.it"
    assert [(m["thread"], m["number"]) for m in data["messages"]] == [
        ("Calendario degli incontri", 2),
        ("Domanda di Bruno", 1),
    ]
    assert data["document_revisions"][0]["number"] == 1
    assert data["drafts"] == []
    assert data["meetings"][0]["attendance"] == "absent"
    assert [a["title"] for a in data["actions"]] == ["Compito di Bruno"]
    assert "Seconda stesura di Anna" not in body
    assert "anna@rho.example.it" not in body
    assert "Bozza non salvata" not in body
    assert all(entry["action"] != "message.withdrawn" for entry in data["audit_log"])


def test_the_download_is_recorded_in_the_audit_log(client, login_as):
    user = login_as(Role.OPERATOR)
    response = client.get(URL)
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "person.data_exported")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.actor_id == user.id
    assert entry.target_type == "user"
    assert entry.target_id == user.id
    assert json.loads(entry.detail)["bytes"] == len(response.data)


def test_the_coordinators_register_names_the_download(client, auth, make_user):
    carla = make_user(Role.COORDINATOR)
    anna = make_user(Role.OPERATOR)
    sign_in(auth, anna)
    assert client.get(URL).status_code == 200
    sign_in(auth, carla)
    response = client.get("/registro")
    assert response.status_code == 200
    assert "Dati personali scaricati" in text(response)


def test_the_profile_links_to_the_download(client, login_as):
    login_as(Role.OPERATOR)
    response = client.get("/profilo")
    page = text(response)
    assert "I tuoi dati" in page
    assert f'href="{URL}"' in page
