"""Erasing a person (GDPR): a coordinator confirms, the name and address vanish from every text
column, the contributions stay under a neutral label, the audit chain still verifies. And the
retention settings applied by ``flask prune``."""

import importlib
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
from sqlalchemy import String, Text, cast, func, inspect, or_, select, text

from tests.support import htmx
from tests.support import text as page_text
from workspace import audit
from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.activity.models import GroupVisit, WeeklySummary
from workspace.audit import service as audit_log
from workspace.audit.models import AuditEntry
from workspace.clock import utcnow
from workspace.discussions import service as discussions
from workspace.discussions.models import Message
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.groups.models import Membership
from workspace.invitations.models import Invitation
from workspace.meetings import service as meetings
from workspace.meetings.models import Attendance, CalendarFeed, MinutesComment
from workspace.notifications import service as notifications
from workspace.notifications.models import MailMode, Notification, Subscription, Target
from workspace.people import erasure
from workspace.people import service as people
from workspace.people.models import Role
from workspace.revisions.models import Draft
from workspace.twofactor.models import RecoveryCode, TwoFactor

NAME = "Anna Operatrice"
OLD_NAME = "Anna Nomeprecedente"
EMAIL = "anna.operatrice@rho.example.it"
HANDLE = "anna.operatrice"


@pytest.fixture
def app(make_app):
    # Coordinators sign in here without a second factor: what is tested is the erasure.
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=[])
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make_user, make_group, make_service):
    """Anna's traces across Tavolo, next to Bruno's, and a coordinator to erase her."""
    coordinator = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    anna = make_user(
        Role.OPERATOR, name=OLD_NAME, email=EMAIL, service=make_service("Spazio neutro di Rho")
    )
    anna.profile.phone = "+39 02 1234567"
    # A coordinator renamed her once: the old name is in the audit log's detail.
    people.update_person(
        anna, name=NAME, role=Role.OPERATOR, service_id=anna.profile.service_id, organisation=None
    )
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore", email="bruno@legnano.example.it")
    group = make_group("Gruppo AMA", leads=[lead], members=[anna, bruno])

    thread = discussions.open_thread(
        group, author=anna, title="Calendario degli incontri", body="Propongo il martedì."
    )
    mention = discussions.reply(thread, author=bruno, body=f"D'accordo con @{HANDLE}, martedì.")
    discussions.edit_message(mention, by=bruno, body=f"D'accordo con @{HANDLE}: martedì alle 17.")
    discussions.reply(thread, author=anna, body="Allora @bruno.educatore prepara la sala.")

    document = documents.create_document(
        group, title="Linee guida", description="", body="# Linee guida\n\nInizio.", author=bruno
    )
    documents.save(
        document,
        author=anna,
        body="# Linee guida\n\nInizio.\n\nIl paragrafo sull'ambientamento.\n",
        base_number=1,
        section=None,
        summary="Aggiunto il paragrafo sull'ambientamento",
    )
    documents.keep_draft(
        document,
        anna,
        editor_id="editor-anna",
        body="# Linee guida\n\nBozza non salvata.\n",
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
    item = meetings.add_item(meeting, title="Calendario", owner_id=anna.id, duration=20, by=anna)
    by_user = {p.user_id: p.id for p in meeting.participants}
    meetings.set_attendance(meeting, {by_user[anna.id]: Attendance.PRESENT})
    minutes = meetings.start_minutes(meeting, by=lead)
    documents.save(
        minutes,
        author=anna,
        body="## Calendario\n\nSi decide il martedì.\n",
        base_number=minutes.text.head,
        section=None,
        summary="",
    )
    meetings.add_decision(
        meeting,
        item_id=item.id,
        text="Incontri il martedì.",
        document_id=None,
        revision_number=None,
        by=anna,
    )
    meetings.assign_action(
        meeting, title="Preparare la sintesi", owner_id=anna.id, due_on=None, item_id=None, by=lead
    )
    db.session.add(MinutesComment(meeting_id=meeting.id, author_id=anna.id, body="Manca Rho."))

    notifications.mute(anna, Target.GROUP, group.id)
    notifications.set_mode(anna, MailMode.DAILY)
    db.session.add(WeeklySummary(user_id=anna.id, enabled=True))
    db.session.add(GroupVisit(user_id=anna.id, group_id=group.id, seen_at=utcnow()))
    db.session.add(CalendarFeed(user_id=anna.id, token_hash="f" * 64))
    db.session.add(TwoFactor(user_id=anna.id, secret="segreto-cifrato", enabled_at=utcnow()))
    db.session.add(RecoveryCode(user_id=anna.id, code_hash="e" * 64))
    db.session.add(
        PasswordReset(
            user_id=anna.id, token_hash="d" * 64, expires_at=utcnow() + timedelta(hours=1)
        )
    )
    db.session.add(LoginAttempt(email=EMAIL, address="192.0.2.1"))
    now = utcnow()
    db.session.add(
        Invitation(
            email=EMAIL,
            name=OLD_NAME,
            role=Role.OPERATOR,
            token_hash="c" * 64,
            invited_by_id=coordinator.id,
            created_at=now - timedelta(days=30),
            expires_at=now - timedelta(days=23),
            accepted_at=now - timedelta(days=29),
            user_id=anna.id,
        )
    )
    db.session.add(
        Invitation(
            email=EMAIL.upper(),
            name=NAME,
            role=Role.OPERATOR,
            token_hash="b" * 64,
            invited_by_id=coordinator.id,
            expires_at=now + timedelta(days=7),
        )
    )
    with app.test_request_context():
        audit.record("auth.login", actor=anna, target=anna)
        audit.record("group.member_added", actor=lead, target=group, detail={"email": EMAIL})
    db.session.commit()
    return {
        "anna": anna,
        "bruno": bruno,
        "lead": lead,
        "coordinator": coordinator,
        "group": group,
        "thread": thread,
        "document": document,
        "meeting": meeting,
        "minutes": minutes,
    }


def erase_url(person):
    return f"/persone/{person.id}/elimina"


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def erase_anna(client, auth, world):
    sign_in(auth, world["coordinator"])
    response = client.post(erase_url(world["anna"]), data={"confirmation": f"  anna  {NAME[5:]} "})
    assert response.status_code == 303, page_text(response)
    assert response.location.endswith(f"/persone/{world['anna'].id}")
    db.session.expire_all()
    return erasure.neutral_label(world["anna"])


def text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text) or column.name == "terms":
                yield table, column


