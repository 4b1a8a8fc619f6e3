"""A group's archive: what the zip holds (documents with every revision, discussions without
withdrawn text, meetings with their minutes), nothing of another group, who may download it,
its name, and the audit entry it leaves.

The group is built with the services; the download goes through the test client.
"""

import io
import json
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from tests.support import PASSWORD, htmx, plain
from workspace.archive import service as archive
from workspace.attachments import service as attachments
from workspace.audit.models import AuditEntry
from workspace.discussions import service as discussions
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.groups.models import Group
from workspace.meetings import service as meetings
from workspace.meetings.models import Attendance, Meeting
from workspace.people.models import Role
from workspace.revisions import service as revisions
from workspace.texts import storage

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
SECRET = "Questa frase ritirata non deve comparire"
EARLIER_SECRET = "Prima stesura della frase ritirata"
ELSEWHERE = "Riservato all'altro gruppo"


@pytest.fixture
def team(make_user, make_group, make_service):
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(
        Role.OPERATOR, name="Anna Operatrice", service=make_service("Spazio neutro di Rho")
    )
    elena = make_user(Role.EXTERNAL, name="Elena Affidi")
    carla = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    outsider = make_user(Role.OPERATOR, name="Ugo Altrove")
    group = make_group("Gruppo AMA – Ambientamento", leads=[lead], members=[anna, elena])
    other = make_group("Altro gruppo", members=[outsider])
    return {
        "lead": lead,
        "anna": anna,
        "elena": elena,
        "carla": carla,
        "outsider": outsider,
        "group": group,
        "other": other,
    }


def save(document, author, text, summary=""):
    outcome = revisions.save(
        document.text,
        author=author,
        text=text,
        base_number=document.text.head,
        summary=summary,
    )
    assert outcome.status == "saved"
    db.session.refresh(document.text)
    return outcome.revision


def populate(team):
    """Documents (one with a restore and an approval), discussions (an edit, a withdrawal, a
    quote, a file), a meeting with agenda, attendance, guest, decision, action and approved
    minutes; and another group with things of its own."""
    group, lead, anna = team["group"], team["lead"], team["anna"]
    guidelines = documents.create_document(
        group,
        title="Linee guida sull'ambientamento",
        description="La bozza condivisa",
        body="# Premessa\n\nPrima stesura.\n",
        author=lead,
    )
    for n in range(2, 9):
        save(guidelines, anna if n % 2 else lead, f"# Premessa\n\nStesura {n}: è così.\n", f"n{n}")
    documents.restore(guidelines, 3, author=lead)
    db.session.refresh(guidelines.text)
    documents.approve(guidelines, 4, by=lead, note="Approvata al tavolo")
    calendar = documents.create_document(
        group, title="Calendario", description="", body="Gennaio\n", author=anna
    )

    thread = discussions.open_thread(group, author=lead, title="Ambientamento", body="Apriamo.")
    second = discussions.reply(thread, author=anna, body="Prima risposta")
    discussions.edit_message(second, by=anna, body="Risposta corretta")
    withdrawn = discussions.reply(thread, author=anna, body=EARLIER_SECRET)
    discussions.edit_message(withdrawn, by=anna, body=SECRET)
    discussions.withdraw(withdrawn, by=anna)
    quoting = discussions.reply(thread, author=lead, body="Concordo.", quoted=second)
    (file,) = attachments.store(
        [FileStorage(io.BytesIO(PNG), "foto ò.png")],
        uploader=lead,
    )
    attachments.attach([file], quoting.id)
    db.session.commit()
    about = discussions.open_thread(
        group, author=anna, title="Sul calendario", body="Date?", document=calendar
    )

    (meeting,) = meetings.schedule_meetings(
        True,
        group,
        meetings.Schedule(
            title="Incontro di gennaio",
            starts_local=datetime(2030, 1, 14, 17, 0),
            ends_local=datetime(2030, 1, 14, 19, 0),
            place="Sala 3",
            online_url="",
            is_joint=False,
            invited_ids=(lead.id, anna.id),
            pattern=None,
            count=None,
        ),
        by=lead,
    )
    item = meetings.add_item(meeting, title="Linee guida", owner_id=None, duration=30, by=lead)
    meetings.set_attendance(meeting, {p.id: Attendance.PRESENT for p in meeting.participants})
    meetings.add_guest(meeting, name="Mario Ospite", organisation="Comune di Rho")
    meetings.add_decision(
        meeting,
        item_id=item.id,
        text="Linee guida approvate",
        document_id=guidelines.id,
        revision_number=4,
        by=lead,
    )
    meetings.assign_action(
        meeting,
        title="Mandare il calendario",
        owner_id=anna.id,
        due_on=date(2030, 1, 31),
        item_id=item.id,
        by=lead,
    )
    minutes = meetings.start_minutes(meeting, by=lead)
    save(minutes, lead, "## Linee guida\n\nSi discute della bozza.\n", "verbale")
    meetings.approve_minutes(meeting, by=lead, at_meeting=None)

    other = team["other"]
    documents.create_document(
        other, title=ELSEWHERE, description=ELSEWHERE, body=ELSEWHERE, author=team["outsider"]
    )
    discussions.open_thread(other, author=team["outsider"], title=ELSEWHERE, body=ELSEWHERE)
    db.session.commit()
    return {
        "guidelines": guidelines,
        "calendar": calendar,
        "thread": thread,
        "about": about,
        "meeting": meeting,
        "minutes": minutes,
        "file": file,
    }


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def url(group):
    return f"/gruppi/{group.slug}/archivio.zip"


