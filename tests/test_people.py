"""Profiles and the coordinators' management of people."""

from tests.support import text
from workspace.extensions import db
from workspace.people.models import Role


def test_profile_shows_and_updates(client, login_as):
    me = login_as(name="Giulia Ferri")
    page = text(client.get("/profilo"))
    assert "Giulia Ferri" in page and me.email in page
    response = client.post(
        "/profilo", data={"name": "Giulia Ferri Rossi", "phone": "+39 02 1234 567", "locale": "it"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert me.name == "Giulia Ferri Rossi"
    assert me.profile.phone == "+39 02 1234 567"


def test_profile_errors_keep_what_was_typed(client, login_as):
    login_as()
    response = client.post("/profilo", data={"name": "", "phone": "chiamami!", "locale": "it"})
    assert response.status_code == 422
    page = text(response)
    assert "Questo campo è obbligatorio." in page
    assert "Usa solo cifre" in page
    assert 'value="chiamami!"' in page


def test_profile_changes_service_but_not_role(client, login_as, make_service):
    me = login_as()
    other = make_service(name="Cooperativa Milagro", district="Paullo")
    response = client.post(
        "/profilo",
        data={"name": "X", "locale": "it", "role": "coordinator", "service_id": other.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert me.profile.role == Role.OPERATOR
    assert me.profile.service_id == other.id


def test_external_profile_keeps_an_organisation_not_a_service(client, login_as, make_service):
    me = login_as(Role.EXTERNAL)
    service = make_service()
    page = text(client.get("/profilo"))
    assert "Ente o coordinamento" in page and 'name="service_id"' not in page
    client.post(
        "/profilo",
        data={
            "name": "X",
            "locale": "it",
            "organisation": "Coordinamento affidi Ovest",
            "service_id": service.id,
        },
    )
    db.session.expire_all()
    assert me.profile.service_id is None
    assert me.profile.organisation == "Coordinamento affidi Ovest"


def test_coordinator_lists_and_edits_people(client, login_as, make_user, make_service):
    login_as(Role.COORDINATOR)
    person = make_user(name="Paolo Conti")
    page = text(client.get("/persone"))
    assert "Paolo Conti" in page
    new_service = make_service(name="Cooperativa Davide", district="Busto Arsizio")
    response = client.post(
        f"/persone/{person.id}",
        data={"name": "Paolo Conti", "role": "operator", "service_id": new_service.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert person.profile.service_id == new_service.id


def test_turning_someone_into_an_external_participant(client, login_as, make_user):
    login_as(Role.COORDINATOR)
    person = make_user()
    client.post(
        f"/persone/{person.id}",
        data={"name": person.name, "role": "external", "organisation": "Coordinamento affidi"},
    )
    db.session.expire_all()
    assert person.profile.is_external
    assert person.profile.service_id is None
    assert person.profile.affiliation == "Coordinamento affidi"


def test_the_last_coordinator_cannot_step_down(client, login_as):
    me = login_as(Role.COORDINATOR)
    response = client.post(f"/persone/{me.id}", data={"name": me.name, "role": "operator"})
    assert response.status_code == 422
    assert "unico coordinatore attivo" in text(response)


def test_coordinator_cannot_disable_herself(client, login_as):
    me = login_as(Role.COORDINATOR)
    client.post(f"/persone/{me.id}/disattiva")
    db.session.expire_all()
    assert me.active


def test_reactivate(client, login_as, make_user):
    login_as(Role.COORDINATOR)
    person = make_user(active=False)
    assert client.post(f"/persone/{person.id}/riattiva").status_code == 303
    db.session.expire_all()
    assert person.active