def traces(*needles):
    """(table, column, value) wherever a needle appears, in any case, in a text column."""
    found = []
    for table, column in text_columns():
        value = cast(column, Text)
        condition = or_(
            *(func.lower(value).contains(needle.lower(), autoescape=True) for needle in needles)
        )
        for row in db.session.execute(select(value).where(condition)):
            found.append((table.name, column.name, row[0]))
    if db.engine.dialect.name == "sqlite" and inspect(db.engine).has_table("search_fts"):
        for row in db.session.execute(text("SELECT * FROM search_fts")):
            joined = " ".join(str(part) for part in row).lower()
            found += [("search_fts", "*", joined) for n in needles if n.lower() in joined]
    return found


# -- Erasure ---------------------------------------------------------------------------------


def test_after_erasure_the_name_and_address_are_nowhere(client, auth, world):
    assert traces(NAME, EMAIL, OLD_NAME, HANDLE)  # the scan finds them before
    label = erase_anna(client, auth, world)
    assert label == f"Persona rimossa {world['anna'].id}"
    assert traces(NAME, EMAIL, OLD_NAME, HANDLE) == []
    assert traces("+39 02 1234567") == []
    anna = db.session.get(User, world["anna"].id)
    assert anna.name == label and anna.email == f"rimossa-{anna.id}@invalid"
    assert anna.password_hash is None and not anna.active
    assert anna.profile.is_erased and anna.profile.service_id is None


