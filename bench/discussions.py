"""Benchmark of discussions at scale: a group with 1,000 threads, a thread with 2,000 replies.

Run with ``.venv/bin/python bench/discussions.py`` (``make bench``); not part of the tests.
It fills a fresh SQLite file through the real service layer (fixed seed), then requests the
pages through the Flask test client as a signed-in member and reports, for each, the median
time of 20 requests and the number of SQL statements one request runs (constant numbers mean
no query per row). The same pages on a group with 10 threads give the ratio that shows
whether cost grows with the number of threads.

Results go to ``bench/results/discussions.json``.
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SEED = 20261125
THREADS = 1_000
REPLIES = 2_000
REPEATS = 20
RESULTS = HERE / "results" / "discussions.json"
WORDS = [
    "incontro",
    "genitore",
    "bambino",
    "servizio",
    "operatore",
    "visita",
    "spazio",
    "neutro",
    "orario",
    "sede",
    "decreto",
    "relazione",
    "ambientamento",
    "gruppo",
    "verbale",
    "proposta",
    "calendario",
    "accoglienza",
]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."


def main() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)

    import flask_migrate
    from sqlalchemy import event

    from workspace import create_app
    from workspace.accounts.service import hash_password
    from workspace.discussions import service as discussions
    from workspace.discussions.models import Message, Thread
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
        people = [
            create_person(
                email=f"persona{n}@bench.test",
                name=f"Persona {n}",
                role=Role.OPERATOR,
                password_hash=hash_password("bench-password-1"),
                service=None,
                organisation="Bench",
            )
            for n in range(20)
        ]
        big = Group(slug="grande", name="Gruppo grande", purpose="")
        small = Group(slug="piccolo", name="Gruppo piccolo", purpose="")
        db.session.add_all([big, small])
        for person in people:
            db.session.add(Membership(group=big, user=person, role=GroupRole.MEMBER))
            db.session.add(Membership(group=small, user=person, role=GroupRole.MEMBER))
        db.session.commit()
        reader = people[0]
        started = time.perf_counter()
        for group, count in ((small, 10), (big, THREADS)):
            for n in range(count):
                thread = discussions.open_thread(
                    group,
                    author=rng.choice(people[1:]),
                    title=f"Discussione {n}",
                    body=sentence(rng),
                )
                for _ in range(rng.randint(0, 4)):
                    discussions.reply(thread, author=rng.choice(people), body=sentence(rng))
        long_thread = discussions.open_thread(
            big, author=people[1], title="Il filo lungo", body=sentence(rng)
        )
        for _ in range(REPLIES):
            discussions.reply(long_thread, author=rng.choice(people[1:]), body=sentence(rng))
        fill_seconds = time.perf_counter() - started
        messages = db.session.scalar(db.select(db.func.count(Message.id)))
        threads = db.session.scalar(db.select(db.func.count(Thread.id)))
        long_id = long_thread.id
        reader_email = reader.email
        last_page = discussions.page_of(long_thread.last_number)

    statements = {"n": 0}

    def count(*_args, **_kwargs):
        statements["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    client = app.test_client()
    client.post("/accedi", data={"email": reader_email, "password": "bench-password-1"})

    def measure(path: str, headers: dict | None = None) -> dict:
        times, queries = [], []
        status = None
        for _ in range(REPEATS):
            statements["n"] = 0
            start = time.perf_counter()
            response = client.get(path, headers=headers or {})
            times.append(time.perf_counter() - start)
            queries.append(statements["n"])
            status = response.status_code
        return {
            "path": path,
            "status": status,
            "median_ms": round(statistics.median(times) * 1000, 2),
            "queries": max(queries),
        }

    pages = {
        "group_page_10_threads": measure("/gruppi/piccolo"),
        "group_page_1000_threads": measure("/gruppi/grande"),
        "thread_list_10": measure("/gruppi/piccolo/discussioni/"),
        "thread_list_1000_first_page": measure("/gruppi/grande/discussioni/"),
        "thread_list_1000_last_page": measure("/gruppi/grande/discussioni/?pagina=34"),
        "thread_2000_first_page": measure(f"/gruppi/grande/discussioni/{long_id}?pagina=1"),
        "thread_2000_last_page": measure(
            f"/gruppi/grande/discussioni/{long_id}?pagina={last_page}"
        ),
    }
    poll_path = f"/gruppi/grande/discussioni/{long_id}/nuovi?dopo={REPLIES + 1}"
    first = client.get(poll_path, headers={"HX-Request": "true"})
    pages["poll_unchanged_304"] = measure(
        poll_path, {"HX-Request": "true", "If-None-Match": first.headers["ETag"]}
    )
    results = {
        "threads": threads,
        "messages": messages,
        "fill_seconds": round(fill_seconds, 1),
        "pages": pages,
        "group_page_1000_over_10": round(
            pages["group_page_1000_threads"]["median_ms"]
            / pages["group_page_10_threads"]["median_ms"],
            2,
        ),
        "thread_last_over_first_page": round(
            pages["thread_2000_last_page"]["median_ms"]
            / pages["thread_2000_first_page"]["median_ms"],
            2,
        ),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
