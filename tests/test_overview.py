"""The coordination overview and the charts next to a document's history, through HTTP.

The overview: open actions by group (with the overdue ones), minutes awaiting approval,
documents with unapproved changes, empty states, who may see it. The history page: the SVG
charts with the right numbers, for documents and minutes, with a constant number of queries.
"""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, update

from tests.support import htmx, plain, text
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.meetings import service as meetings
from workspace.meetings.models import ActionItem, ActionStatus, Meeting
from workspace.overview import service as overview
from workspace.people.models import Role
from workspace.revisions.models import Revision

OVERVIEW = "/panoramica"


@pytest.fixture
def team(make_user, make_group, make_service):
    rho = make_service("Spazio neutro di Rho", district="Rhodense")
    legnano = make_service("Spazio neutro di Legnano", district="Legnanese")
    lead = make_user(Role.OPERATOR, name="Laura Referente", service=rho)
    anna = make_user(Role.OPERATOR, name="Anna Operatrice", service=rho)
    bruno = make_user(Role.OPERATOR, name="Bruno Educatore", service=legnano)
    elena = make_user(Role.EXTERNAL, name="Elena Affidi", organisation="Coordinamento affidi")
    carla = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    group = make_group("Gruppo AMA", leads=[lead], members=[anna, bruno])
    return {
        "lead": lead,
        "anna": anna,
        "bruno": bruno,
        "elena": elena,
        "carla": carla,
        "group": group,
        "rho": rho,
        "legnano": legnano,
    }


def sign_in(auth, user):
    auth.logout()
    assert auth.login(user).status_code == 302


def history_url(document):
    return f"/gruppi/{document.group.slug}/documenti/{document.id}/versioni"


def new_document(group, author, title="Linee guida"):
    return documents.create_document(
        group, title=title, description="", body="Prima stesura.\n", author=author
    )


def edit(document, author, body):
    outcome = documents.save(
        document,
        author=author,
        body=body,
        base_number=document.text.head,
        section=None,
        summary="",
    )
    assert outcome.status == "saved", outcome
    db.session.commit()
    return outcome.revision