def test_personal_rows_go_and_contributions_stay(client, auth, world):
    anna = world["anna"]
    session_before = anna.session_id
    erase_anna(client, auth, world)
    anna = db.session.get(User, anna.id)
    assert anna.session_id != session_before
    for model in (
        TwoFactor,
        RecoveryCode,
        Notification,
        Subscription,
        WeeklySummary,
        Draft,
        GroupVisit,
        CalendarFeed,
        Membership,
        PasswordReset,
    ):
        assert (
            db.session.scalar(
                select(func.count()).select_from(model).where(model.user_id == anna.id)
            )
            == 0
        ), model
    assert LoginAttempt.query.count() == 0
    # The accepted invitation stays, anonymised; the one never accepted is gone.
    (invitation,) = Invitation.query.all()
    assert invitation.name == anna.name and invitation.accepted_at is not None
    # Contributions keep their author: the same account, now under the label.
    thread = world["thread"]
    assert thread.created_by_id == anna.id
    first = Message.query.filter_by(thread_id=thread.id, number=1).one()
    assert first.author_id == anna.id
    assert world["document"].text.head == 2
    assert MinutesComment.query.one().author_id == anna.id
    # Bruno's notification of Anna's mention now names the label.
    (told,) = Notification.query.filter_by(user_id=world["bruno"].id, kind="mention").all()
    assert anna.name in told.title