def download(client, auth, team, group=None):
    sign_in(auth, team["carla"])
    response = client.get(url(group or team["group"]))
    assert response.status_code == 200, response.data[:500]
    return response, zipfile.ZipFile(io.BytesIO(response.data))


def read_json(zipped, name):
    return json.loads(zipped.read(name).decode("utf-8"))


# -- What the archive holds -----------------------------------------------------------------------


def test_the_archive_holds_the_whole_group_and_nothing_else(client, auth, team, monkeypatch):
    # Short chains and small batches: the history crosses snapshots and batch boundaries.
    monkeypatch.setattr(storage, "MAX_CHAIN_LENGTH", 3)
    monkeypatch.setattr(archive, "REVISION_BATCH", 2)
    monkeypatch.setattr(archive, "MESSAGE_BATCH", 2)
    things = populate(team)
    response, zipped = download(client, auth, team)
    assert response.mimetype == "application/zip"
    names = zipped.namelist()
    assert len(names) == len(set(names))
    assert all(name.isascii() and ".." not in name for name in names)

    guidelines = things["guidelines"]
    folder = f"documents/{guidelines.id}-linee-guida-sull-ambientamento"
    calendar_folder = f"documents/{things['calendar'].id}-calendario"
    thread_folder = f"discussions/{things['thread'].id}-ambientamento"
    meeting = things["meeting"]
    meeting_folder = f"meetings/2030-01-14-{meeting.id}"
    head = guidelines.text.head
    assert head == 9  # 8 saves and the restore
    expected = {
        "README.md",
        "group.json",
        f"{folder}/document.json",
        f"{folder}/current.md",
        *(f"{folder}/revisions/{n:04d}.md" for n in range(1, head + 1)),
        f"{calendar_folder}/document.json",
        f"{calendar_folder}/current.md",
        f"{calendar_folder}/revisions/0001.md",
        f"{thread_folder}/thread.json",
        f"{thread_folder}/thread.md",
        f"{thread_folder}/attachments/00004-{things['file'].id}-foto-o.png",
        f"discussions/{things['about'].id}-sul-calendario/thread.json",
        f"discussions/{things['about'].id}-sul-calendario/thread.md",
        f"{meeting_folder}/meeting.json",
        f"{meeting_folder}/minutes.md",
        f"{meeting_folder}/minutes/revisions/0001.md",
        f"{meeting_folder}/minutes/revisions/0002.md",
    }
    assert set(names) == expected

    # Every revision is the text the revisions service rebuilds for that number.
    for n in range(1, head + 1):
        assert zipped.read(f"{folder}/revisions/{n:04d}.md").decode() == revisions.text_at(
            guidelines.text, n
        )
    assert zipped.read(f"{folder}/revisions/0009.md") == zipped.read(f"{folder}/revisions/0003.md")
    assert zipped.read(f"{folder}/current.md").decode() == revisions.text_at(guidelines.text, head)
    minutes_text = zipped.read(f"{meeting_folder}/minutes/revisions/0002.md").decode()
    assert minutes_text == revisions.text_at(things["minutes"].text, 2)

    # Every JSON parses.
    for name in names:
        if name.endswith(".json"):
            read_json(zipped, name)
    data = read_json(zipped, f"{folder}/document.json")
    assert data["title"] == "Linee guida sull'ambientamento"
    assert data["kind"] == "document" and data["current_revision"] == head
    assert [r["number"] for r in data["revisions"]] == list(range(1, head + 1))
    restore = data["revisions"][-1]
    assert restore["restored_from"] == 3 and restore["author"]["name"] == "Laura Referente"
    assert data["revisions"][2]["summary"] == "n3"
    assert data["revisions"][2]["file"] == "revisions/0003.md"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", restore["created_at"])
    (approval,) = data["approvals"]
    assert approval["revision_number"] == 4 and approval["note"] == "Approvata al tavolo"

    group_data = read_json(zipped, "group.json")
    assert group_data["name"] == "Gruppo AMA – Ambientamento"  # not escaped: ensure_ascii off
    assert "Gruppo AMA – Ambientamento" in zipped.read("group.json").decode()
    members = {m["name"]: m for m in group_data["members"]}
    assert set(members) == {"Laura Referente", "Anna Operatrice", "Elena Affidi"}
    assert members["Laura Referente"]["group_role"] == "lead"
    assert members["Anna Operatrice"]["service"]["name"] == "Spazio neutro di Rho"
    assert members["Elena Affidi"]["table_role"] == "external"
    assert members["Elena Affidi"]["organisation"] == "Coordinamento affidi"

    # Discussions: in order, edits kept, the withdrawn message only as a mark.
    thread = read_json(zipped, f"{thread_folder}/thread.json")
    assert [m["number"] for m in thread["messages"]] == [1, 2, 3, 4]
    edited, gone, quoting = thread["messages"][1:]
    assert edited["body"] == "Risposta corretta" and edited["edited_at"]
    assert [v["body"] for v in edited["earlier_versions"]] == ["Prima risposta"]
    assert gone["withdrawn"] and gone["withdrawn_at"] and gone["body"] is None
    assert gone["earlier_versions"] == [] and gone["author"]["name"] == "Anna Operatrice"
    assert quoting["quoted_number"] == 2
    (file,) = quoting["attachments"]
    assert file["included"] and file["filename"] == "foto ò.png" and file["size"] == len(PNG)
    assert zipped.read(f"{thread_folder}/{file['file']}") == PNG
    about = read_json(zipped, f"discussions/{things['about'].id}-sul-calendario/thread.json")
    assert about["document"] == {"id": things["calendar"].id, "title": "Calendario"}
    markdown = zipped.read(f"{thread_folder}/thread.md").decode()
    assert "Risposta corretta" in markdown and "Messaggio ritirato dall'autore" in markdown
    assert "In risposta al messaggio 2" in markdown and "(attachments/" in markdown

    # Meetings: the facts and the formal minutes.
    data = read_json(zipped, f"{meeting_folder}/meeting.json")
    assert data["title"] == "Incontro di gennaio" and data["status"] == "scheduled"
    assert data["starts_at"] == "2030-01-14T16:00:00Z"  # 17:00 in Rome, winter time
    assert [i["title"] for i in data["agenda"]] == ["Linee guida"]
    assert {a["attendance"] for a in data["attendance"]} == {"present"}
    assert data["guests"] == [{"name": "Mario Ospite", "organisation": "Comune di Rho"}]
    (decision,) = data["decisions"]
    assert decision["document"]["id"] == guidelines.id and decision["revision_number"] == 4
    (action,) = data["actions"]
    assert action["due_on"] == "2030-01-31" and action["owner"]["name"] == "Anna Operatrice"
    assert data["minutes"]["status"] == "approved" and data["minutes"]["approved_revision"] == 2
    assert [r["number"] for r in data["minutes"]["revisions"]] == [1, 2]
    record = zipped.read(f"{meeting_folder}/minutes.md").decode()
    assert "Si discute della bozza." in record and "Mandare il calendario" in record

    # Nothing withdrawn, nothing of the other group, anywhere.
    for name in names:
        body = zipped.read(name)
        for absent in (SECRET, EARLIER_SECRET, ELSEWHERE):
            assert absent.encode() not in body, (name, absent)
    assert "Come è organizzato" in zipped.read("README.md").decode()


