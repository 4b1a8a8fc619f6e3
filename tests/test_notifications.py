"""Notifications: who is told, the list and the bell, following and muting, the mail run."""

import html
import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from tests.support import htmx, plain, text
from workspace.accounts.models import User
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.mail import MailError
from workspace.notifications import service
from workspace.notifications.models import (
    Kind,
    MailMode,
    MailPreference,
    Notification,
    State,
    Target,
)
from workspace.people.models import Role


@pytest.fixture
def team(make_user, make_group):
    lead = make_user(Role.OPERATOR, name="Giulia Ferri")
    anna = make_user(Role.OPERATOR, name="Anna Operatrice")
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore")
    group = make_group("Revisione linee guida", leads=[lead], members=[anna, bruno])
    other = make_group("Ambientamento del bambino", members=[lead, anna])
    return {"lead": lead, "anna": anna, "bruno": bruno, "group": group, "other": other}


def tell(recipients, team, *, n=1, group=None, kind=Kind.REPLY, actor="lead", **more):
    """Notify as the discussions do; committed, like the caller's transaction."""
    group = group or team["group"]
    values = {
        "kind": kind,
        "actor": team[actor] if actor else None,
        "group": group,
        "title": f"Giulia Ferri ha risposto in «Discussione {n}»",
        "excerpt": f"Testo della risposta {n}",
        "url": f"/gruppi/{group.slug}/discussioni/{n}?pagina=1#messaggio-{n}",
        "source": f"message:{n}",
    }
    values.update(more)
    created = service.notify(recipients, **values)
    db.session.commit()
    return created


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


@contextmanager
def statements():
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# -- Who is told ------------------------------------------------------------------------------


def test_one_notification_per_distinct_recipient_never_the_actor(team):
    anna, bruno, lead = team["anna"], team["bruno"], team["lead"]
    created = tell([anna, bruno, anna.id, lead], team)
    assert sorted(n.user_id for n in created) == sorted([anna.id, bruno.id])
    assert all(n.actor_id == lead.id and n.group_id == team["group"].id for n in created)


def test_disabled_accounts_are_not_notified(team, make_user):
    gone = make_user(Role.OPERATOR, active=False)
    created = tell([gone, team["anna"]], team)
    assert [n.user_id for n in created] == [team["anna"].id]


def test_one_notification_per_person_per_source(team):
    tell([team["anna"]], team, kind=Kind.MENTION)
    again = tell([team["anna"], team["bruno"]], team, kind=Kind.REPLY)
    assert [n.user_id for n in again] == [team["bruno"].id]
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == team["anna"].id)
    ).all()
    assert kinds == ["mention"]


def test_title_and_excerpt_are_shortened_and_links_stay_inside(team):
    (made,) = tell([team["anna"]], team, title="T" * 400, excerpt="parola  \n " * 200)
    assert len(made.title) == 300 and made.title.endswith("…")
    assert len(made.excerpt) == 500 and "\n" not in made.excerpt
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(service.NotificationError):
            tell([team["anna"]], team, url=url)


def test_nobody_to_tell_is_fine(team):
    assert tell([], team) == []
    assert tell([team["lead"]], team) == []


def test_retract_removes_them_and_counts_follow(team):
    tell([team["anna"], team["bruno"]], team, n=1)
    tell([team["anna"]], team, n=2)
    assert service.unread_count(team["anna"]) == 2
    assert service.retract("message:1") == 2
    db.session.commit()
    assert service.unread_count(team["anna"]) == 1
    assert service.unread_count(team["bruno"]) == 0
    assert service.retract("message:1") == 0


# -- Following and muting ---------------------------------------------------------------------


def test_follow_mute_and_reset(team):
    anna, bruno = team["anna"], team["bruno"]
    assert service.state_of(anna, Target.THREAD, 7) is None
    service.follow(anna, Target.THREAD, 7)
    service.follow(anna, Target.THREAD, 7)  # twice is once
    service.mute(bruno, Target.THREAD, 7)
    service.follow(bruno, Target.GROUP, 7)  # another target with the same id
    db.session.commit()
    assert service.state_of(anna, Target.THREAD, 7) == State.FOLLOW
    assert service.followers(Target.THREAD, 7) == {anna.id}
    assert service.muters(Target.THREAD, 7) == {bruno.id}
    assert service.followers(Target.GROUP, 7) == {bruno.id}
    service.mute(anna, Target.THREAD, 7)
    db.session.commit()
    assert service.muters(Target.THREAD, 7) == {anna.id, bruno.id}
    assert service.followers(Target.THREAD, 7) == set()
    service.reset(anna, Target.THREAD, 7)
    db.session.commit()
    assert service.state_of(anna, Target.THREAD, 7) is None
    assert service.muters(Target.THREAD, 7) == {bruno.id}