def test_every_page_with_her_contributions_still_renders(client, auth, world):
    label = erase_anna(client, auth, world)
    group, document, meeting = world["group"], world["document"], world["meeting"]
    slug = group.slug
    base = f"/gruppi/{slug}"
    doc = f"{base}/documenti/{document.id}"
    pages = [
        f"{doc}",
        f"{doc}/versioni",
        f"{doc}/versioni/2",
        f"{doc}/confronta?da=1&a=2",
        f"{doc}/versioni/2/autori",
        f"{base}/discussioni/{world['thread'].id}",
        f"{base}/discussioni/{world['thread'].id}/messaggi/2/versioni",
        f"{base}/attivita",
        "/attivita",
        f"{base}/incontri/{meeting.id}",
        f"{base}/incontri/{meeting.id}/verbale/stampa",
        f"{base}/documenti/{world['minutes'].id}/versioni",
        f"{base}/azioni/",
        "/cerca?q=martedì",
        f"/persone/{world['anna'].id}",
        "/persone",
        "/registro",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert NAME not in body and EMAIL not in body, url
    assert label in client.get(f"{doc}/versioni").get_data(as_text=True)
    assert label in client.get(f"{doc}/versioni/2/autori").get_data(as_text=True)
    thread_page = client.get(f"{base}/discussioni/{world['thread'].id}").get_data(as_text=True)
    assert label in thread_page and f"@{label}" in thread_page
    assert label in client.get(f"{base}/attivita").get_data(as_text=True)
    assert label in client.get(f"{base}/incontri/{meeting.id}/verbale/stampa").get_data(
        as_text=True
    )
    archive = client.get(f"{base}/archivio.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        everything = b"".join(zipped.read(name) for name in zipped.namelist())
    assert NAME.encode() not in everything and EMAIL.encode() not in everything
    # Bruno's own data: his notification from Anna now names the label.
    sign_in(auth, world["bruno"])
    mine = client.get("/profilo/i-miei-dati.json")
    assert mine.status_code == 200
    assert NAME not in mine.get_data(as_text=True)
    assert label in json.dumps(json.loads(mine.data), ensure_ascii=False)


def test_the_audit_chain_still_verifies_and_the_erasure_is_recorded(client, auth, runner, world):
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    label = erase_anna(client, auth, world)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    erased = AuditEntry.query.filter_by(action="person.erased").one()
    assert erased.actor_id == world["coordinator"].id
    assert erased.target_label == label and erased.target_id == world["anna"].id
    login = AuditEntry.query.filter_by(action="auth.login", actor_id=world["anna"].id).first()
    assert login.actor_label == label and login.target_label == label
    assert "actor_label" not in json.loads(login.salts)
    assert "actor_label" in json.loads(login.erased)
    # What erasure leaves is still guarded: an unerased field altered is found.
    db.session.execute(
        text("UPDATE audit_entries SET action = 'auth.logout' WHERE id = :id"), {"id": login.id}
    )
    db.session.commit()
    assert runner.invoke(args=["audit-verify"]).exit_code == 1


@pytest.mark.parametrize(
    "change",
    [
        # A salt removed without its digest kept (what erasure does) reads as an alteration.
        "UPDATE audit_entries SET salts = '{}' WHERE id = :id",
        "UPDATE audit_entries SET salts = 'rotto' WHERE id = :id",
        # A forged erasure: the text replaced, a digest made up.
        "UPDATE audit_entries SET actor_label = 'x', salts = NULL, "
        'erased = \'{"actor_label":"00"}\' WHERE id = :id',
    ],
)
def test_tampering_with_the_seals_is_found(app, runner, make_user, change):
    person = make_user(Role.COORDINATOR)
    with app.test_request_context():
        for _ in range(3):
            audit.record("group.updated", actor=person, target_type="group", detail="x")
    db.session.commit()
    middle = AuditEntry.query.order_by(AuditEntry.id).all()[1]
    db.session.execute(text(change), {"id": middle.id})
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"n. {middle.id}" in result.output


def test_the_migration_rechains_in_the_format_the_app_verifies(app, runner, make_user):
    person = make_user(Role.COORDINATOR)
    with app.test_request_context():
        for n in range(3):
            audit.record("group.updated", actor=person, target_type="group", detail=f"n. {n}")
    db.session.commit()
    before = [entry.hash for entry in AuditEntry.query.order_by(AuditEntry.id)]
    migration = importlib.import_module("workspace.migrations.versions.0011_erasure")
    with db.engine.begin() as connection:
        migration._rechain(connection, salted=True)
    db.session.expire_all()
    after = [entry.hash for entry in AuditEntry.query.order_by(AuditEntry.id)]
    assert set(before).isdisjoint(after)  # new salts, new hashes
    assert audit_log.verify().broken is None
    with db.engine.begin() as connection:
        migration._rechain(connection, salted=False)  # downgrade: the old format
    db.session.expire_all()
    assert audit_log.verify().broken is not None  # the app no longer reads it


def test_a_wrong_confirmation_is_refused_next_to_the_field(client, auth, world):
    anna = world["anna"]
    sign_in(auth, world["coordinator"])
    page = client.get(erase_url(anna))
    assert page.status_code == 200
    body = page_text(page)
    assert "Non si può annullare" in body and f"Persona rimossa {anna.id}" in body
    response = client.post(erase_url(anna), data={"confirmation": "Anna"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="confirmation-error"' in html and "<html" in html
    assert 'value="Anna"' in html  # what was typed is kept
    fragment = client.post(
        erase_url(anna), data={"confirmation": "Bruno"}, headers=htmx("erase-form")
    )
    assert fragment.status_code == 422
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="erase-form"' in html and "confirmation-error" in html
    empty = client.post(erase_url(anna), data={})
    assert empty.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, anna.id).name == NAME
    assert db.session.get(User, anna.id).active


def test_the_erasure_by_htmx_redirects(client, auth, world):
    sign_in(auth, world["coordinator"])
    response = client.post(
        erase_url(world["anna"]), data={"confirmation": NAME}, headers=htmx("erase-form")
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/persone/{world['anna'].id}")
    page = client.get(f"/persone/{world['anna'].id}")
    assert "Dati personali eliminati" in page_text(page)


def test_nobody_erases_themselves_twice_or_the_last_coordinator(client, auth, world, make_user):
    coordinator = world["coordinator"]
    sign_in(auth, coordinator)
    page = client.get(erase_url(coordinator))
    assert page.status_code == 200 and "stessi dati" in page_text(page)
    response = client.post(erase_url(coordinator), data={"confirmation": coordinator.name})
    assert response.status_code == 422 and "stessi dati" in page_text(response)
    erase_anna(client, auth, world)
    again = client.post(erase_url(world["anna"]), data={"confirmation": world["anna"].name})
    assert again.status_code == 422 and "già stati eliminati" in page_text(again)
    # Reactivating an erased account is refused, and not offered.
    person_page = client.get(f"/persone/{world['anna'].id}").get_data(as_text=True)
    assert "/riattiva" not in person_page
    client.post(f"/persone/{world['anna'].id}/riattiva")
    db.session.expire_all()
    assert not db.session.get(User, world["anna"].id).active
    # The last active coordinator (whoever asks: the rule holds in the service too).
    operator = world["bruno"]
    assert erasure.obstacle(coordinator, by=operator) is not None
    with pytest.raises(people.PeopleRuleError):
        erasure.erase(coordinator, by=operator, confirmation=coordinator.name)
    make_user(Role.COORDINATOR)
    assert erasure.obstacle(coordinator, by=operator) is None


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.EXTERNAL])
def test_only_coordinators_erase(client, login_as, make_user, role):
    person = make_user(Role.OPERATOR, name="Da non toccare")
    login_as(role)
    assert client.get(erase_url(person)).status_code == 403
    assert client.post(erase_url(person), data={"confirmation": person.name}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, person.id).name == "Da non toccare"


def test_anonymous_is_sent_to_sign_in(client, make_user):
    person = make_user()
    response = client.post(erase_url(person), data={"confirmation": person.name})
    assert response.status_code == 302 and "/accedi" in response.location


# -- Retention -------------------------------------------------------------------------------


def test_prune_applies_every_retention_setting(make_app, make_user, make_group):
    app = make_app(
        NOTIFICATION_RETENTION_DAYS=90,
        LOGIN_ATTEMPT_RETENTION_DAYS=10,
        TWO_FACTOR_REQUIRED_ROLES=[],
    )
    with app.app_context():
        person = make_user()
        group = make_group(members=[person])
        old = utcnow() - timedelta(days=100)
        for n, (created, read) in enumerate(
            [(old, old), (old, None), (utcnow(), utcnow()), (old + timedelta(days=20), old)]
        ):
            db.session.add(
                Notification(
                    user_id=person.id,
                    kind="mention",
                    group_id=group.id,
                    title=f"n. {n}",
                    url="/",
                    source=f"test:{n}",
                    created_at=created,
                    read_at=read,
                )
            )
        db.session.add(LoginAttempt(email="a", address="b", at=utcnow() - timedelta(days=11)))
        db.session.add(LoginAttempt(email="a", address="b", at=utcnow() - timedelta(days=9)))
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["prune"])
        assert result.exit_code == 0, result.output
        assert "Notifiche lette eliminate: 1 (conservati 90 giorni)" in result.output
        assert "Tentativi di accesso eliminati: 1 (conservati 10 giorni)" in result.output
        assert "Voci del registro eliminate: 0 (conservati 365 giorni)" in result.output
        # Unread ones stay, however old; read ones stay within the period.
        kept = {n.title for n in Notification.query}
        assert kept == {"n. 1", "n. 2", "n. 3"}
        assert LoginAttempt.query.count() == 1


AGE = "UPDATE audit_entries SET created_at = :at, prev_hash = :p, hash = :h WHERE id = :id"


def test_prune_removes_old_audit_entries_too(app, runner):
    with app.test_request_context():
        for n in range(3):
            audit.record("group.updated", target_type="group", detail=f"n. {n}")
    db.session.commit()
    rows = AuditEntry.query.order_by(AuditEntry.id).all()
    # Age the first entry and re-seal the chain (tests only), as tests/test_audit.py does.
    from workspace.audit.chain import entry_hash, fields_of

    prev = "0" * 64
    for row in rows:
        created = row.created_at - timedelta(days=400) if row is rows[0] else row.created_at
        new_hash = entry_hash(prev, fields_of(row) | {"created_at": created})
        db.session.execute(
            text(AGE),
            {"at": created.replace(tzinfo=None), "p": prev, "h": new_hash, "id": row.id},
        )
        prev = new_hash
    db.session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": prev})
    db.session.commit()
    result = runner.invoke(args=["prune"])
    assert "Voci del registro eliminate: 1 (conservati 365 giorni)" in result.output
    assert runner.invoke(args=["audit-verify"]).exit_code == 0


def test_retention_settings_have_defaults(app):
    assert app.config["NOTIFICATION_RETENTION_DAYS"] == 180
    assert app.config["LOGIN_ATTEMPT_RETENTION_DAYS"] == 30
    assert app.config["AUDIT_RETENTION_DAYS"] == 365


def test_names_are_replaced_as_whole_words_in_any_case():
    replace = audit_log.replace_names
    assert replace("Al e Altro; AL.", ["Al"], "X") == "X e Altro; X."
    assert replace('{"email": "ANNA@rho.it"}', ["anna@rho.it", "Anna"], "X") == '{"email": "X"}'


# -- Erasure is vouched for, keeps to the person, and holds the chain ------------------------


def test_an_erased_text_changed_afterwards_is_found(client, auth, runner, world):
    erase_anna(client, auth, world)
    login = AuditEntry.query.filter_by(action="auth.login", actor_id=world["anna"].id).first()
    db.session.execute(
        text("UPDATE audit_entries SET actor_label = 'chiunque' WHERE id = :id"),
        {"id": login.id},
    )
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"n. {login.id}" in result.output


def test_the_erasure_lists_what_it_rewrote_without_personal_data(client, auth, runner, world):
    erase_anna(client, auth, world)
    erased = AuditEntry.query.filter_by(action="person.erased").one()
    detail = json.loads(erased.detail)
    rewritten = {(entry_id, field) for entry_id, field, _hash in detail["rewritten"]}
    login = AuditEntry.query.filter_by(action="auth.login", actor_id=world["anna"].id).first()
    assert {(login.id, "actor_label"), (login.id, "target_label")} <= rewritten
    assert detail["entries"] == len({entry_id for entry_id, _field in rewritten})
    for needle in (NAME, EMAIL, OLD_NAME, HANDLE):
        assert needle.lower() not in erased.detail.lower()
    # A forged list is found (at the first entry it no longer vouches for).
    forged = erased.detail.replace(detail["rewritten"][0][2], "0" * 64)
    db.session.execute(
        text("UPDATE audit_entries SET detail = :d WHERE id = :id"),
        {"d": forged, "id": erased.id},
    )
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and "NON integro" in result.output


def test_two_erasures_of_the_same_entry_verify(client, auth, runner, world):
    anna, bruno = world["anna"], world["bruno"]
    with client.application.test_request_context():
        audit.record(
            "group.member_role_changed",
            actor=anna,
            target=world["group"],
            detail={"email": bruno.email, "also": anna.email},
        )
    db.session.commit()
    both = AuditEntry.query.filter_by(action="group.member_role_changed").one()
    erase_anna(client, auth, world)
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    erasure.erase(db.session.get(User, bruno.id), by=world["coordinator"], confirmation=bruno.name)
    db.session.expire_all()
    both = db.session.get(AuditEntry, both.id)
    assert "@" not in both.detail and "@" not in both.actor_label
    assert set(json.loads(both.erased)) == {"actor_label", "detail"}
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output


def test_erasure_takes_the_chain_lock_before_reading(app, world, monkeypatch):
    order = []
    lock, identities = audit_log._lock_head, erasure._identities
    monkeypatch.setattr(audit_log, "_lock_head", lambda now: order.append("lock") or lock(now))
    monkeypatch.setattr(
        erasure, "_identities", lambda person: order.append("read") or identities(person)
    )
    erasure.erase(world["anna"], by=world["coordinator"], confirmation=NAME)
    assert order[:2] == ["lock", "read"]


def test_a_refused_erasure_releases_the_lock(app, world):
    with pytest.raises(people.PeopleRuleError):
        erasure.erase(world["anna"], by=world["coordinator"], confirmation="Qualcun altro")
    # Another connection can append at once (SQLite's write lock, PostgreSQL's row lock).
    with db.engine.connect() as other:
        if db.engine.dialect.name == "postgresql":
            other.execute(text("SET lock_timeout = '3s'"))
        other.execute(text("UPDATE audit_chain_head SET updated_at = updated_at"))
        other.commit()


SAME = "Marco Rossi"


@pytest.fixture
def namesakes(app, make_user, make_group):
    """Two people called Marco Rossi: one to erase (``a``), one (``b``) whose traces stay."""
    coordinator = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    writer = make_user(Role.OPERATOR, name="Chiara Scrive")
    a = make_user(Role.OPERATOR, name=SAME, email="marco.rossi@rho.example.it")
    b = make_user(Role.OPERATOR, name=SAME, email="m.rossi@legnano.example.it")
    both = make_group("Gruppo con entrambi", members=[writer, a, b])
    only_b = make_group("Gruppo di Legnano", members=[writer, b])
    shared = discussions.open_thread(both, author=writer, title="Turni", body="Chi c'è?")
    twice = discussions.reply(
        shared, author=writer, body=f"Grazie @marco.rossi.{a.id} e @marco.rossi.{b.id}."
    )
    by_a = discussions.reply(shared, author=a, body="Ci sono, @chiara.scrive.")
    by_b = discussions.reply(shared, author=b, body="Anch'io, @chiara.scrive.")
    about_b = discussions.open_thread(
        only_b, author=writer, title=f"Telefonata con {SAME}", body="Ciao @marco.rossi."
    )
    with app.test_request_context():
        audit.record("auth.login", actor=a, target=a)
        audit.record("auth.login", actor=b, target=b)
        audit.record("person.updated", actor=coordinator, target=b, detail={"name": SAME})
    db.session.commit()
    return {
        "coordinator": coordinator,
        "writer": writer,
        "a": a,
        "b": b,
        "twice": twice,
        "by_a": by_a,
        "by_b": by_b,
        "about_b": about_b,
    }


def test_erasing_one_of_two_namesakes_keeps_the_other(app, runner, namesakes):
    a, b, writer = namesakes["a"], namesakes["b"], namesakes["writer"]
    b_email = b.email
    b_messages = {m.id: (m.body, m.html) for m in Message.query.filter(Message.author_id == b.id)}
    first_of_about_b = Message.query.filter_by(thread_id=namesakes["about_b"].id).one()
    about_b_before = (first_of_about_b.body, first_of_about_b.html)
    assert f"<strong>@{SAME}</strong>" in about_b_before[1]  # a mention of B, by bare handle
    label = erasure.erase(a, by=namesakes["coordinator"], confirmation=SAME)
    db.session.expire_all()
    new_handle = label.lower().replace(" ", ".")

    # The message naming both: A's mention (by id) goes, B's stays, in the text and the HTML.
    twice = db.session.get(Message, namesakes["twice"].id)
    assert twice.body == f"Grazie @{new_handle} e @marco.rossi.{b.id}."
    assert twice.html.count(f"<strong>@{label}</strong>") == 1
    assert twice.html.count(f"<strong>@{SAME}</strong>") == 1
    assert twice.html.index(label) < twice.html.index(SAME)
    # B's group, where A could not be mentioned: untouched. B's own messages too.
    first = Message.query.filter_by(thread_id=namesakes["about_b"].id).one()
    assert (first.body, first.html) == about_b_before
    for message_id, before in b_messages.items():
        message = db.session.get(Message, message_id)
        assert (message.body, message.html) == before
    # The writer's notifications: from A now the label, from B still B's name.
    titles = {
        n.actor_id: n.title for n in Notification.query.filter_by(user_id=writer.id, kind="mention")
    }
    assert titles[a.id].startswith(label) and SAME not in titles[a.id]
    assert titles[b.id].startswith(SAME)
    # B was told of mentions with B's name; nothing of B's changed.
    assert Notification.query.filter_by(user_id=b.id).count() >= 1
    from workspace.activity.models import Event

    assert Event.query.filter(Event.title == f"Telefonata con {SAME}").count() >= 1
    # The audit log: A's entries carry the label, B's keep B's name and address.
    login_a = AuditEntry.query.filter_by(action="auth.login", actor_id=a.id).one()
    assert login_a.actor_label == label and login_a.target_label == label
    login_b = AuditEntry.query.filter_by(action="auth.login", actor_id=b.id).one()
    assert login_b.actor_label == b_email and login_b.target_label == SAME
    updated_b = AuditEntry.query.filter_by(action="person.updated", target_id=b.id).one()
    assert updated_b.target_label == SAME and SAME in updated_b.detail
    assert login_b.erased is None and updated_b.erased is None
    # A's address is nowhere; the chain verifies.
    assert traces("marco.rossi@rho.example.it") == []
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output


def test_a_mention_typed_where_the_person_never_was_is_kept(app, world, make_group):
    outsider_group = make_group("Gruppo senza Anna", members=[world["bruno"]])
    thread = discussions.open_thread(
        outsider_group, author=world["bruno"], title="Altro", body=f"Scrivo @{HANDLE} a caso."
    )
    first = Message.query.filter_by(thread_id=thread.id).one()
    before = (first.body, first.html)
    assert "<strong>" not in first.html  # she could not be mentioned there: plain text
    erasure.erase(world["anna"], by=world["coordinator"], confirmation=NAME)
    db.session.expire_all()
    first = db.session.get(Message, first.id)
    assert (first.body, first.html) == before
