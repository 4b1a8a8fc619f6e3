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


def test_a_retired_service_stays_in_the_profile_and_survives_saving(client, login_as, make_service):
    from workspace.directory.service import retire_service

    service = make_service(name="Cooperativa Chiusa", district="Rho")
    me = login_as(service=service)
    retire_service(service)
    page = text(client.get("/profilo"))
    assert (
        f'<option selected value="{service.id}">Cooperativa Chiusa (Rho) (ritirato)</option>'
        in (page)
    )
    # The form as the browser sends it back: the service is still chosen.
    response = client.post(
        "/profilo", data={"name": me.name, "locale": "it", "service_id": service.id}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert me.profile.service_id == service.id


def test_another_retired_service_cannot_be_chosen(client, login_as, make_service):
    from workspace.directory.service import retire_service

    me = login_as()
    mine = me.profile.service_id
    other = make_service()
    retire_service(other)
    assert f'value="{other.id}"' not in text(client.get("/profilo"))
    response = client.post(
        "/profilo", data={"name": me.name, "locale": "it", "service_id": other.id}
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert me.profile.service_id == mine


def test_coordinator_edit_keeps_a_retired_service(client, login_as, make_user, make_service):
    from workspace.directory.service import retire_service

    login_as(Role.COORDINATOR)
    service = make_service(name="Cooperativa Chiusa", district="Rho")
    person = make_user(service=service)
    retire_service(service)
    assert "Cooperativa Chiusa (Rho) (ritirato)" in text(client.get(f"/persone/{person.id}"))
    response = client.post(
        f"/persone/{person.id}",
        data={"name": "Nome Nuovo", "role": "operator", "service_id": service.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert person.name == "Nome Nuovo" and person.profile.service_id == service.id


def test_turning_a_lead_into_an_external_participant_ends_their_leads(
    client, login_as, make_user, make_group
):
    from workspace.groups.models import GroupRole, Membership

    login_as(Role.COORDINATOR)
    person = make_user(name="Paolo Conti")
    group = make_group("Revisione linee guida", leads=[person])
    response = client.post(
        f"/persone/{person.id}",
        data={"name": person.name, "role": "external", "organisation": "Coordinamento affidi"},
    )
    assert response.status_code == 302
    assert Membership.query.filter_by(user_id=person.id).one().role == GroupRole.MEMBER
    page = text(client.get(response.location))
    assert "Paolo Conti ora è componente di Revisione linee guida" in page
    assert group.name in page