def meeting_of(group, by, *, title="Incontro del gruppo", days_ago=10):
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    meeting = Meeting(
        group_id=group.id,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        created_by_id=by.id,
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def action(meeting, owner, *, due=None, status=ActionStatus.OPEN, title="Preparare la bozza"):
    item = ActionItem(
        meeting_id=meeting.id,
        group_id=meeting.group_id,
        title=title,
        owner_id=owner.id,
        due_on=due,
        status=status,
    )
    db.session.add(item)
    db.session.commit()
    return item


def _statements(app, client, path) -> int:
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


# -- Who may see the overview ---------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert "/accedi" in response.location


@pytest.mark.parametrize("who", ["anna", "lead", "elena"])
def test_only_coordinators_see_the_overview(client, auth, team, who):
    sign_in(auth, team[who])
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(OVERVIEW, headers=htmx("overview")).status_code == 403
    assert "Panoramica" not in plain(client.get("/"))


def test_a_coordinator_sees_it_in_the_navigation(client, auth, team):
    sign_in(auth, team["carla"])
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert 'href="/panoramica" aria-current="page"' in text(response)
    assert 'href="/panoramica"' in text(client.get("/"))


# -- The three lists --------------------------------------------------------------------------


def test_empty_states(client, auth, team):
    sign_in(auth, team["carla"])
    page = plain(client.get(OVERVIEW))
    assert "Nessuna azione aperta." in page
    assert "Nessun verbale in attesa di approvazione." in page
    assert "Nessun documento con modifiche da approvare." in page


def test_open_actions_by_group_with_the_overdue_ones(client, auth, team, make_group):
    group, lead, anna = team["group"], team["lead"], team["anna"]
    other = make_group("Linee guida", leads=[anna])
    archived = make_group("Gruppo chiuso", leads=[anna])
    archived.archived_at = datetime.now(UTC)
    db.session.commit()
    today = overview.today()
    first = meeting_of(group, lead)
    action(first, anna, due=today - timedelta(days=3))
    action(first, anna, due=today + timedelta(days=3))
    action(first, anna, due=None)
    action(first, anna, due=today)  # due today: not late yet
    action(first, anna, due=today - timedelta(days=30), status=ActionStatus.DONE)
    action(meeting_of(other, anna), anna, due=today - timedelta(days=1))
    action(meeting_of(other, anna), anna, due=today - timedelta(days=2))
    action(meeting_of(archived, anna), anna, due=today - timedelta(days=1))

    sign_in(auth, team["carla"])
    response = client.get(OVERVIEW)
    page = text(response)
    rows = re.findall(
        r'<tr id="overview-actions-([\w-]+)">.*?<td[^>]*>(\d+)</td>\s*<td[^>]*>(.*?)</td>',
        page,
        re.S,
    )
    assert [(slug, count) for slug, count, _late in rows] == [
        (other.slug, "2"),  # the group with more overdue actions comes first
        (group.slug, "4"),
    ]
    assert "2 scaduti" in rows[0][2]
    assert "1 scaduto" in rows[1][2]
    assert f'href="/gruppi/{group.slug}/azioni/"' in page
    assert "Gruppo chiuso" not in page
    assert "Compiti aperti per gruppo (6)" in plain(response)


def test_minutes_awaiting_approval(client, auth, team):
    group, lead = team["group"], team["lead"]
    drafted = meeting_of(group, lead, title="Incontro di gennaio", days_ago=40)
    meetings.start_minutes(drafted, by=lead)
    in_view = meeting_of(group, lead, title="Incontro di febbraio", days_ago=20)
    meetings.start_minutes(in_view, by=lead)
    meetings.circulate(in_view, by=lead)
    done = meeting_of(group, lead, title="Incontro di dicembre", days_ago=60)
    meetings.start_minutes(done, by=lead)
    meetings.approve_minutes(done, by=lead, at_meeting=None)
    called_off = meeting_of(group, lead, title="Incontro annullato", days_ago=30)
    meetings.start_minutes(called_off, by=lead)
    # Minutes started block a cancellation today; a row from before may still have both.
    called_off.cancelled_at = datetime.now(UTC)
    db.session.commit()
    meeting_of(group, lead, title="Incontro senza verbale", days_ago=5)

    sign_in(auth, team["carla"])
    response = client.get(OVERVIEW)
    page = plain(response)
    assert "Verbali in attesa di approvazione (2)" in page
    assert page.index("Incontro di gennaio") < page.index("Incontro di febbraio")
    for absent in ("Incontro di dicembre", "Incontro annullato", "Incontro senza verbale"):
        assert absent not in page
    html = text(response)

    def item(meeting):
        return re.search(rf'id="overview-minutes-{meeting.id}".*?</li>', html, re.S).group(0)

    gennaio, febbraio = item(drafted), item(in_view)
    assert "in bozza" in gennaio and f"/incontri/{drafted.id}" in gennaio
    assert "in visione ai partecipanti" in febbraio
    assert f"/documenti/{in_view.minutes_document_id}/versioni" in febbraio


def test_documents_with_unapproved_changes(client, auth, team):
    group, anna, carla = team["group"], team["anna"], team["carla"]
    never = new_document(group, anna, "Mai approvato")
    changed = new_document(group, anna, "Cambiato dopo")
    edit(changed, anna, "Seconda.\n")
    documents.approve(changed, 2, by=carla, note="")
    edit(changed, anna, "Terza.\n")
    edit(changed, team["bruno"], "Quarta.\n")
    settled = new_document(group, anna, "Tutto approvato")
    edit(settled, anna, "Due.\n")
    documents.approve(settled, 2, by=carla, note="")
    # Approved at its head, then an older revision approved later: the latest approval counts.
    backwards = new_document(group, anna, "Tornato indietro")
    edit(backwards, anna, "Due.\n")
    edit(backwards, anna, "Tre.\n")
    documents.approve(backwards, 3, by=carla, note="")
    documents.approve(backwards, 1, by=carla, note="")
    # Minutes are documents too, but the meetings' list follows them.
    meetings.start_minutes(meeting_of(group, team["lead"]), by=team["lead"])

    sign_in(auth, carla)
    response = client.get(OVERVIEW)
    html = text(response)
    page = plain(response)
    assert "Documenti con modifiche non approvate (3)" in page
    assert "Tutto approvato" not in page
    assert "Verbale" not in page.split("Documenti con modifiche non approvate")[1]

    def row(document):
        return re.search(rf'<tr id="overview-document-{document.id}">.*?</tr>', html, re.S).group(0)

    assert "mai approvato" in row(never)
    assert f'href="{history_url(never)}"' in row(never)
    assert "1 versione" in row(never)
    slug, doc = group.slug, changed.id
    assert f'href="/gruppi/{slug}/documenti/{doc}/confronta?da=2&a=4"' in row(changed)
    assert "2 versioni nuove" in row(changed)
    assert "versione 2 del" in row(changed)
    assert "confronta?da=1&a=3" in row(backwards)
    # In the groups' order, then by title.
    assert page.index("Cambiato dopo") < page.index("Mai approvato") < page.index("Tornato")


def test_the_overview_as_an_htmx_fragment(client, auth, team):
    new_document(team["group"], team["anna"])
    sign_in(auth, team["carla"])
    response = client.get(OVERVIEW, headers=htmx("overview"))
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="overview"')
    assert "<html" not in body
    assert "Linee guida" in body
    assert "HX-Request" in response.headers["Vary"]
    # Another target gets the whole page.
    assert "<html" in text(client.get(OVERVIEW, headers=htmx("elsewhere")))


def test_the_overview_runs_the_same_queries_however_much_there_is(app, client, auth, team):
    group, anna, lead = team["group"], team["anna"], team["lead"]
    sign_in(auth, team["carla"])

    def add(n):
        for i in range(n):
            meeting = meeting_of(group, lead, title=f"Incontro {i}-{n}")
            meetings.start_minutes(meeting, by=lead)
            action(meeting, anna, due=overview.today() - timedelta(days=1))
            edit(new_document(group, anna, f"Documento {i}-{n}"), anna, f"Testo {i}.\n")

    add(1)
    client.get(OVERVIEW)
    few = _statements(app, client, OVERVIEW)
    add(5)
    assert _statements(app, client, OVERVIEW) == few


# -- The charts next to the history -------------------------------------------------------------


def _this_monday() -> date:
    today = overview.today()
    return today - timedelta(days=today.weekday())


def _dated(document, days: list[date]) -> None:
    """Move the document's revisions, in order, to noon (UTC) of the given days."""
    for number, day in enumerate(days, start=1):
        db.session.execute(
            update(Revision)
            .where(Revision.text_id == document.text_id, Revision.number == number)
            .values(created_at=datetime.combine(day, time(12), UTC))
        )
    db.session.commit()


def _figure(html: str, title: str) -> str:
    start = html.index(f">{title}</figcaption>")
    return html[start : html.index("</figure>", start)]


@pytest.fixture
def guidelines(team):
    anna, bruno = team["anna"], team["bruno"]
    document = new_document(team["group"], anna)
    edit(document, anna, "Seconda stesura.\n")
    edit(document, bruno, "Terza stesura.\n")
    edit(document, anna, "Quarta stesura.\n")
    monday = _this_monday()
    _dated(document, [monday - timedelta(days=14), monday - timedelta(days=13), monday, monday])
    return document


def test_history_shows_edits_by_service(client, auth, team, guidelines):
    sign_in(auth, team["bruno"])
    response = client.get(history_url(guidelines))
    assert response.status_code == 200
    html = text(response)
    services = _figure(html, "Modifiche per servizio")
    assert '<svg class="chart__svg"' in services and 'role="img"' in services
    assert f'aria-labelledby="document-{guidelines.id}-services-title' in services
    table = dict(
        (label, (int(edits), int(people)))
        for label, edits, people in re.findall(
            r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', services
        )
    )
    assert table == {
        "Spazio neutro di Rho (Rhodense)": (3, 1),
        "Spazio neutro di Legnano (Legnanese)": (1, 1),
    }
    # The bars: the longest for the service with most edits, a third of it for the other.
    bars = re.findall(
        r'<rect class="chart__bar"[^>]*width="([\d.]+)"[^>]*><title>([^<]+)</title>', services
    )
    widths = {label: float(width) for width, label in bars}
    rho = widths["Spazio neutro di Rho (Rhodense): 3"]
    legnano = widths["Spazio neutro di Legnano (Legnanese): 1"]
    assert legnano == pytest.approx(rho / 3, abs=0.1)
    assert "Spazio neutro di Rho (Rhodense): 3 modifiche" in services  # the description


def test_history_shows_edits_per_week_with_quiet_weeks(client, auth, team, guidelines):
    sign_in(auth, team["anna"])
    html = text(client.get(history_url(guidelines)))
    edits = _figure(html, "Modifiche per settimana")
    assert 'viewBox="0 0 400 200"' in edits and 'width="100%"' in edits
    assert "4 modifiche in tutto" in edits
    values = [int(v) for v in re.findall(r'<th scope="row">[^<]+</th><td>(\d+)</td>', edits)]
    assert values == [2, 0, 2]  # two weeks ago, last week (none), this week
    labels = re.findall(r'<th scope="row">([^<]+)</th>', edits)
    assert labels[0].startswith("settimana del ")
    assert len(re.findall(r'<rect class="chart__bar"', edits)) == 2  # zero is no bar
    assert "<script" not in edits


def test_the_filter_fragment_leaves_the_charts_out(client, auth, team, guidelines):
    sign_in(auth, team["anna"])
    target = f"document-{guidelines.id}-history"
    response = client.get(
        history_url(guidelines) + f"?autore={team['anna'].id}", headers=htmx(target)
    )
    assert response.status_code == 200
    assert "chart__svg" not in text(response)


def test_externals_count_under_their_organisation(app, team, make_user):
    document = new_document(team["group"], team["anna"])
    edit(document, team["elena"], "Dagli affidi.\n")
    someone = make_user(Role.EXTERNAL, name="Esterno", organisation="")
    edit(document, someone, "Senza organizzazione.\n")
    edit(document, team["carla"], "Dal coordinamento.\n")
    with app.test_request_context():
        rows = {row.label: row.value for row in overview.contributors(document.text_id)}
    assert rows == {
        "Spazio neutro di Rho (Rhodense)": 1,
        "Coordinamento affidi": 1,
        "Partecipanti esterni": 1,
        "Coordinamento del tavolo": 1,
    }


def test_many_services_fold_into_altri(app, team, make_user, make_service):
    document = new_document(team["group"], team["anna"])
    for i in range(7):
        author = make_user(Role.OPERATOR, service=make_service(f"Servizio {i}", district="X"))
        for n in range(i + 1):
            edit(document, author, f"Versione {i}-{n}.\n")
    with app.test_request_context():
        chart = overview.contributors_chart(document.text_id)
    assert [row.label for row in chart.rows] == [
        "Servizio 6 (X)",
        "Servizio 5 (X)",
        "Servizio 4 (X)",
        "Servizio 3 (X)",
        "Servizio 2 (X)",
        "altri",
    ]
    assert chart.rows[-1].value == 1 + 2 + 1  # Servizio 1, Servizio 0 and Rho's first version
    assert chart.total == document.text.head


def test_minutes_history_has_the_charts_too(client, auth, team):
    meeting = meeting_of(team["group"], team["lead"])
    minutes = meetings.start_minutes(meeting, by=team["lead"])
    sign_in(auth, team["lead"])
    html = text(client.get(history_url(minutes)))
    assert "Modifiche per servizio" in html
    assert "1 modifica in tutto" in html


def test_the_history_runs_the_same_queries_however_long(app, client, auth, team, guidelines):
    sign_in(auth, team["anna"])
    client.get(history_url(guidelines))
    few = _statements(app, client, history_url(guidelines))
    for n in range(30):
        edit(guidelines, team["bruno"] if n % 2 else team["lead"], f"Versione {n}.\n")
    assert _statements(app, client, history_url(guidelines)) == few


def test_a_person_outside_the_group_sees_no_history(client, auth, team, guidelines, make_user):
    sign_in(auth, make_user(Role.OPERATOR))
    assert client.get(history_url(guidelines)).status_code == 404


def test_edit_days_are_days_in_rome_counted_in_the_database(app, team, guidelines):
    """Counted per UTC hour in SQL: an hour late in the UTC evening is already the next day in
    Rome (two hours ahead in summer, one in winter), and every revision is counted once."""
    moments = [
        datetime(2026, 7, 14, 21, 59, tzinfo=UTC),  # 23:59 in Rome, 14 July
        datetime(2026, 7, 14, 22, 0, tzinfo=UTC),  # 00:00 in Rome, 15 July
        datetime(2026, 1, 20, 22, 30, tzinfo=UTC),  # 23:30 in Rome, 20 January
        datetime(2026, 1, 20, 23, 5, tzinfo=UTC),  # 00:05 in Rome, 21 January
    ]
    for number, moment in enumerate(moments, start=1):
        db.session.execute(
            update(Revision)
            .where(Revision.text_id == guidelines.text_id, Revision.number == number)
            .values(created_at=moment)
        )
    db.session.commit()
    assert sorted(overview.edit_days(guidelines.text_id)) == [
        date(2026, 1, 20),
        date(2026, 1, 21),
        date(2026, 7, 14),
        date(2026, 7, 15),
    ]
    # Many revisions in one hour come back as one row, counted.
    for number in range(1, 5):
        db.session.execute(
            update(Revision)
            .where(Revision.text_id == guidelines.text_id, Revision.number == number)
            .values(created_at=datetime(2026, 3, 2, 9, number * 10, tzinfo=UTC))
        )
    db.session.commit()
    assert overview.edit_days(guidelines.text_id) == [date(2026, 3, 2)] * 4
