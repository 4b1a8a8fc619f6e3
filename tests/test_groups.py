"""Group spaces: who sees which group, members and their management, page and fragment."""

from tests.support import htmx, plain, text
from workspace.extensions import db
from workspace.groups import service as groups_service
from workspace.groups.models import Group, GroupRole, Membership
from workspace.people.models import Role


def test_member_sees_purpose_and_members_with_their_services(
    client, login_as, make_user, make_group, make_service
):
    cta = make_service(name="Spazio neutro CTA", district="Legnano")
    colleague = make_user(name="Paolo Conti", service=cta)
    external = make_user(Role.EXTERNAL, name="Elena Marchi", organisation="Coordinamento affidi")
    me = login_as(name="Giulia Ferri")
    group = make_group(
        "Revisione linee guida",
        purpose="Rivedere le linee guida.",
        leads=[me],
        members=[colleague, external],
    )
    page = text(client.get(f"/gruppi/{group.slug}"))
    assert "Rivedere le linee guida." in page
    assert "Paolo Conti" in page and "Spazio neutro CTA (Legnano)" in page
    assert "Elena Marchi" in page and "Coordinamento affidi" in page
    assert "esterno" in page  # externals are marked wherever people are listed
    assert "referente" in page


def test_outsider_gets_404_never_the_content(client, login_as, make_group, make_user):
    group = make_group("Gruppo riservato", purpose="Materiale riservato", members=[make_user()])
    login_as()
    response = client.get(f"/gruppi/{group.slug}")
    assert response.status_code == 404
    assert "Materiale riservato" not in text(response)
    assert "Gruppo riservato" not in text(response)


def test_external_sees_only_the_groups_they_were_added_to(client, login_as, make_group):
    joint = make_group("Genitori affidatari e Spazio Neutro", is_joint=True)
    other = make_group("Revisione linee guida")
    external = login_as(Role.EXTERNAL)

    db.session.add(Membership(group=joint, user=external, role=GroupRole.MEMBER))
    db.session.commit()
    home = text(client.get("/"))
    assert "Genitori affidatari e Spazio Neutro" in home
    assert "Revisione linee guida" not in home
    listing = text(client.get("/gruppi/"))
    assert "Genitori affidatari e Spazio Neutro" in listing
    assert "Revisione linee guida" not in listing
    assert client.get(f"/gruppi/{joint.slug}").status_code == 200
    assert client.get(f"/gruppi/{other.slug}").status_code == 404
    # Navigation offers no directory to externals.
    assert "/servizi/" not in client.get("/").get_data(as_text=True)


def test_coordinator_sees_every_group(client, login_as, make_group):
    groups = [make_group(f"Gruppo {n}") for n in range(3)]
    login_as(Role.COORDINATOR)
    listing = text(client.get("/gruppi/"))
    for group in groups:
        assert group.name in listing
        assert client.get(f"/gruppi/{group.slug}").status_code == 200


def test_lead_adds_a_member_with_htmx_and_gets_the_members_fragment(
    client, login_as, make_user, make_group
):
    lead = login_as()
    newcomer = make_user(name="Sara Galli")
    group = make_group(leads=[lead])
    target = f"group-{group.id}-members"
    response = client.post(
        f"/gruppi/{group.slug}/componenti",
        data={"user_id": newcomer.id, "role": "member"},
        headers=htmx(target),
    )
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith("<section") or body.lstrip().startswith("\n")
    assert f'id="{target}"' in body
    assert "<html" not in body
    assert "Sara Galli" in body
    assert "Sara Galli aggiunto al gruppo." in body  # flash carried out of band
    assert '<div id="alerts" data-hx-swap-oob="innerHTML">' in body  # into the live region
    assert "HX-Request" in response.headers["Vary"]


