"""Invitations: the only way in. The whole journey of the issue's "done when" is here."""

from datetime import timedelta

from tests.support import link_in, text
from workspace.accounts.models import User
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.groups.models import Membership
from workspace.invitations.models import Invitation
from workspace.people.models import Role


def invite(client, **data):
    form = {"name": "Anna Verdi", "email": "anna.verdi@comune.example.it", "role": "operator"}
    form.update(data)
    return client.post("/inviti/nuovo", data=form)


def test_coordinator_invites_a_colleague_who_joins_her_groups(
    client, login_as, make_service, make_group, outbox, auth
):
    service = make_service(name="Spazio neutro CTA", district="Legnano")
    group = make_group("Revisione linee guida")
    other_group = make_group("Gruppo genitori AMA")
    coordinator = login_as(Role.COORDINATOR, name="Laura Bianchi")
    response = invite(client, service_id=service.id, group_ids=[group.id])
    assert response.status_code == 302
    assert "Invito inviato a anna.verdi@comune.example.it" in text(client.get("/inviti"))

    (message,) = outbox()
    assert message["To"] == "anna.verdi@comune.example.it"
    assert "Laura Bianchi ti ha invitato" in message.get_content()
    assert "Revisione linee guida" in message.get_content()
    link = link_in(message, "invito/")

    auth.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert "Benvenuto in Tavolo, Anna Verdi" in text(page)
    response = client.post(
        link, data={"password": "la-mia-password-nuova", "confirm": "la-mia-password-nuova"}
    )
    assert response.status_code == 302
    home = text(client.get("/"))
    assert "Ciao Anna Verdi" in home
    assert "Revisione linee guida" in home
    assert "Gruppo genitori AMA" not in home
    assert client.get(f"/gruppi/{other_group.slug}").status_code == 404

    user = User.query.filter_by(email="anna.verdi@comune.example.it").one()
    assert user.profile.role == Role.OPERATOR
    assert user.profile.service_id == service.id
    assert Membership.query.filter_by(user_id=user.id, group_id=group.id).count() == 1
    assert user.password_hash and "la-mia-password-nuova" not in user.password_hash
    assert Invitation.query.one().invited_by_id == coordinator.id

    # The link worked once; the person signs in from now on with the password.
    assert client.get(link).status_code == 404
    auth.logout()
    assert auth.login("anna.verdi@comune.example.it", "la-mia-password-nuova").status_code == 302


def test_only_the_token_hash_is_stored(client, login_as, make_service, outbox):
    login_as(Role.COORDINATOR)
    invite(client, service_id=make_service().id)
    token = link_in(outbox()[0], "invito/").rsplit("/", 1)[1]
    assert token not in Invitation.query.one().token_hash


def test_invitation_form_errors_keep_what_was_typed(client, login_as):
    login_as(Role.COORDINATOR)
    response = invite(client, name="", email="non-valida", role="operator")
    page = text(response)
    assert response.status_code == 422
    assert "Questo campo è obbligatorio." in page
    assert "Scrivi un indirizzo e-mail valido" in page
    assert 'value="non-valida"' in page


def test_operator_needs_a_service_and_external_an_organisation(client, login_as):
    login_as(Role.COORDINATOR)
    response = invite(client)
    assert response.status_code == 422
    assert "Scegli il servizio" in text(response)
    response = invite(client, role="external")
    assert response.status_code == 422
    assert "Indica l'ente o il coordinamento" in text(response)
    assert invite(client, role="external", organisation="Coordinamento affidi").status_code == 302
    invitation = Invitation.query.one()
    assert invitation.role == Role.EXTERNAL and invitation.organisation == "Coordinamento affidi"


def test_cannot_invite_an_existing_account_or_twice(client, login_as, make_user, make_service):
    login_as(Role.COORDINATOR)
    existing = make_user()
    response = invite(client, email=existing.email.upper(), service_id=make_service().id)
    assert response.status_code == 422
    assert "Esiste già un account con questo indirizzo." in text(response)
    service = make_service()
    assert invite(client, service_id=service.id).status_code == 302
    response = invite(client, service_id=service.id)
    assert response.status_code == 422
    assert "C'è già un invito in attesa" in text(response)