def test_the_download_is_named_after_the_group_and_the_day_and_is_audited(client, auth, team):
    response, _zipped = download(client, auth, team)
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        rf'attachment; filename="tavolo-{team["group"].slug}-\d{{4}}-\d\d-\d\d\.zip"', disposition
    )
    assert response.headers["Content-Length"] == str(len(response.data))
    assert "no-store" in response.headers["Cache-Control"]
    (entry,) = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "group.exported")
    ).all()
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.target_label) == (
        team["carla"].id,
        "group",
        team["group"].id,
        team["group"].name,
    )


def test_the_file_name_is_ascii_and_dated(app):
    group = Group(id=7, slug="gruppo-ama", name="Gruppo AMA")
    assert archive.filename(group, date(2030, 1, 2)) == "tavolo-gruppo-ama-2030-01-02.zip"


def test_an_empty_group_gives_a_readme_and_its_facts(client, auth, team):
    _response, zipped = download(client, auth, team, team["other"])
    assert sorted(zipped.namelist()) == ["README.md", "group.json"]
    assert read_json(zipped, "group.json")["members"][0]["name"] == "Ugo Altrove"


def test_an_archived_group_can_be_exported(client, auth, team):
    team["group"].archived_at = datetime.now().astimezone() - timedelta(days=1)
    db.session.commit()
    _response, zipped = download(client, auth, team)
    assert read_json(zipped, "group.json")["archived_at"]