def test_the_same_post_without_htmx_redirects_to_the_page(client, login_as, make_user, make_group):
    lead = login_as()
    newcomer = make_user(name="Sara Galli")
    group = make_group(leads=[lead])
    response = client.post(
        f"/gruppi/{group.slug}/componenti", data={"user_id": newcomer.id, "role": "lead"}
    )
    assert response.status_code == 303
    page = text(client.get(response.location))
    assert "Sara Galli aggiunto al gruppo." in page
    assert Membership.query.filter_by(user_id=newcomer.id).one().role == GroupRole.LEAD


def test_group_page_full_page_and_fragment(client, login_as, make_group):
    me = login_as()
    group = make_group(members=[me])
    target = f"group-{group.id}-members"
    full = client.get(f"/gruppi/{group.slug}")
    assert "<html" in full.get_data(as_text=True)
    fragment = client.get(f"/gruppi/{group.slug}", headers=htmx(target))
    assert "<html" not in fragment.get_data(as_text=True)
    # Another target, or a boosted request, gets the full page.
    other = client.get(f"/gruppi/{group.slug}", headers=htmx("something-else"))
    assert "<html" in other.get_data(as_text=True)
    boosted = client.get(f"/gruppi/{group.slug}", headers=htmx(target, **{"HX-Boosted": "true"}))
    assert "<html" in boosted.get_data(as_text=True)
    for response in (full, fragment):
        assert "HX-Request" in response.headers["Vary"]


def test_adding_someone_twice_says_so_next_to_the_list(client, login_as, make_user, make_group):
    lead = login_as()
    member = make_user(name="Già Dentro")
    group = make_group(leads=[lead], members=[member])
    response = client.post(
        f"/gruppi/{group.slug}/componenti",
        data={"user_id": member.id, "role": "member"},
        headers=htmx(f"group-{group.id}-members"),
    )
    assert response.status_code == 422
    assert "Not a valid choice" not in text(response)
    assert "forse fa già parte del gruppo" in text(response)


def test_member_cannot_manage(client, login_as, make_user, make_group):
    me = login_as()
    other = make_user()
    group = make_group(members=[me, other])
    membership = Membership.query.filter_by(user_id=other.id).one()
    assert (
        client.post(f"/gruppi/{group.slug}/componenti/{membership.id}/rimuovi").status_code == 403
    )
    assert client.get(f"/gruppi/{group.slug}/modifica").status_code == 403
    assert "Gestisci" not in text(client.get(f"/gruppi/{group.slug}"))


def test_lead_changes_role_and_removes_a_member(client, login_as, make_user, make_group):
    lead = login_as()
    other = make_user(name="Davide Moretti")
    group = make_group(leads=[lead], members=[other])
    membership = Membership.query.filter_by(user_id=other.id).one()
    target = f"group-{group.id}-members"
    response = client.post(
        f"/gruppi/{group.slug}/componenti/{membership.id}/ruolo",
        data={"role": "lead"},
        headers=htmx(target),
    )
    assert response.status_code == 200
    assert db.session.get(Membership, membership.id).role == GroupRole.LEAD
    response = client.post(
        f"/gruppi/{group.slug}/componenti/{membership.id}/rimuovi", headers=htmx(target)
    )
    assert response.status_code == 200
    assert "Davide Moretti non fa più parte del gruppo." in text(response)
    assert Membership.query.filter_by(user_id=other.id).count() == 0


def test_membership_of_another_group_is_404(client, login_as, make_user, make_group):
    lead = login_as()
    mine = make_group(leads=[lead])
    stranger = make_user()
    make_group(members=[stranger])
    theirs = Membership.query.filter_by(user_id=stranger.id).one()
    response = client.post(f"/gruppi/{mine.slug}/componenti/{theirs.id}/rimuovi")
    assert response.status_code == 404
    assert db.session.get(Membership, theirs.id) is not None