# -- Reading ----------------------------------------------------------------------------------


def test_unread_count_is_one_count_query_that_loads_nothing(team):
    for n in range(1, 6):
        tell([team["anna"]], team, n=n)
    anna_id = team["anna"].id
    db.session.expunge_all()
    anna = db.session.get(User, anna_id)
    with statements() as seen:
        assert service.unread_count(anna) == 5
    assert len(seen) == 1 and "count(" in seen[0].lower()
    assert not any(isinstance(o, Notification) for o in db.session.identity_map.values())


def test_bell_state_is_one_query(team):
    made = [tell([team["anna"]], team, n=n)[0] for n in range(1, 4)]
    service.mark_read(team["anna"], [made[0].id])
    db.session.commit()
    anna = db.session.get(User, team["anna"].id)
    with statements() as seen:
        bell = service.bell_of(anna)
    assert len(seen) == 1
    assert (bell.unread, bell.newest_id) == (2, made[-1].id)


def test_mark_read_some_or_all_and_never_someone_elses(team):
    mine = [tell([team["anna"], team["bruno"]], team, n=n) for n in range(1, 4)]
    annas = [pair[0] if pair[0].user_id == team["anna"].id else pair[1] for pair in mine]
    brunos = [n for pair in mine for n in pair if n.user_id == team["bruno"].id]
    assert service.mark_read(team["anna"], [annas[0].id, brunos[0].id]) == 1
    assert service.mark_read(team["anna"], []) == 0
    db.session.commit()
    assert service.unread_count(team["anna"]) == 2
    assert service.unread_count(team["bruno"]) == 3
    assert service.mark_read(team["anna"]) == 2
    db.session.commit()
    assert service.unread_count(team["anna"]) == 0


def test_opening_the_thread_marks_its_notifications_read(team):
    slug = team["group"].slug
    tell([team["anna"]], team, n=3)  # /discussioni/3?pagina=1#messaggio-3
    tell([team["anna"]], team, n=30)  # another thread whose path starts the same
    tell([team["anna"]], team, n=4, url=f"/gruppi/{slug}/discussioni/3#messaggio-4")
    assert service.mark_read_for_url(team["anna"], f"/gruppi/{slug}/discussioni/3") == 2
    db.session.commit()
    unread = db.session.scalars(
        select(Notification.source).where(Notification.read_at.is_(None))
    ).all()
    assert unread == ["message:30"]


def test_page_for_is_newest_first_thirty_a_page(team):
    for n in range(1, 36):
        tell([team["anna"]], team, n=n)
    first = service.page_for(team["anna"], 1)
    assert first.total == 35 and first.pages == 2 and len(first.items) == 30
    assert first.items[0].source == "message:35"
    assert [n.source for n in service.page_for(team["anna"], 2).items][-1] == "message:1"
    assert service.page_for(team["anna"], 10**12).items == []
    assert service.page_for(team["anna"], -3).page == 1


def test_preference_is_made_on_demand_with_a_token(team):
    preference = service.preference_of(team["anna"])
    db.session.commit()
    assert preference.mode == MailMode.IMMEDIATE
    assert len(preference.token) >= 40
    assert service.preference_of(team["anna"]).token == preference.token
    assert service.preference_by_token(preference.token).user_id == team["anna"].id
    assert service.preference_by_token("x" * 65) is None
    assert service.preference_by_token("nope") is None
    service.set_mode(team["anna"], MailMode.NEVER)
    db.session.commit()
    assert db.session.get(MailPreference, team["anna"].id).mode == MailMode.NEVER


# -- The list ---------------------------------------------------------------------------------


