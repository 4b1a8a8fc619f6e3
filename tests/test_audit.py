"""The audit log: the hash chain and its verification, the hooks in the services (who, when in
UTC, from where), the coordinators' register with its filters and CSV export, retention."""

import contextlib
import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import login_user
from sqlalchemy import func, select, text

from tests.support import PASSWORD, htmx
from tests.support import text as page_text
from workspace import audit
from workspace.audit import service
from workspace.audit.models import AuditChainHead, AuditEntry
from workspace.directory.models import Scope
from workspace.extensions import db
from workspace.groups.models import GroupRole
from workspace.people.models import Role

ADDRESS = "192.0.2.7"


def entries(action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def only(action):
    found = entries(action)
    assert len(found) == 1, [entry.action for entry in entries()]
    return found[0]


def assert_recorded(action, actor=None, address=ADDRESS):
    entry = only(action)
    assert entry.actor_id == (actor.id if actor is not None else None)
    assert entry.actor_label == (actor.email if actor is not None else "")
    assert entry.address == address
    assert entry.created_at.tzinfo is UTC
    assert abs(entry.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    return entry


@contextlib.contextmanager
def acting_as(app, user):
    """A request from ADDRESS with ``user`` signed in, for hooks called through the service."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        if user is not None:
            login_user(user)
        yield


def some_entries(app, n=5, actor=None):
    with acting_as(app, actor):
        for i in range(n):
            audit.record("group.updated", target_type="group", target_id=i, detail=f"n. {i}")
        db.session.commit()


def verify(runner):
    return runner.invoke(args=["audit-verify"])


# -- The chain -------------------------------------------------------------------------------


def test_an_untouched_chain_verifies(app, runner, make_user):
    some_entries(app, 4, actor=make_user(Role.COORDINATOR))
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "4 voci verificate" in result.output
    first, *rest = entries()
    assert first.prev_hash == "0" * 64
    for before, after in zip([first, *rest], rest, strict=False):
        assert after.prev_hash == before.hash
    assert db.session.get(AuditChainHead, 1).hash == rest[-1].hash


def test_an_empty_log_verifies(runner):
    assert verify(runner).exit_code == 0


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE audit_entries SET detail = 'niente' WHERE id = :id",
        "UPDATE audit_entries SET actor_label = 'altro@comune.example.it' WHERE id = :id",
        "UPDATE audit_entries SET actor_id = NULL WHERE id = :id",
        "UPDATE audit_entries SET address = '10.0.0.1' WHERE id = :id",
        "UPDATE audit_entries SET action = 'auth.login' WHERE id = :id",
    ],
)
def test_an_altered_row_is_found(app, runner, make_user, change):
    some_entries(app, 5, actor=make_user(Role.COORDINATOR))
    third = entries()[2]
    db.session.execute(text(change), {"id": third.id})
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"n. {third.id}" in result.output
    assert "modificati" in result.output


def forge_erasure(entry, field, new_text):
    """What someone with write access to the database could try: pop the field's salt, keep
    its digest as if erased, and write any text in the field."""
    from workspace.audit.chain import digest, dumps, loads

    salts = loads(entry.salts)
    kept = digest(salts.pop(field), getattr(entry, field))
    db.session.execute(
        text(f"UPDATE audit_entries SET {field} = :new, salts = :s, erased = :e WHERE id = :id"),  # noqa: S608
        {"new": new_text, "s": dumps(salts), "e": dumps({field: kept}), "id": entry.id},
    )
    db.session.commit()


@pytest.mark.parametrize("field", ["detail", "actor_label", "target_label"])
def test_a_forged_erasure_is_found(app, runner, make_user, field):
    carla = make_user(Role.COORDINATOR)
    person = make_user(Role.OPERATOR)
    from workspace.people import service as people

    with acting_as(app, carla):
        people.update_person(
            person, name=person.name, role=Role.COORDINATOR, service_id=None, organisation=None
        )
    some_entries(app, 2, actor=carla)
    changed = only("person.role_changed")
    assert '"to": "coordinator"' in changed.detail
    forge_erasure(changed, field, '{"from": "operator", "to": "member"}')
    result = verify(runner)
    assert result.exit_code == 1, result.output
    assert f"n. {changed.id}" in result.output and "modificati" in result.output


def test_an_altered_time_is_found(app, runner):
    some_entries(app, 3)
    second = entries()[1]
    moved = (second.created_at - timedelta(seconds=1)).replace(tzinfo=None)
    db.session.execute(
        text("UPDATE audit_entries SET created_at = :at WHERE id = :id"),
        {"at": moved, "id": second.id},
    )
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1 and f"n. {second.id}" in result.output


def test_a_removed_middle_row_is_found(app, runner):
    some_entries(app, 5)
    rows = entries()
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": rows[2].id})
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"n. {rows[3].id}" in result.output and "eliminate" in result.output


def test_removed_newest_or_oldest_rows_are_found(app, runner):
    some_entries(app, 5)
    rows = entries()
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": rows[-1].id})
    db.session.commit()
    assert verify(runner).exit_code == 1
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": rows[0].id})
    db.session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": rows[-2].hash})
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1 and f"n. {rows[1].id}" in result.output


def test_a_rewritten_row_with_a_new_hash_breaks_the_next_link(app, runner):
    some_entries(app, 3)
    rows = entries()
    db.session.execute(
        text("UPDATE audit_entries SET hash = :h WHERE id = :id"),
        {"h": "f" * 64, "id": rows[1].id},
    )
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1 and f"n. {rows[1].id}" in result.output


def test_the_orm_refuses_to_change_or_delete_an_entry(app):
    some_entries(app, 1)
    (entry,) = entries()
    entry.detail = "altro"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(entries()[0])
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_the_head_row_is_made_again_when_missing(app, runner):
    some_entries(app, 2)
    db.session.execute(text("DELETE FROM audit_chain_head"))
    db.session.commit()
    some_entries(app, 2)
    assert verify(runner).exit_code == 0
    assert len(entries()) == 4


def test_an_entry_rolled_back_with_its_change_leaves_no_trace(app, runner):
    some_entries(app, 2)
    with acting_as(app, None):
        audit.record("group.created", target_type="group", target_id=99)
        db.session.rollback()
    some_entries(app, 1)
    assert verify(runner).exit_code == 0
    assert [entry.action for entry in entries()] == ["group.updated"] * 3


def test_concurrent_appends_keep_one_chain(make_app, runner):
    """Several threads, each in its own app context and session, append at once."""
    app = make_app()
    errors = []

    def append(n):
        try:
            with app.app_context():
                for i in range(5):
                    audit.record("group.updated", target_type="group", detail=f"{n}-{i}")
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 20
        assert service.verify().broken is None
        prev_hashes = list(db.session.scalars(select(AuditEntry.prev_hash)))
        assert len(set(prev_hashes)) == 20  # no two entries follow the same one: no fork


# -- Retention -------------------------------------------------------------------------------


def age_entries(days, ids):
    """Move entries back in time and re-hash the chain from the first (tests only)."""
    from workspace.audit.chain import entry_hash, fields_of

    rows = entries()
    prev = "0" * 64
    for row in rows:
        created = row.created_at - timedelta(days=days) if row.id in ids else row.created_at
        fields = fields_of(row) | {"created_at": created}
        new_hash = entry_hash(prev, fields)
        db.session.execute(
            text(
                "UPDATE audit_entries SET created_at = :at, prev_hash = :p, hash = :h "
                "WHERE id = :id"
            ),
            {"at": created.replace(tzinfo=None), "p": prev, "h": new_hash, "id": row.id},
        )
        prev = new_hash
    db.session.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": prev})
    db.session.commit()
    db.session.expire_all()


def test_prune_deletes_past_the_retention_and_the_chain_still_verifies(app, runner):
    some_entries(app, 6)
    rows = entries()
    age_entries(400, {rows[0].id, rows[1].id})
    age_entries(200, {rows[2].id})
    assert verify(runner).exit_code == 0
    result = runner.invoke(args=["audit-prune"])
    assert result.exit_code == 0, result.output
    assert "eliminate: 2" in result.output
    kept = [entry.id for entry in entries() if entry.action != "audit.pruned"]
    assert kept == [row.id for row in rows[2:]]
    pruned = only("audit.pruned")
    assert '"deleted": 2' in pruned.detail and pruned.address == ""
    assert verify(runner).exit_code == 0
    # Removing the oldest kept rows by hand is still found.
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": rows[2].id})
    db.session.commit()
    assert verify(runner).exit_code == 1


def test_prune_never_keeps_less_than_six_months(app, runner):
    some_entries(app, 3)
    rows = [entry.id for entry in entries()]
    age_entries(190, {rows[0]})
    age_entries(100, {rows[1]})
    result = runner.invoke(args=["audit-prune", "--days", "30"])
    assert result.exit_code == 0
    assert "almeno 183 giorni" in result.output
    remaining = {entry.id for entry in entries()}
    # 30 days would have taken the entry of 100 days ago too: 183 keeps it.
    assert rows[0] not in remaining and {rows[1], rows[2]} <= remaining


def test_prune_reads_the_configured_retention(make_app):
    app = make_app(AUDIT_RETENTION_DAYS=30)
    with app.app_context():
        assert service.retention_days() == (183, True)
    app = make_app(AUDIT_RETENTION_DAYS=730)
    with app.app_context():
        assert service.retention_days() == (730, False)
        assert service.prune(730) == 0


# -- Hooks -----------------------------------------------------------------------------------


def login(client, email, password=PASSWORD):
    return client.post(
        "/accedi",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ADDRESS},
    )


def test_sign_in_sign_out_and_failures_are_recorded(client, make_user):
    person = make_user(Role.OPERATOR)
    assert login(client, person.email, "sbagliata").status_code == 422
    assert login(client, "nessuno@comune.example.it").status_code == 422
    failed = entries("auth.login_failed")
    assert [entry.target_label for entry in failed] == [person.email, "nessuno@comune.example.it"]
    assert failed[0].target_id == person.id and failed[1].target_id is None
    assert all(entry.actor_id is None and entry.address == ADDRESS for entry in failed)
    assert login(client, person.email).status_code == 302
    assert_recorded("auth.login", person)
    client.post("/esci", environ_base={"REMOTE_ADDR": ADDRESS})
    assert_recorded("auth.logout", person)


def test_throttled_sign_in_is_recorded(make_app):
    app = make_app(LOGIN_MAX_FAILURES_PER_ACCOUNT=1)
    client = app.test_client()
    with app.app_context():
        login(client, "x@comune.example.it")
        login(client, "x@comune.example.it")
        details = [entry.detail for entry in entries("auth.login_failed")]
        assert details == ["", "throttled"]


def test_password_change_and_reset_are_recorded(app, client, make_user, outbox):
    from workspace.accounts import service as accounts

    person = make_user(Role.OPERATOR)
    login(client, person.email)
    response = client.post(
        "/profilo/password",
        data={
            "current_password": PASSWORD,
            "new_password": "un'altra-password-lunga-77",
            "confirm": "un'altra-password-lunga-77",
        },
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    assert response.status_code == 302
    assert_recorded("auth.password_changed", person)
    with acting_as(app, None):
        assert accounts.request_password_reset(person.email, ADDRESS)
        reset_entry = only("auth.password_reset_requested")
        assert reset_entry.target_id == person.id and reset_entry.address == ADDRESS
        found = db.session.scalars(select(accounts.PasswordReset)).first()
        accounts.complete_password_reset(found, "ancora-una-password-99")
    assert_recorded("auth.password_reset_completed", person)


def test_invitations_are_recorded(app, make_user, make_group, make_service):
    from workspace.invitations import service as invitations

    carla = make_user(Role.COORDINATOR)
    group = make_group("Gruppo AMA")
    with acting_as(app, carla):
        invitation, _token = invitations.create_invitation(
            email="nuova@comune.example.it",
            name="Nuova Persona",
            role=Role.OPERATOR,
            service=make_service(),
            organisation=None,
            groups=[group],
            invited_by=carla,
        )
        invitations.renew_token(invitation)
        invitations.revoke(invitation)
    created = assert_recorded("invitation.created", carla)
    assert created.target_label == "nuova@comune.example.it" and '"gruppo-' in created.detail
    assert_recorded("invitation.renewed", carla)
    assert_recorded("invitation.revoked", carla)
    with acting_as(app, carla):
        invitation, _token = invitations.create_invitation(
            email="altra@comune.example.it",
            name="Altra Persona",
            role=Role.EXTERNAL,
            service=None,
            organisation="Coordinamento affidi",
            groups=[],
            invited_by=carla,
        )
    with acting_as(app, None):
        user = invitations.accept(invitation, "una-password-nuova-33")
    assert_recorded("invitation.accepted", user)


def test_people_changes_are_recorded(app, make_user, make_service):
    from workspace.people import service as people

    carla = make_user(Role.COORDINATOR)
    person = make_user(Role.OPERATOR)
    with acting_as(app, carla):
        people.update_person(
            person, name=person.name, role=Role.COORDINATOR, service_id=None, organisation=None
        )
        people.update_person(
            person,
            name="Nome Nuovo",
            role=Role.COORDINATOR,
            service_id=make_service().id,
            organisation=None,
        )
        people.set_active(person, False, by=carla)
        people.set_active(person, True, by=carla)
    role = assert_recorded("person.role_changed", carla)
    assert '"from": "operator"' in role.detail and '"to": "coordinator"' in role.detail
    assert role.target_id == person.id and role.target_type == "user"
    # The first edit changed role and service, the second name and service: both recorded.
    assert len(entries("person.updated")) == 2
    assert_recorded("person.deactivated", carla)
    assert_recorded("person.activated", carla)


def test_group_changes_are_recorded(app, make_user):
    from workspace.groups import service as groups

    carla = make_user(Role.COORDINATOR)
    anna = make_user(Role.OPERATOR)
    with acting_as(app, carla):
        group = groups.create_group(name="Gruppo nuovo", purpose="", is_joint=False)
        groups.update_group(group, name="Gruppo rinominato", purpose="", is_joint=False)
        groups.update_group(group, name="Gruppo rinominato", purpose="", is_joint=False)
        membership = groups.add_member(group, anna, GroupRole.MEMBER, added_by=carla)
        groups.change_role(membership, GroupRole.LEAD)
        groups.remove_member(membership, by=carla)
        groups.set_archived(group, True)
        groups.set_archived(group, False)
    created = assert_recorded("group.created", carla)
    assert created.target_type == "group" and created.target_id == group.id
    assert '"to": "Gruppo rinominato"' in assert_recorded("group.updated", carla).detail
    for action in (
        "group.member_added",
        "group.member_role_changed",
        "group.member_removed",
        "group.archived",
        "group.restored",
    ):
        entry = assert_recorded(action, carla)
        assert entry.target_id == group.id
    assert anna.email in only("group.member_removed").detail


def test_service_directory_changes_are_recorded(app, make_user):
    from workspace.directory import service as directory

    carla = make_user(Role.COORDINATOR)
    with acting_as(app, carla):
        created = directory.create_service(
            name="Spazio neutro", district="Rho", health_authority="1", scope=Scope.PROVINCIAL
        )
        directory.update_service(
            created,
            name="Spazio neutro",
            district="Rho",
            health_authority="1",
            scope=Scope.PROVINCIAL,
        )
        directory.update_service(
            created,
            name="Spazio neutro di Rho",
            district="Rho",
            health_authority="1",
            scope=Scope.PROVINCIAL,
        )
        directory.retire_service(created)
        directory.restore_service(created)
    for action in ("service.created", "service.updated", "service.retired", "service.restored"):
        assert assert_recorded(action, carla).target_id == created.id
    assert only("service.updated").target_label == "Spazio neutro di Rho (Rho)"


def test_document_approval_and_downloads_are_recorded(app, client, make_user, make_group):
    from workspace.documents import service as documents

    lead = make_user(Role.OPERATOR)
    group = make_group("Gruppo", leads=[lead])
    document = documents.create_document(
        group, title="Linee guida", description="", body="Testo.\n", author=lead
    )
    with acting_as(app, lead):
        documents.approve(document, 1, by=lead, note="")
    approved = assert_recorded("document.approved", lead)
    assert approved.target_label == "Linee guida" and '"revision": 1' in approved.detail
    login(client, lead.email)
    base = f"/gruppi/{group.slug}/documenti/{document.id}/versioni/1"
    remote = {"REMOTE_ADDR": ADDRESS}
    assert client.get(base + "/scarica.docx", environ_base=remote).status_code == 200
    assert client.get(base + "/scarica.md", environ_base=remote).status_code == 200
    assert '"format": "docx"' in assert_recorded("document.exported", lead).detail
    assert '"format": "md"' in assert_recorded("document.downloaded", lead).detail


def test_meeting_events_are_recorded(app, client, make_user, make_group):
    from workspace.meetings import service as meetings

    lead = make_user(Role.OPERATOR)
    group = make_group("Gruppo AMA", leads=[lead])
    start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=3)

    def schedule(title):
        (meeting,) = meetings.schedule_meetings(
            True,
            group,
            meetings.Schedule(
                title=title,
                starts_local=start,
                ends_local=start + timedelta(hours=2),
                place="Sala 3",
                online_url="",
                is_joint=False,
                invited_ids=(lead.id,),
                pattern=None,
                count=None,
            ),
            by=lead,
        )
        return meeting

    meeting = schedule("Incontro")
    with acting_as(app, lead):
        first, second = (
            meetings.add_item(meeting, title=t, owner_id=None, duration=None, by=lead)
            for t in ("Accoglienza", "Varie")
        )
        meetings.remove_item(meeting, second)
        meetings.start_minutes(meeting, by=lead)
        decision = meetings.add_decision(
            meeting,
            item_id=first.id,
            text="Si decide",
            document_id=None,
            revision_number=None,
            by=lead,
        )
        meetings.remove_decision(meeting, decision)
        meetings.circulate(meeting, by=lead)
        meetings.approve_minutes(meeting, by=lead, at_meeting=None)
        other = schedule("Annullato")
        meetings.cancel(other, reason="Sciopero", by=lead)
    assert assert_recorded("agenda_item.removed", lead).target_label == "Varie"
    assert '"text": "Si decide"' in assert_recorded("decision.removed", lead).detail
    assert assert_recorded("minutes.circulated", lead).target_id == meeting.id
    assert assert_recorded("minutes.approved", lead).target_id == meeting.id
    assert assert_recorded("meeting.cancelled", lead).detail == "Sciopero"
    login(client, lead.email)
    response = client.get(
        f"/gruppi/{group.slug}/incontri/{meeting.id}/verbale.docx",
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    assert response.status_code == 200
    assert assert_recorded("minutes.downloaded", lead).target_id == meeting.id


def test_withdrawn_message_is_recorded(app, make_user, make_group):
    from workspace.discussions import service as discussions

    anna = make_user(Role.OPERATOR)
    group = make_group("Gruppo", members=[anna])
    thread = discussions.open_thread(group, author=anna, title="Una domanda", body="Ciao a tutti")
    message = discussions.get_message(thread, 1)
    with acting_as(app, anna):
        discussions.withdraw(message, by=anna)
    entry = assert_recorded("message.withdrawn", anna)
    assert entry.target_label == "Una domanda"


# -- The register ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/registro", "/registro.csv"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/accedi" in response.location


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.EXTERNAL])
@pytest.mark.parametrize("path", ["/registro", "/registro.csv"])
def test_only_coordinators_see_the_register(client, login_as, role, path):
    login_as(role)
    assert client.get(path).status_code == 403


def test_a_group_lead_is_refused(client, login_as, make_group):
    lead = login_as(Role.OPERATOR)
    make_group("Gruppo", leads=[lead])
    assert client.get("/registro").status_code == 403
    assert not entries("audit.exported")


def test_coordinator_sees_the_register_as_page_and_fragment(client, login_as):
    carla = login_as(Role.COORDINATOR)
    response = client.get("/registro")
    assert response.status_code == 200
    page = page_text(response)
    assert "Registro degli accessi e delle operazioni" in page
    assert "Accesso" in page and carla.email in page
    assert 'href="/registro"' in page  # the main menu's link
    fragment = client.get("/registro", headers=htmx("audit-log"))
    assert fragment.status_code == 200
    body = page_text(fragment)
    assert body.lstrip().startswith('<div id="audit-log">') and "<html" not in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_menu_shows_the_register_only_to_coordinators(client, login_as):
    login_as(Role.OPERATOR)
    assert 'href="/registro"' not in page_text(client.get("/"))


def test_filters_by_action_person_and_days(app, client, login_as, make_user):
    other = make_user(Role.OPERATOR)
    with acting_as(app, other):
        audit.record("group.created", target_type="group", label="Gruppo di Ugo")
        db.session.commit()
    carla = login_as(Role.COORDINATOR)
    page = page_text(client.get("/registro?azione=group.created"))
    assert "Gruppo di Ugo" in page and carla.email not in page.split("<tbody>")[1]
    page = page_text(client.get(f"/registro?persona={carla.id}"))
    assert "Gruppo di Ugo" not in page
    page = page_text(client.get("/registro?azione=auth."))
    assert "Gruppo di Ugo" not in page and carla.email in page.split("<tbody>")[1]
    today = datetime.now(UTC).date()
    page = page_text(
        client.get(f"/registro?dal={today - timedelta(days=1)}&al={today + timedelta(days=1)}")
    )
    assert "Gruppo di Ugo" in page
    page = page_text(client.get("/registro?al=2001-01-01"))
    assert "Nessuna voce con questi filtri." in page


def test_bad_filters_say_what_is_wrong_next_to_the_field(client, login_as):
    login_as(Role.COORDINATOR)
    response = client.get("/registro?dal=2030-05-10&al=2030-05-01")
    assert response.status_code == 422
    page = page_text(response)
    assert "La data «Al» non può essere prima della data «Dal»." in page
    assert 'id="al-error"' in page and 'value="2030-05-01"' in page
    page = page_text(client.get("/registro?dal=31/02/2030"))
    assert "Indica una data valida" in page and 'value="31/02/2030"' in page
    assert "Indica una data tra il 2000 e il 2100." in page_text(
        client.get("/registro?dal=0001-01-01")
    )
    assert client.get("/registro?al=9999-12-31").status_code == 422
    assert client.get("/registro?azione=inventata").status_code == 422
    assert "Scegli una persona" in page_text(client.get("/registro?persona=abc"))
    assert client.get("/registro?prima=" + "9" * 30).status_code == 200
    fragment = client.get("/registro?dal=2030-05-10&al=2030-05-01", headers=htmx("audit-log"))
    assert fragment.status_code == 422 and "al-error" in page_text(fragment)
    assert client.get("/registro.csv?dal=2030-05-10&al=2030-05-01").status_code == 422
    assert not entries("audit.exported")


def test_keyset_pages_go_back_in_time(app, client, login_as):
    some_entries(app, 120)
    login_as(Role.COORDINATOR)
    first = page_text(client.get("/registro"))
    assert first.count('id="audit-entry-') == 50
    older = first.split("Meno recenti")[0].rsplit('href="', 1)[1].split('"')[0]
    assert "prima=" in older
    second = page_text(client.get(older.replace("&amp;", "&")))
    ids_first = {int(i.split('"')[0]) for i in first.split('id="audit-entry-')[1:]}
    ids_second = {int(i.split('"')[0]) for i in second.split('id="audit-entry-')[1:]}
    assert len(ids_second) == 50 and max(ids_second) < min(ids_first)
    assert "Più recenti" in second


def test_csv_export_is_complete_and_itself_recorded(app, client, login_as):
    with acting_as(app, None):
        audit.record("group.created", target_type="group", label='=HYPERLINK("x")')
        db.session.commit()
    carla = login_as(Role.COORDINATOR)
    response = client.get("/registro.csv", environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(service.CSV_HEADER)
    actions = [row[4] for row in rows[1:]]
    assert actions[:2] == ["group.created", "auth.login"]
    assert rows[1][7].startswith("'=")  # no formula in a spreadsheet
    assert rows[1][1].endswith("Z")
    assert_recorded("audit.exported", carla)
    filtered = client.get("/registro.csv?azione=auth.login")
    rows = list(csv.reader(io.StringIO(filtered.get_data(as_text=True))))
    assert [row[4] for row in rows[1:]] == ["auth.login"]
