"""Command-line tasks: demo data (idempotent), the first coordinator, housekeeping."""

from datetime import timedelta

from workspace.accounts.models import LoginAttempt, User
from workspace.clock import utcnow
from workspace.demo import DEMO_PASSWORD
from workspace.directory.models import Service
from workspace.extensions import db
from workspace.groups.models import Group, Membership
from workspace.people.models import Role


def test_demo_data_loads_the_network_and_prints_the_logins(runner):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "coordinatrice@tavolo.example" in result.output
    assert DEMO_PASSWORD in result.output
    assert Service.query.count() == 24
    assert {g.name for g in Group.query.all()} == {
        "Tavolo di coordinamento",
        "Gruppo genitori auto mutuo aiuto (AMA)",
        "Revisione linee guida",
        "Ambientamento del bambino in Spazio Neutro",
        "Genitori affidatari e Spazio Neutro",
    }
    assert Group.query.filter_by(slug="genitori-affidatari-e-spazio-neutro").one().is_joint
    roles = {u.email: u.profile.role for u in User.query.all()}
    assert roles["coordinatrice@tavolo.example"] == Role.COORDINATOR
    assert roles["elena.marchi@tavolo.example"] == Role.EXTERNAL
    assert sum(1 for r in roles.values() if r == Role.OPERATOR) >= 3


def test_demo_data_starts_the_guidelines_from_the_seed_pages(runner):
    from workspace.documents.models import Document
    from workspace.revisions.service import text_at

    runner.invoke(args=["demo-data"])
    runner.invoke(args=["demo-data"])
    # One document of the group's own (the minutes of the demo meetings are documents too).
    document = Document.query.filter_by(kind="document").one()
    assert document.group.slug == "revisione-linee-guida"
    # The seed text is revision 1; the demo's one edit (so that activity is not empty) is 2.
    assert document.text.head == 2
    assert "coordinamento affidi quando un bambino" in text_at(document.text, 2)
    text = text_at(document.text, 1)
    assert "favorire la sperimentazione di modelli di intervento" in text
    assert "Cooperativa Kinesis" in text and "Casa don Guanella" in text
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table_lines) == 24 + 2 * 2  # 24 services, header and rule of two tables


def test_demo_data_is_idempotent(runner):
    from workspace.meetings.models import Meeting

    runner.invoke(args=["demo-data"])
    counts = (
        Service.query.count(),
        Group.query.count(),
        User.query.count(),
        Membership.query.count(),
        Meeting.query.count(),
    )
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0
    assert "già presente" in result.output
    assert counts == (
        Service.query.count(),
        Group.query.count(),
        User.query.count(),
        Membership.query.count(),
        Meeting.query.count(),
    )


def test_demo_meetings(runner, client):
    """A monthly AMA series, minutes in view with a decision on the guidelines, and a joint
    meeting that the external participant outside every group sees, and nothing else."""
    from workspace.meetings.models import Meeting, MinutesStatus

    runner.invoke(args=["demo-data"])
    ama = Meeting.query.join(Group).filter(Group.slug == "gruppo-genitori-ama").all()
    assert len(ama) == 12 and all(m.series_id == ama[0].series_id for m in ama)
    assert Meeting.query.filter_by(minutes_status=MinutesStatus.CIRCULATED).count() == 1
    joint = Meeting.query.filter_by(is_joint=True).one()
    client.post("/accedi", data={"email": "marco.riva@tavolo.example", "password": DEMO_PASSWORD})
    home = client.get("/").get_data(as_text=True)
    assert joint.title in home
    assert client.get(f"/gruppi/{joint.group.slug}/incontri/{joint.id}").status_code == 200
    assert client.get(f"/gruppi/{joint.group.slug}").status_code == 404


def test_demo_logins_work(runner, client):
    runner.invoke(args=["demo-data"])
    response = client.post(
        "/accedi", data={"email": "elena.marchi@tavolo.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Genitori affidatari e Spazio Neutro" in home
    assert "Revisione linee guida" not in home


def test_create_coordinator(runner, client):
    result = runner.invoke(
        args=[
            "create-coordinator",
            "--email",
            "Capo@Provincia.example.it",
            "--name",
            "Maria Capo",
            "--password",
            "una-password-lunga-7",
        ]
    )
    assert result.exit_code == 0, result.output
    user = User.query.filter_by(email="capo@provincia.example.it").one()
    assert user.profile.role == Role.COORDINATOR
    again = runner.invoke(
        args=[
            "create-coordinator",
            "--email",
            "capo@provincia.example.it",
            "--name",
            "X",
            "--password",
            "una-password-lunga-7",
        ]
    )
    assert again.exit_code != 0 and "Esiste già" in again.output


def test_create_coordinator_refuses_a_weak_password(runner):
    result = runner.invoke(
        args=[
            "create-coordinator",
            "--email",
            "a@b.example.it",
            "--name",
            "A",
            "--password",
            "password",
        ]
    )
    assert result.exit_code != 0
    assert User.query.count() == 0


def test_prune_removes_old_failed_logins(runner):
    db.session.add(LoginAttempt(email="a", address="b", at=utcnow() - timedelta(days=40)))
    db.session.add(LoginAttempt(email="a", address="b", at=utcnow()))
    db.session.commit()
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0 and "1" in result.output
    assert LoginAttempt.query.count() == 1