def test_the_list_as_page_and_as_fragment(client, auth, team):
    tell([team["anna"]], team, n=1, excerpt="<script>alert(1)</script>")
    tell([team["anna"]], team, n=2, group=team["other"], kind=Kind.MENTION)
    service.mark_read(team["anna"], [tell([team["anna"]], team, n=3)[0].id])
    db.session.commit()
    sign_in(auth, team["anna"])
    page = client.get("/notifiche")
    assert page.status_code == 200
    body = text(page)
    assert "<html" in body and 'id="notification-list"' in body
    assert body.count("Da leggere") == 2  # unread marked in words, not only colour
    assert "Revisione linee guida" in body and "Ambientamento del bambino" in body
    assert "Menzione" in body and "Risposta" in body
    assert "<script>alert(1)" not in page.get_data(as_text=True)
    assert body.index("Discussione 3") < body.index("Discussione 2") < body.index("Discussione 1")
    fragment = client.get("/notifiche", headers=htmx("notification-list"))
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="notification-list"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_list_is_paginated(client, auth, team):
    for n in range(1, 33):
        tell([team["anna"]], team, n=n)
    sign_in(auth, team["anna"])
    first = plain(client.get("/notifiche"))
    assert "Pagina 1 di 2" in first and "Discussione 32" in first and "«Discussione 2»" not in first
    second = client.get("/notifiche?pagina=2", headers=htmx("notification-list"))
    assert "«Discussione 2»" in plain(second) and "Pagina 2 di 2" in plain(second)
    assert client.get("/notifiche?pagina=99").status_code == 200


def test_an_empty_list_says_what_will_come(client, login_as):
    login_as()
    assert "Nessuna notifica per ora" in text(client.get("/notifiche"))


def test_opening_one_marks_it_read_and_goes_there(client, auth, team):
    (made,) = tell([team["anna"]], team, n=5)
    sign_in(auth, team["anna"])
    response = client.post(f"/notifiche/{made.id}/apri")
    assert response.status_code == 303
    assert response.location.endswith(made.url)
    assert db.session.get(Notification, made.id).read_at is not None
    (second,) = tell([team["anna"]], team, n=6)
    assert client.get(f"/notifiche/{second.id}/apri").status_code == 303  # a link in the list
    assert db.session.get(Notification, second.id).read_at is not None
    via_htmx = client.post(f"/notifiche/{made.id}/apri", headers=htmx())
    assert via_htmx.headers["HX-Redirect"] == made.url


def test_someone_elses_notification_is_not_found(client, auth, team):
    (made,) = tell([team["anna"]], team)
    sign_in(auth, team["bruno"])
    assert client.post(f"/notifiche/{made.id}/apri").status_code == 404
    assert client.get(f"/notifiche/{made.id}/apri").status_code == 404
    assert client.post("/notifiche/99999999999/apri").status_code == 404
    assert db.session.get(Notification, made.id).read_at is None