def test_attachments_beyond_the_limit_are_facts_only(team, make_app):
    things = populate(team)
    app = make_app(ARCHIVE_ATTACHMENTS_MAX_TOTAL=10)
    with app.app_context():
        test_client = app.test_client()
        signed_in = test_client.post(
            "/accedi", data={"email": team["carla"].email, "password": PASSWORD}
        )
        assert signed_in.status_code == 302
        response = test_client.get(url(team["group"]))
    zipped = zipfile.ZipFile(io.BytesIO(response.data))
    thread = read_json(zipped, f"discussions/{things['thread'].id}-ambientamento/thread.json")
    (file,) = thread["messages"][3]["attachments"]
    assert file == {**file, "included": False, "file": None, "reason": "archive-size-limit"}
    assert not [name for name in zipped.namelist() if "/attachments/" in name]


def test_a_long_history_is_read_forward_once(app, team, monkeypatch):
    """history() applies each delta once: the number of deltas applied grows with the
    history, not with its square (rebuilding each revision would apply up to a chain each)."""
    document = documents.create_document(
        team["group"], title="Lunga", description="", body="riga 0\n", author=team["lead"]
    )
    lines = ["riga 0"]
    for n in range(1, 150):
        lines.append(f"riga {n}")
        save(document, team["lead"], "\n".join(lines) + "\n")
    applied = []
    original = storage._apply
    monkeypatch.setattr(
        storage, "_apply", lambda *args, **kw: applied.append(1) or original(*args, **kw)
    )
    texts = [entry.text for entry in revisions.history(document.text, batch_size=7)]
    assert len(texts) == 150 and len(applied) < 150
    assert texts[-1] == "\n".join(lines) + "\n"
    assert texts[42] == revisions.text_at(document.text, 43)


def test_a_file_the_storage_lost_is_facts_only(app, team, monkeypatch):
    things = populate(team)

    def lost(attachment):
        raise FileNotFoundError(attachment.storage_path)

    monkeypatch.setattr(attachments, "read_bytes", lost)
    with zipfile.ZipFile(archive.export(team["group"])) as zipped:
        thread = read_json(zipped, f"discussions/{things['thread'].id}-ambientamento/thread.json")
    (file,) = thread["messages"][3]["attachments"]
    assert (file["included"], file["reason"]) == (False, "missing-file")


# -- Who may download it --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("outsider", 404),
        ("anna", 403),
        ("elena", 403),
        ("lead", 403),
        ("carla", 200),
    ],
)
def test_only_coordinators_export(client, auth, team, who, status):
    sign_in(auth, team[who])
    assert client.get(url(team["group"])).status_code == status
    exported = db.session.scalar(
        db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action == "group.exported")
    )
    assert exported == (1 if status == 200 else 0)


def test_anonymous_people_are_sent_to_sign_in(client, team):
    response = client.get(url(team["group"]))
    assert response.status_code == 302 and "/accedi" in response.location


def test_an_unknown_group_is_404_for_a_coordinator(client, auth, team):
    sign_in(auth, team["carla"])
    assert client.get("/gruppi/non-esiste/archivio.zip").status_code == 404


@pytest.mark.parametrize(("who", "shown"), [("carla", True), ("lead", False), ("anna", False)])
def test_the_export_button_is_for_coordinators(client, auth, team, who, shown):
    sign_in(auth, team[who])
    page = client.get(f"/gruppi/{team['group'].slug}")
    if page.status_code == 308:
        page = client.get(page.location)
    assert page.status_code == 200
    assert ("Esporta archivio (zip)" in plain(page)) is shown
    assert (url(team["group"]) in page.get_data(as_text=True)) is shown


def test_meeting_folders_use_the_date_in_rome(app, team):
    """A meeting just after midnight in Rome is filed under that Italian day."""
    group = team["group"]
    (meeting,) = meetings.schedule_meetings(
        True,
        group,
        meetings.Schedule(
            title="Notturno",
            starts_local=datetime(2030, 7, 15, 0, 30),
            ends_local=datetime(2030, 7, 15, 1, 30),
            place="",
            online_url="",
            is_joint=False,
            invited_ids=(),
            pattern=None,
            count=None,
        ),
        by=team["lead"],
    )
    spool = archive.export(group)
    with zipfile.ZipFile(spool) as zipped:
        assert f"meetings/2030-07-15-{meeting.id}/meeting.json" in zipped.namelist()
        assert "minutes.md" not in " ".join(zipped.namelist())
    assert db.session.get(Meeting, meeting.id).starts_at.hour == 22  # the day before, in UTC


def test_an_htmx_request_gets_the_same_download(client, auth, team):
    sign_in(auth, team["carla"])
    response = client.get(url(team["group"]), headers=htmx())
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert zipfile.ZipFile(io.BytesIO(response.data)).namelist()[:2] == ["README.md", "group.json"]