def test_lead_who_leaves_goes_home(client, login_as, make_group):
    lead = login_as()
    group = make_group(leads=[lead])
    membership = Membership.query.filter_by(user_id=lead.id).one()
    response = client.post(
        f"/gruppi/{group.slug}/componenti/{membership.id}/rimuovi",
        headers=htmx(f"group-{group.id}-members"),
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_coordinator_creates_and_edits_a_group(client, login_as):
    login_as(Role.COORDINATOR)
    response = client.post(
        "/gruppi/nuovo",
        data={
            "name": "Ambientamento del bambino",
            "purpose": "Pratiche a confronto",
            "is_joint": "",
        },
    )
    assert response.status_code == 302
    group = Group.query.filter_by(name="Ambientamento del bambino").one()
    assert group.slug == "ambientamento-del-bambino"
    response = client.post(
        f"/gruppi/{group.slug}/modifica",
        data={"name": "Ambientamento", "purpose": "Nuova finalità", "is_joint": "y"},
    )
    assert response.status_code == 302
    page = text(client.get(f"/gruppi/{group.slug}"))
    assert "Nuova finalità" in page and "congiunto" in page


def test_group_form_errors(client, login_as):
    login_as(Role.COORDINATOR)
    response = client.post("/gruppi/nuovo", data={"name": "", "purpose": "Resta scritto"})
    assert response.status_code == 422
    page = text(response)
    assert "Questo campo è obbligatorio." in page
    assert "Resta scritto" in page


def test_same_name_gets_a_distinct_address(client, login_as):
    login_as(Role.COORDINATOR)
    for _ in range(2):
        client.post("/gruppi/nuovo", data={"name": "Gruppo àccentato", "purpose": ""})
    assert sorted(g.slug for g in Group.query.all()) == ["gruppo-accentato", "gruppo-accentato-2"]


def test_archive_and_restore(client, login_as, make_group):
    login_as(Role.COORDINATOR)
    group = make_group("Gruppo vecchio")
    assert client.post(f"/gruppi/{group.slug}/archivia").status_code == 303
    assert "Gruppo vecchio" not in text(client.get("/"))
    assert "archiviato" in text(client.get("/gruppi/"))
    assert client.post(f"/gruppi/{group.slug}/riattiva").status_code == 303
    assert "Gruppo vecchio" in text(client.get("/"))


def test_home_shows_who_joined_since_the_previous_visit(client, auth, make_user, make_group):
    me = make_user(name="Giulia")
    group = make_group("Revisione linee guida", members=[me])
    auth.login(me)
    auth.logout()
    newcomer = make_user(name="Nuovo Arrivato")
    coordinator = make_user(Role.COORDINATOR, name="Carla")

    groups_service.add_member(group, newcomer, GroupRole.MEMBER, added_by=coordinator)
    auth.login(me)
    home = plain(client.get("/"))
    assert "Carla ha aggiunto Nuovo Arrivato al gruppo «Revisione linee guida»" in home


def test_externals_are_marked_in_the_news_and_in_the_add_member_choices(
    client, auth, make_user, make_group
):
    me = make_user(name="Giulia")
    group = make_group("Genitori affidatari", members=[me], is_joint=True)
    auth.login(me)
    auth.logout()
    external = make_user(Role.EXTERNAL, name="Elena Marchi", organisation="Coordinamento affidi")
    groups_service.add_member(group, external, GroupRole.MEMBER, added_by=None)
    auth.login(me)
    news = plain(client.get("/"))
    assert "Qualcuno ha aggiunto Elena Marchi (esterno) al gruppo «Genitori affidatari»" in news

    auth.logout()
    lead = make_user(name="Sara Galli")
    other_group = make_group("Revisione linee guida", leads=[lead])
    auth.login(lead)
    page = text(client.get(f"/gruppi/{other_group.slug}"))
    assert (
        f'<option value="{external.id}">Elena Marchi (esterno) · Coordinamento affidi</option>'
        in (page)
    )


def test_externals_are_marked_in_the_people_list(client, login_as, make_user):
    login_as(Role.COORDINATOR)
    make_user(Role.EXTERNAL, name="Elena Marchi")
    page = client.get("/persone").get_data(as_text=True)
    assert 'Elena Marchi</a> <span class="badge badge--external">esterno</span>' in page


def test_an_external_participant_cannot_be_made_a_lead(client, login_as, make_user, make_group):
    lead = login_as()
    external = make_user(Role.EXTERNAL, name="Elena Marchi")
    group = make_group(leads=[lead])
    target = f"group-{group.id}-members"
    response = client.post(
        f"/gruppi/{group.slug}/componenti",
        data={"user_id": external.id, "role": "lead"},
        headers=htmx(target),
    )
    assert response.status_code == 422
    body = text(response)
    message = "Elena Marchi è un partecipante esterno: può far parte del gruppo come componente"
    # Next to the role field, tied to it.
    assert message in body
    assert 'id="role-error"' in body and 'aria-describedby="role-error"' in body
    assert Membership.query.filter_by(user_id=external.id).count() == 0

    # As a member, fine; promoting them afterwards is refused too.
    client.post(f"/gruppi/{group.slug}/componenti", data={"user_id": external.id, "role": "member"})
    membership = Membership.query.filter_by(user_id=external.id).one()
    response = client.post(
        f"/gruppi/{group.slug}/componenti/{membership.id}/ruolo",
        data={"role": "lead"},
        headers=htmx(target),
    )
    assert response.status_code == 422
    assert message in text(response)
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role == GroupRole.MEMBER


def test_a_refused_role_change_is_explained_next_to_that_members_select(
    client, login_as, make_user, make_group
):
    lead = login_as()
    other = make_user()
    group = make_group(leads=[lead], members=[other])
    membership = Membership.query.filter_by(user_id=other.id).one()
    response = client.post(
        f"/gruppi/{group.slug}/componenti/{membership.id}/ruolo",
        data={"role": "capo"},
        headers=htmx(f"group-{group.id}-members"),
    )
    assert response.status_code == 422
    body = text(response)
    assert f'aria-describedby="role-{membership.id}-error"' in body
    assert f'id="role-{membership.id}-error" role="alert"' in body and "Ruolo non valido." in body


def test_an_external_who_was_a_lead_cannot_manage(client, auth, make_user, make_group):
    external = make_user(Role.EXTERNAL)
    group = make_group(leads=[external])  # data from before the rule
    auth.login(external)
    assert client.get(f"/gruppi/{group.slug}").status_code == 200
    assert client.get(f"/gruppi/{group.slug}/modifica").status_code == 403


def test_group_addresses_never_take_a_route_word(client, login_as):
    login_as(Role.COORDINATOR)
    response = client.post("/gruppi/nuovo", data={"name": "Nuovo", "purpose": "Il gruppo nuovo"})
    assert response.status_code == 302
    group = Group.query.filter_by(name="Nuovo").one()
    assert group.slug == "nuovo-2"
    assert response.location == "/gruppi/nuovo-2"
    assert "Il gruppo nuovo" in text(client.get(response.location))
    # /gruppi/nuovo is still the form for a new group.
    assert "Nome del gruppo" in text(client.get("/gruppi/nuovo"))


def test_reserved_slugs_come_from_the_routes(app):
    from workspace.groups.service import reserved_slugs, unique_slug

    with app.test_request_context():
        assert "nuovo" in reserved_slugs()
        assert unique_slug("Nuovo") == "nuovo-2"
        assert unique_slug("Nuovo gruppo") == "nuovo-gruppo"


def test_role_choices_come_from_the_enum_translated(client, login_as, make_user, make_group):
    lead = login_as(locale="en")
    other = make_user()
    group = make_group(leads=[lead], members=[other])
    membership = Membership.query.filter_by(user_id=other.id).one()
    page = text(client.get(f"/gruppi/{group.slug}"))
    select = page.split(f'id="role-{membership.id}"', 1)[1].split("</select>", 1)[0]
    options = [
        (value, label.strip())
        for value, label in __import__("re").findall(
            r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select
        )
    ]
    assert options == [("member", "Member"), ("lead", "Group lead")]
    assert [value for value, _ in options] == [role.value for role in GroupRole]
    assert '<option value="member" selected>' in select