def test_mark_all_read_as_page_and_as_fragment(client, auth, team):
    for n in range(1, 4):
        tell([team["anna"], team["bruno"]], team, n=n)
    sign_in(auth, team["anna"])
    response = client.post("/notifiche/lette")
    assert response.status_code == 303
    assert service.unread_count(team["anna"]) == 0
    assert service.unread_count(team["bruno"]) == 3
    tell([team["anna"]], team, n=9)
    fragment = client.post("/notifiche/lette", headers=htmx("notification-list"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="notification-list"' in body and "Da leggere" not in body
    # The bell comes along out of band, already at zero, and the confirmation for the alerts.
    assert re.search(r'id="notification-bell"[^>]*hx-swap-oob="true"', body)
    assert "bell__count" not in body
    assert "Tutte le notifiche sono segnate come lette" in text(fragment)


# -- The bell ---------------------------------------------------------------------------------


def test_the_bell_is_in_the_header_for_signed_in_people(client, auth, team):
    assert "notification-bell" not in client.get("/accedi").get_data(as_text=True)
    tell([team["anna"]], team, n=1)
    tell([team["anna"]], team, n=2)
    sign_in(auth, team["anna"])
    page = client.get("/")
    body = page.get_data(as_text=True)
    bell = re.search(r'<span id="notification-bell".*?</a>\s*</span>', body, re.S)
    assert bell, body
    assert 'hx-trigger="every 30s"' in bell.group(0)
    assert 'hx-get="/notifiche/conteggio"' in bell.group(0)
    assert 'hx-swap="outerHTML"' in bell.group(0)
    assert 'aria-label="Notifiche, 2 non lette"' in bell.group(0)
    assert "style=" not in bell.group(0) and "<script" not in bell.group(0)


def test_the_bell_answers_304_while_nothing_changes(client, auth, team):
    tell([team["anna"]], team, n=1)
    sign_in(auth, team["anna"])
    first = client.get("/notifiche/conteggio", headers=htmx())
    assert first.status_code == 200
    assert "<html" not in first.get_data(as_text=True)
    assert 'aria-label="Notifiche, 1 non letta"' in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    cache = first.headers["Cache-Control"]
    assert "private" in cache and "no-cache" in cache
    assert "HX-Request" in first.headers["Vary"]
    # The bell itself sends that ETag: a session cookie refreshed on every response would keep
    # the browser's cache from revalidating on its own.
    headers = re.search(r"hx-headers='([^']*)'", first.get_data(as_text=True)).group(1)
    assert json.loads(html.unescape(headers)) == {"If-None-Match": etag}
    again = client.get("/notifiche/conteggio", headers=htmx(**{"If-None-Match": etag}))
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["HX-Reswap"] == "none"  # htmx keeps the bell as it is
    tell([team["anna"]], team, n=2)
    changed = client.get("/notifiche/conteggio", headers=htmx(**{"If-None-Match": etag}))
    assert changed.status_code == 200
    assert 'aria-label="Notifiche, 2 non lette"' in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag
    # Someone else signed in on the same browser never gets the first person's answer.
    sign_in(auth, team["bruno"])
    other = client.get("/notifiche/conteggio", headers=htmx(**{"If-None-Match": etag}))
    assert other.status_code == 200


def test_the_bell_url_is_also_a_page(client, auth, team):
    tell([team["anna"]], team)
    sign_in(auth, team["anna"])
    page = client.get("/notifiche/conteggio")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert "Hai 1 notifica da leggere" in text(page)


def test_the_bell_stops_polling_when_the_session_ends(client):
    response = client.get("/notifiche/conteggio", headers=htmx())
    assert response.status_code == 286 and response.get_data() == b""
    page = client.get("/notifiche/conteggio")
    assert page.status_code == 302 and "/accedi" in page.location


# -- Preferences ------------------------------------------------------------------------------


def test_preferences_page_changes_the_mail_mode(client, auth, team):
    sign_in(auth, team["anna"])
    page = client.get("/notifiche/preferenze")
    assert page.status_code == 200
    assert re.search(r'<input checked[^>]*value="immediate"', page.get_data(as_text=True))
    response = client.post("/notifiche/preferenze", data={"mode": "daily"})
    assert response.status_code == 303
    assert db.session.get(MailPreference, team["anna"].id).mode == MailMode.DAILY
    bad = client.post("/notifiche/preferenze", data={"mode": "ogni-ora"})
    assert bad.status_code == 422
    assert db.session.get(MailPreference, team["anna"].id).mode == MailMode.DAILY


def test_preferences_list_what_one_follows_and_undo_it(client, auth, team, make_group):
    anna = team["anna"]
    service.follow(anna, Target.GROUP, team["group"].id)
    service.mute(anna, Target.GROUP, team["other"].id)
    gone = make_group("Gruppo riservato", members=[])
    service.follow(anna, Target.GROUP, gone.id)  # she left it: no name shown any more
    db.session.commit()
    sign_in(auth, anna)
    page = text(client.get("/notifiche/preferenze"))
    assert "Revisione linee guida" in page and "Ambientamento del bambino" in page
    assert "Gruppo riservato" not in page and "non più visibile" in page
    response = client.post(
        "/notifiche/preferenze/smetti", data={"target": "group", "target_id": team["group"].id}
    )
    assert response.status_code == 303
    assert service.state_of(anna, Target.GROUP, team["group"].id) is None
    fragment = client.post(
        "/notifiche/preferenze/smetti",
        data={"target": "group", "target_id": team["other"].id},
        headers=htmx("notification-watched"),
    )
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="notification-watched"' in body and "Ambientamento del bambino" not in body
    assert service.state_of(anna, Target.GROUP, team["other"].id) is None
    # Nonsense changes nothing.
    assert client.post("/notifiche/preferenze/smetti", data={"target": "x"}).status_code == 303


def test_followed_threads_are_listed_with_their_group(app, client, auth, team):
    from workspace.discussions.models import Thread

    thread = Thread(group_id=team["group"].id, title="Data del prossimo incontro")
    db.session.add(thread)
    db.session.flush()
    service.follow(team["anna"], Target.THREAD, thread.id)
    db.session.commit()
    sign_in(auth, team["anna"])
    page = client.get("/notifiche/preferenze")
    body = text(page)
    assert "«Data del prossimo incontro»" in body and "(Revisione linee guida)" in body
    if "discussions.show" in app.view_functions:
        link = f'/gruppi/{team["group"].slug}/discussioni/{thread.id}"'
        assert link in page.get_data(as_text=True)
    sign_in(auth, team["bruno"])  # not his: nothing of it on his page
    assert "Data del prossimo incontro" not in text(client.get("/notifiche/preferenze"))


def test_the_token_link_works_without_signing_in(client, team):
    preference = service.preference_of(team["anna"])
    db.session.commit()
    page = client.get(f"/notifiche/email/{preference.token}")
    assert page.status_code == 200
    assert "Anna Operatrice" in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    response = client.post(f"/notifiche/email/{preference.token}", data={"mode": "never"})
    assert response.status_code == 303
    assert db.session.get(MailPreference, team["anna"].id).mode == MailMode.NEVER
    assert client.get("/notifiche/email/not-a-token").status_code == 404
    assert client.post("/notifiche/email/not-a-token", data={"mode": "daily"}).status_code == 404
    assert client.get("/notifiche/email/" + "a" * 200).status_code == 404


# -- Following a group ------------------------------------------------------------------------


def test_members_follow_mute_and_reset_a_group(client, auth, team):
    group = team["group"]
    sign_in(auth, team["anna"])
    assert client.post(f"/gruppi/{group.slug}/segui").status_code == 303
    assert service.state_of(team["anna"], Target.GROUP, group.id) == State.FOLLOW
    fragment = client.post(
        f"/gruppi/{group.slug}/silenzia", headers=htmx(f"group-{group.id}-watch")
    )
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert f'id="group-{group.id}-watch"' in body
    assert f'id="group-{group.id}-watch-follow"' in body
    assert f'id="group-{group.id}-watch-mute"' in body
    assert "Riattiva le notifiche del gruppo" in text(fragment)
    assert 'id="alerts"' in body  # the change is said in the page's live region
    assert service.state_of(team["anna"], Target.GROUP, group.id) == State.MUTE
    assert client.post(f"/gruppi/{group.slug}/smetti").status_code == 303
    assert service.state_of(team["anna"], Target.GROUP, group.id) is None


def test_outsiders_cannot_follow_a_group(client, login_as, team):
    outsider = login_as()
    assert client.post(f"/gruppi/{team['group'].slug}/segui").status_code == 404
    assert client.post("/gruppi/non-esiste/segui").status_code == 404
    assert service.state_of(outsider, Target.GROUP, team["group"].id) is None


def test_the_group_watch_partial_can_be_included(app, client, auth, team):
    from flask import render_template_string

    sign_in(auth, team["anna"])
    with app.test_request_context():
        from flask_login import login_user

        login_user(team["anna"])
        markup = render_template_string(
            '{% include "notifications/_group_watch.html" %}', group=team["group"]
        )
    assert "Segui il gruppo" in markup and "Silenzia il gruppo" in markup


# -- Mail -------------------------------------------------------------------------------------


def parts(message):
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def test_immediate_mail_has_the_link_and_the_preference_link(runner, outbox, team):
    (made,) = tell([team["anna"]], team, n=4, excerpt="Ci vediamo il 12 marzo?")
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    assert "Mail inviate: 1" in result.output and team["anna"].email in result.output
    (message,) = outbox()
    assert message["To"] == team["anna"].email
    assert "Giulia Ferri ha risposto in «Discussione 4»" in message["Subject"]
    body, html = parts(message)
    token = db.session.get(MailPreference, team["anna"].id).token
    thing = "http://tavolo.test" + made.url
    assert thing in body and thing.replace("&", "&amp;") in html
    assert f"http://tavolo.test/notifiche/email/{token}" in body
    assert f"/notifiche/email/{token}" in html
    assert "Ci vediamo il 12 marzo?" in body and "Revisione linee guida" in body
    assert db.session.get(Notification, made.id).emailed_at is not None
    # The next run has nothing left to send.
    assert "Mail inviate: 0" in runner.invoke(args=["send-notifications"]).output
    assert len(outbox()) == 1


def test_links_in_mail_are_on_public_url(make_app, make_user, make_group, outbox):
    app = make_app(PUBLIC_URL="https://tavolo.provincia.example.it")
    with app.app_context():
        anna = make_user(Role.OPERATOR)
        group = make_group(members=[anna])
        service.notify(
            [anna],
            kind=Kind.MENTION,
            actor=None,
            group=group,
            title="Ti hanno menzionato",
            excerpt="",
            url=f"/gruppi/{group.slug}/discussioni/1",
            source="message:1",
        )
        db.session.commit()
        service.send_pending()
        from email import message_from_bytes, policy
        from pathlib import Path

        (path,) = sorted((Path(app.instance_path) / "outbox").glob("*.eml"))
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body, _html = parts(message)
    assert f"https://tavolo.provincia.example.it/gruppi/{group.slug}/discussioni/1" in body
    assert "https://tavolo.provincia.example.it/notifiche/email/" in body


def test_several_waiting_go_in_one_mail(outbox, team):
    for n in range(1, 4):
        tell([team["anna"]], team, n=n)
    tell([team["anna"]], team, n=9, group=team["other"])
    result = service.send_pending()
    assert result["immediate"] == 1 and result["notifications"] == 4
    (message,) = outbox()
    assert "4 nuove notifiche" in message["Subject"]
    body, html = parts(message)
    assert body.count("http://tavolo.test/gruppi/") == 4
    assert "== Ambientamento del bambino ==" in body and "== Revisione linee guida ==" in body


def test_a_long_list_is_cut_with_a_link_to_the_rest(outbox, team, monkeypatch):
    monkeypatch.setattr(service, "MAIL_ITEMS", 2)
    for n in range(1, 4):
        tell([team["anna"]], team, n=n)
    assert service.send_pending()["notifications"] == 3
    body, html_part = parts(outbox()[0])
    assert "«Discussione 3»" in body and "«Discussione 1»" not in body
    assert "E 1 altra notifica: http://tavolo.test/notifiche" in body
    assert "E 1 altra notifica" in html_part


def test_markup_in_a_title_stays_text_in_the_html_mail(outbox, team):
    tell([team["anna"]], team, title="<b>Ciao</b> <script>alert(1)</script>")
    service.send_pending()
    _body, html_part = parts(outbox()[0])
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part


def test_the_mail_speaks_the_persons_language(outbox, team, make_user, make_group):
    english = make_user(Role.OPERATOR, locale="en")
    tell([english], team)
    service.send_pending()
    (message,) = outbox()
    _body, html = parts(message)
    assert '<html lang="en">' in html


def at_rome(day: int, hour: int, minute: int = 0) -> datetime:
    from workspace.i18n import ROME

    return datetime(2026, 3, day, hour, minute, tzinfo=ROME).astimezone(UTC)


def test_daily_digest_grouped_by_group_newest_first_once_a_day(outbox, team):
    anna = team["anna"]
    service.set_mode(anna, MailMode.DAILY)
    db.session.commit()
    timeline = [
        (1, team["group"], at_rome(1, 9)),
        (2, team["other"], at_rome(1, 10)),
        (3, team["group"], at_rome(1, 11)),
    ]
    for n, group, when in timeline:
        (made,) = tell([anna], team, n=n, group=group)
        made.created_at = when
    db.session.commit()
    # Before the digest hour nothing leaves; the first run after it sends one digest.
    assert service.send_pending(now=at_rome(2, 6, 55))["digests"] == 0
    result = service.send_pending(now=at_rome(2, 7, 5))
    assert result["digests"] == 1 and result["notifications"] == 3
    (message,) = outbox()
    assert "riepilogo giornaliero (3 notifiche)" in message["Subject"]
    body, html = parts(message)
    # The group with the newest notification first; newest first inside each group.
    assert body.index("== Revisione linee guida ==") < body.index("== Ambientamento del bambino ==")
    assert body.index("«Discussione 3»") < body.index("«Discussione 1»")
    assert html.index("Revisione linee guida") < html.index("Ambientamento del bambino")
    assert "/notifiche/email/" in body
    assert db.session.get(MailPreference, anna.id).last_digest_at == at_rome(2, 7, 5)
    # Later that day: new news waits for tomorrow's digest.
    (late,) = tell([anna], team, n=4)
    late.created_at = at_rome(2, 12)
    db.session.commit()
    for hour in (13, 20):
        assert service.send_pending(now=at_rome(2, hour))["digests"] == 0
    assert len(outbox()) == 1
    result = service.send_pending(now=at_rome(3, 7, 10))
    assert result["digests"] == 1 and result["notifications"] == 1
    assert "«Discussione 4»" in parts(outbox()[-1])[0]
    assert service.send_pending(now=at_rome(3, 8))["digests"] == 0


def test_a_quiet_day_sends_no_digest(outbox, team):
    service.set_mode(team["anna"], MailMode.DAILY)
    db.session.commit()
    assert service.send_pending(now=at_rome(2, 7, 5))["digests"] == 0
    assert outbox() == []


def test_never_sends_nothing_and_leaves_nothing_for_later(outbox, team):
    anna = team["anna"]
    service.set_mode(anna, MailMode.NEVER)
    db.session.commit()
    (made,) = tell([anna], team)
    result = service.send_pending()
    assert result["retired"] == 1 and result["immediate"] == 0
    assert outbox() == []
    assert db.session.get(Notification, made.id).emailed_at is not None
    assert db.session.get(Notification, made.id).read_at is None  # still unread in the app
    service.set_mode(anna, MailMode.IMMEDIATE)
    db.session.commit()
    service.send_pending()
    assert outbox() == []  # no flood of old news


def test_read_in_the_app_or_disabled_is_not_mailed(outbox, team):
    (read,) = tell([team["anna"]], team, n=1)
    service.mark_read(team["anna"], [read.id])
    tell([team["bruno"]], team, n=2)
    team["bruno"].active = False
    db.session.commit()
    result = service.send_pending()
    assert result["retired"] == 2 and outbox() == []


def test_a_refused_mail_is_tried_again_next_run(outbox, team, monkeypatch):
    (made,) = tell([team["anna"]], team)

    def refuse(*args, **kwargs):
        raise MailError("server down")

    monkeypatch.setattr(service, "send_mail", refuse)
    result = service.send_pending()
    assert result["failed"] == [team["anna"].email]
    assert db.session.get(Notification, made.id).emailed_at is None
    monkeypatch.undo()
    assert service.send_pending()["immediate"] == 1


def test_the_command_fails_loudly_when_mail_is_refused(runner, team, monkeypatch):
    tell([team["anna"]], team)

    def refuse(*args, **kwargs):
        raise MailError("server down")

    monkeypatch.setattr(service, "send_mail", refuse)
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 1
    assert team["anna"].email in result.output


def test_what_another_server_claimed_is_not_sent_twice(outbox, team):
    (made,) = tell([team["anna"]], team)
    now = utcnow()
    # Another server claimed it a moment ago (emailed_at set and committed).
    db.session.get(Notification, made.id).emailed_at = now - timedelta(seconds=1)
    db.session.commit()
    assert service.send_pending(now=now)["immediate"] == 0
    assert outbox() == []


def test_a_digest_claimed_by_another_server_is_not_sent_twice(outbox, team):
    anna = team["anna"]
    service.set_mode(anna, MailMode.DAILY)
    (made,) = tell([anna], team)
    made.created_at = at_rome(1, 9)
    db.session.commit()
    preference = db.session.get(MailPreference, anna.id)
    slot = service.digest_slot(at_rome(2, 7, 5))
    assert service._claim_digest(preference, slot, at_rome(2, 7, 1))  # the other server
    db.session.commit()
    assert service.send_pending(now=at_rome(2, 7, 5))["digests"] == 0
    assert outbox() == []
