"""The directory of the network's 24 services and the coordinators' upkeep of it."""

from tests.support import text
from workspace.demo import load_demo_data
from workspace.directory.models import Scope, Service
from workspace.people.models import Role


def rows(page: str, heading: str) -> int:
    section = page.split(heading, 1)[1].split("</table>", 1)[0]
    return section.count('<tr id="service-')


def test_the_directory_lists_12_provincial_and_12_extra_provincial_services(client, login_as):
    load_demo_data()
    login_as(Role.COORDINATOR)
    page = text(client.get("/servizi/"))
    assert rows(page, "Servizi provinciali") == 12
    assert rows(page, "Servizi extra-provinciali") == 12
    assert "Spazio neutro-Comune Mi Ghenos Spazio Aperto Servizi" in page
    assert "Spazio Incontro Punto Più Coop. Aeper" in page
    assert "Centro Servizi Minori e famiglia" in page
    # The seed page's mangled accents are not carried over.
    assert "č" not in page and "ā" not in page
    assert Service.query.filter_by(scope=Scope.PROVINCIAL).count() == 12
    assert Service.query.filter_by(scope=Scope.EXTRA_PROVINCIAL).count() == 12


def test_the_directory_shows_the_people_of_each_service(client, login_as, make_service, make_user):
    cta = make_service(name="Spazio neutro CTA", district="Legnano")
    make_user(name="Paolo Conti", service=cta, email="paolo@cta.example.it")
    make_user(name="Ex Collega", service=cta, active=False)
    login_as()
    page = text(client.get("/servizi/"))
    section = page.split(f'id="service-{cta.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Paolo Conti" in section and "paolo@cta.example.it" in section
    assert "Ex Collega" not in section


def test_coordinator_adds_a_service(client, login_as):
    login_as(Role.COORDINATOR)
    response = client.post(
        "/servizi/nuovo",
        data={
            "name": "Spazio neutro Nuovo",
            "district": "Lodi",
            "health_authority": "Lodi",
            "scope": "extra_provincial",
        },
    )
    assert response.status_code == 302
    service = Service.query.one()
    assert service.scope == Scope.EXTRA_PROVINCIAL
    assert "Spazio neutro Nuovo" in text(client.get("/servizi/"))


def test_service_form_errors_keep_what_was_typed(client, login_as):
    login_as(Role.COORDINATOR)
    response = client.post(
        "/servizi/nuovo", data={"name": "", "district": "Lodi", "scope": "provincial"}
    )
    assert response.status_code == 422
    page = text(response)
    assert "Questo campo è obbligatorio." in page
    assert 'value="Lodi"' in page
    assert Service.query.count() == 0


def test_coordinator_edits_retires_and_restores(client, login_as, make_service):
    service = make_service(name="Vecchio nome", district="Paullo")
    login_as(Role.COORDINATOR)
    response = client.post(
        f"/servizi/{service.id}/modifica",
        data={
            "name": "Cooperativa Milagro",
            "district": "Paullo",
            "health_authority": "2",
            "scope": "provincial",
        },
    )
    assert response.status_code == 302
    assert "Cooperativa Milagro" in text(client.get("/servizi/"))
    assert client.post(f"/servizi/{service.id}/ritira").status_code == 303
    page = text(client.get("/servizi/"))
    assert "Servizi ritirati" in page
    assert rows(page, "Servizi provinciali") == 0
    assert client.post(f"/servizi/{service.id}/ripristina").status_code == 303
    assert rows(text(client.get("/servizi/")), "Servizi provinciali") == 1


def test_operators_read_but_do_not_edit(client, login_as, make_service):
    service = make_service()
    login_as()
    page = text(client.get("/servizi/"))
    assert "Modifica" not in page and "Aggiungi un servizio" not in page
    assert client.post(f"/servizi/{service.id}/ritira").status_code == 403


def test_unknown_service_is_404(client, login_as):
    login_as(Role.COORDINATOR)
    assert client.get("/servizi/999/modifica").status_code == 404
