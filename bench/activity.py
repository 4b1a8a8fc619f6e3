"""Benchmark of the activity feed at scale: 22,200 events in 12 groups.

Run with ``.venv/bin/python bench/activity.py`` (``make bench``); not part of the tests.
The feed reads only its own table, so the events are written in bulk (fixed seed) as the
services would have written them: 20,000 replies, 2,000 revisions of one document and 200
documents created, spread over a year. The pages are requested through the Flask test client,
as a member of three groups and as a coordinator, and the report gives for each the median
of 20 requests and the number of SQL statements one request runs. Pagination is by key: the
page at the end of the feed must cost what the first does (the ratio is in the results).

Results go to ``bench/results/activity.json``.
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SEED = 20261126
GROUPS = 12
MESSAGES = 20_000
REVISIONS = 2_000
DOCUMENTS = 200
REPEATS = 20
RESULTS = HERE / "results" / "activity.json"


def main() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)

    import flask_migrate
    from sqlalchemy import event, insert

    from workspace import create_app
    from workspace.accounts.service import hash_password
    from workspace.activity.models import Event, EventKind
    from workspace.directory.models import Scope, Service
    from workspace.discussions.models import Thread
    from workspace.documents import service as documents
    from workspace.extensions import db
    from workspace.groups.models import Group, GroupRole, Membership
    from workspace.people.models import Role
    from workspace.people.service import create_person

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            # Signed in with a password only: the benchmark measures pages, not sign-in.
            "TWO_FACTOR_REQUIRED_ROLES": [],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SERVER_NAME": "bench.test",
        }
    )
    rng = random.Random(SEED)
    with app.app_context():
        flask_migrate.upgrade()  # the schema as deployed (search's FTS5 table included)
        services = [
            Service(
                name=f"Servizio {n}", district=f"Ambito {n}", scope=Scope.PROVINCIAL, position=n
            )
            for n in range(24)
        ]
        db.session.add_all(services)
        db.session.flush()
        password = hash_password("bench-password-1")
        people = [
            create_person(
                email=f"persona{n}@bench.test",
                name=f"Persona {n}",
                role=Role.OPERATOR,
                password_hash=password,
                service=services[n % len(services)],
            )
            for n in range(80)
        ]
        coordinator = create_person(
            email="coordinatrice@bench.test",
            name="Coordinatrice",
            role=Role.COORDINATOR,
            password_hash=password,
        )
        groups = [Group(slug=f"gruppo-{n}", name=f"Gruppo {n}", purpose="") for n in range(GROUPS)]
        db.session.add_all(groups)
        db.session.flush()
        reader = people[0]
        for person in people:
            for group in groups:
                # The reader is in three groups; everybody in a few.
                if (person is reader and group.id <= 3) or (
                    person is not reader and rng.random() < 0.3
                ):
                    db.session.add(Membership(group=group, user=person, role=GroupRole.MEMBER))
        db.session.commit()
        guidelines = documents.create_document(
            groups[0], title="Linee guida", description="", body="# Linee guida\n", author=people[1]
        )
        thread = Thread(
            group_id=groups[1].id,
            title="Il filo lungo",
            created_by_id=people[2].id,
            created_at=datetime.now(UTC),
            last_activity_at=datetime.now(UTC),
            last_number=1,
        )
        db.session.add(thread)
        db.session.commit()

        started = time.perf_counter()
        start = datetime.now(UTC) - timedelta(days=365)
        total = MESSAGES + REVISIONS + DOCUMENTS
        step = timedelta(days=365) / total
        kinds = (
            [EventKind.MESSAGE_POSTED] * MESSAGES
            + [EventKind.REVISION_SAVED] * REVISIONS
            + [EventKind.DOCUMENT_CREATED] * DOCUMENTS
        )
        rng.shuffle(kinds)
        rows = []
        revision = 1
        for n, kind in enumerate(kinds):
            actor = rng.choice(people[1:])
            row = {
                "created_at": start + step * n,
                "kind": str(kind),
                "group_id": rng.choice(groups).id,
                "actor_id": actor.id,
                "service_id": actor.profile.service_id,
                "title": f"Titolo {n}",
                "summary": "Una frase sul cambiamento.",
            }
            if kind == EventKind.REVISION_SAVED:
                revision += 1
                row.update(
                    group_id=groups[0].id,
                    document_id=guidelines.id,
                    revision_number=revision,
                    size_change=rng.randint(-200, 400),
                )
            elif kind == EventKind.MESSAGE_POSTED:
                row.update(
                    thread_id=thread.id,
                    message_number=n + 2,
                    group_id=groups[1].id if rng.random() < 0.1 else row["group_id"],
                )
            else:
                row.update(document_id=guidelines.id, revision_number=1)
            rows.append(row)
        for chunk in range(0, len(rows), 5_000):
            db.session.execute(insert(Event), rows[chunk : chunk + 5_000])
        db.session.commit()
        fill_seconds = time.perf_counter() - started
        events = db.session.scalar(db.select(db.func.count(Event.id)))
        oldest_cursor = db.session.scalar(
            db.select(Event.id).order_by(Event.id).offset(40).limit(1)
        )
        reader_email, coordinator_email = reader.email, coordinator.email
        author_id = people[5].id
        service_id = people[5].profile.service_id

    statements = {"n": 0}

    def count(*_args, **_kwargs):
        statements["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)

    def measure(client, path: str, headers: dict | None = None) -> dict:
        times, queries = [], []
        status = None
        for _ in range(REPEATS):
            statements["n"] = 0
            begin = time.perf_counter()
            response = client.get(path, headers=headers or {})
            times.append(time.perf_counter() - begin)
            queries.append(statements["n"])
            status = response.status_code
        return {
            "path": path,
            "status": status,
            "median_ms": round(statistics.median(times) * 1000, 2),
            "queries": max(queries),
        }

    pages = {}
    for who, email in (("member", reader_email), ("coordinator", coordinator_email)):
        client = app.test_client()
        client.post("/accedi", data={"email": email, "password": "bench-password-1"})
        pages[f"{who}_feed_first_page"] = measure(client, "/attivita")
        pages[f"{who}_feed_page_at_the_end"] = measure(client, f"/attivita?prima={oldest_cursor}")
        pages[f"{who}_feed_by_group"] = measure(client, "/attivita?gruppo=gruppo-0")
        pages[f"{who}_feed_by_person"] = measure(client, f"/attivita?persona={author_id}")
        pages[f"{who}_feed_by_service"] = measure(client, f"/attivita?servizio={service_id}")
        pages[f"{who}_feed_by_kind_rare"] = measure(client, "/attivita?tipo=document.created")
        pages[f"{who}_feed_by_dates"] = measure(
            client,
            f"/attivita?dal={(datetime.now(UTC) - timedelta(days=200)).date()}"
            f"&al={(datetime.now(UTC) - timedelta(days=190)).date()}",
        )
        pages[f"{who}_group_feed"] = measure(client, "/gruppi/gruppo-0/attivita")
        pages[f"{who}_group_page"] = measure(client, "/gruppi/gruppo-0")
        pages[f"{who}_home"] = measure(client, "/")
        pages[f"{who}_feed_more_fragment"] = measure(
            client,
            f"/attivita?prima={oldest_cursor}",
            {"HX-Request": "true", "HX-Target": "activity-more"},
        )
    results = {
        "events": events,
        "fill_seconds": round(fill_seconds, 1),
        "pages": pages,
        "member_end_over_first_page": round(
            pages["member_feed_page_at_the_end"]["median_ms"]
            / pages["member_feed_first_page"]["median_ms"],
            2,
        ),
        "coordinator_end_over_first_page": round(
            pages["coordinator_feed_page_at_the_end"]["median_ms"]
            / pages["coordinator_feed_first_page"]["median_ms"],
            2,
        ),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