def test_expired_invitation(client, login_as, make_service, outbox, auth):
    login_as(Role.COORDINATOR)
    invite(client, service_id=make_service().id)
    link = link_in(outbox()[0], "invito/")
    invitation = Invitation.query.one()
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    auth.logout()
    response = client.get(link)
    assert response.status_code == 404
    assert "Questo invito è scaduto" in text(response)
    assert "Scaduto" in text(_as_coordinator_list(client, auth))


def _as_coordinator_list(client, auth):
    from workspace.people.models import Profile

    coordinator = Profile.query.filter_by(role=Role.COORDINATOR).one().user
    auth.login(coordinator)
    return client.get("/inviti")


def test_resend_makes_a_new_link_and_the_old_one_stops(client, login_as, make_service, outbox):
    login_as(Role.COORDINATOR)
    invite(client, service_id=make_service().id)
    old = link_in(outbox()[0], "invito/")
    invitation = Invitation.query.one()
    assert client.post(f"/inviti/{invitation.id}/invia-di-nuovo").status_code == 303
    new = link_in(outbox()[1], "invito/")
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_revoked_invitation_cannot_be_used(client, login_as, make_service, outbox):
    login_as(Role.COORDINATOR)
    invite(client, service_id=make_service().id)
    link = link_in(outbox()[0], "invito/")
    invitation = Invitation.query.one()
    assert client.post(f"/inviti/{invitation.id}/revoca").status_code == 303
    response = client.get(link)
    assert response.status_code == 404
    assert "non è valido" in text(response)


def test_accept_refuses_weak_passwords(client, login_as, make_service, outbox, auth):
    login_as(Role.COORDINATOR)
    invite(client, service_id=make_service().id)
    link = link_in(outbox()[0], "invito/")
    auth.logout()
    response = client.post(link, data={"password": "password1", "confirm": "password1"})
    assert response.status_code == 422
    assert "tra le più usate" in text(response)
    response = client.post(
        link,
        data={
            "password": "anna.verdi@comune.example.it",
            "confirm": "anna.verdi@comune.example.it",
        },
    )
    assert response.status_code == 422
    assert User.query.filter_by(email="anna.verdi@comune.example.it").count() == 0


def test_mail_server_down_keeps_the_invitation_and_says_so(make_app, make_user, make_service):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=2, MAIL_USE_TLS=False)
    client = app.test_client()
    coordinator = make_user(Role.COORDINATOR)
    service = make_service()
    client.post("/accedi", data={"email": coordinator.email, "password": "una-password-robusta-42"})
    response = invite(client, service_id=service.id)
    assert response.status_code == 302
    page = text(client.get("/inviti"))
    assert "l'e-mail non è partita" in page
    assert "anna.verdi@comune.example.it" in page


def test_the_invitations_list_takes_the_same_few_queries_however_long(
    client, login_as, make_user, make_service, make_group
):
    from contextlib import contextmanager

    from sqlalchemy import event

    from workspace.invitations import service as invitations

    @contextmanager
    def counting():
        statements = []

        def count(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    login_as(Role.COORDINATOR)

    def add_invitations(n: int, start: int) -> None:
        for i in range(start, start + n):
            invitations.create_invitation(
                email=f"invitata{i}@comune.example.it",
                name=f"Persona {i}",
                role=Role.OPERATOR,
                service=make_service(),
                organisation=None,
                groups=[make_group(), make_group()],
                invited_by=make_user(Role.COORDINATOR),
            )

    add_invitations(1, 0)
    with counting() as few:
        assert client.get("/inviti").status_code == 200
    add_invitations(6, 1)
    with counting() as many:
        page = text(client.get("/inviti"))
    assert "invitata6@comune.example.it" in page
    assert len(many) == len(few), many
