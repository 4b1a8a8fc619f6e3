"""Benchmark of search at scale: 20,000 messages, 200 documents, one document with 2,000
revisions.

Run with ``.venv/bin/python bench/search.py`` (``make bench``); not part of the tests. It
builds a fresh SQLite file through the migrations (the FTS5 table is theirs), fills it with a
fixed seed (messages through the ORM in batches, documents and revisions through the
services: the index follows every commit, as in use), then times searches through the Flask
test client as a signed-in member: median of 20 requests and the number of SQL statements.
Set ``BENCH_DATABASE_URL`` to a PostgreSQL database to measure that backend instead (its
schema is dropped and made again).

Results go to ``bench/results/search.md``.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SEED = 20261126
MESSAGES = 20_000
THREADS = 200
DOCUMENTS = 200
REVISIONS = 2_000
REPEATS = 20
RESULTS = HERE / "results" / "search.md"
WORDS = [
    "incontro",
    "incontri",
    "genitore",
    "genitori",
    "bambino",
    "bambini",
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
    "affidatari",
]
RARE = "girasole"


def sentence(rng: random.Random, n: int | None = None) -> str:
    count = n or rng.randint(8, 30)
    return " ".join(rng.choice(WORDS) for _ in range(count)).capitalize() + "."


def main() -> str:
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-search-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"

    import flask_migrate
    from sqlalchemy import event, func, select, text

    from workspace import create_app
    from workspace.accounts.service import hash_password
    from workspace.discussions.models import Message, Thread
    from workspace.documents import service as documents
    from workspace.extensions import db
    from workspace.groups.models import Group, GroupRole, Membership
    from workspace.people.models import Role
    from workspace.people.service import create_person
    from workspace.revisions import service as revisions
    from workspace.search.index import rebuild
    from workspace.search.models import SearchEntry

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            # Signed in with a password only: the benchmark measures pages, not sign-in.
            "TWO_FACTOR_REQUIRED_ROLES": [],
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SERVER_NAME": "bench.test",
        }
    )
    rng = random.Random(SEED)
    timings: dict[str, float] = {}
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
        backend = db.engine.dialect.name
        people = [
            create_person(
                email=f"persona{n}@bench.test",
                name=f"Persona {n}",
                role=Role.OPERATOR,
                password_hash=hash_password("bench-password-1"),
                service=None,
                organisation="Bench",
            )
            for n in range(10)
        ]
        group = Group(slug="grande", name="Gruppo grande", purpose="")
        elsewhere = Group(slug="altrove", name="Altro gruppo", purpose="")
        db.session.add_all([group, elsewhere])
        for person in people:
            db.session.add(Membership(group=group, user=person, role=GroupRole.MEMBER))
        db.session.commit()

        started = time.perf_counter()
        per_thread = MESSAGES // THREADS
        for t in range(THREADS):
            thread = Thread(
                group=group if t % 10 else elsewhere,
                title=f"Discussione {t} " + sentence(rng, 3),
                created_by_id=people[0].id,
                last_number=per_thread,
            )
            db.session.add(thread)
            for number in range(1, per_thread + 1):
                body = sentence(rng)
                if (t * per_thread + number) % 5_000 == 0:
                    body += f" Un {RARE} in giardino."
                db.session.add(
                    Message(
                        thread=thread,
                        number=number,
                        author_id=rng.choice(people).id,
                        body=body,
                        html=f"<p>{body}</p>",
                    )
                )
            if t % 20 == 19:
                db.session.commit()
        db.session.commit()
        timings["fill_messages_s"] = time.perf_counter() - started

        started = time.perf_counter()
        for n in range(DOCUMENTS):
            body = "\n\n".join(sentence(rng, 60) for _ in range(20))
            documents.create_document(
                group, title=f"Documento {n}", description="", body=body, author=people[0]
            )
        timings["fill_documents_s"] = time.perf_counter() - started

        long_document = documents.create_document(
            group,
            title="Linee guida",
            description="",
            body="\n\n".join(sentence(rng, 40) for _ in range(100)),
            author=people[0],
        )
        paragraphs = revisions.text_at(long_document.text, 1).split("\n\n")
        started = time.perf_counter()
        for _ in range(REVISIONS):
            paragraphs[rng.randrange(len(paragraphs))] = sentence(rng, 40)
            revisions.save(
                long_document.text,
                author=rng.choice(people),
                text="\n\n".join(paragraphs),
                base_number=long_document.text.head,
            )
        timings["revisions_2000_s"] = time.perf_counter() - started

        entries = db.session.scalar(select(func.count()).select_from(SearchEntry))
        messages = db.session.scalar(select(func.count()).select_from(Message))
        started = time.perf_counter()
        rebuild(db.session)
        timings["reindex_s"] = time.perf_counter() - started
        reader_email = people[0].email

    statements = {"n": 0}

    def count(*_args, **_kwargs):
        statements["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    client = app.test_client()
    client.post("/accedi", data={"email": reader_email, "password": "bench-password-1"})

    def measure(label: str, path: str, headers: dict | None = None) -> dict:
        times, queries, status = [], [], None
        for _ in range(REPEATS):
            statements["n"] = 0
            start = time.perf_counter()
            response = client.get(path, headers=headers or {})
            times.append(time.perf_counter() - start)
            queries.append(statements["n"])
            status = response.status_code
        return {
            "label": label,
            "path": path,
            "status": status,
            "median_ms": statistics.median(times) * 1000,
            "queries": max(queries),
        }

    fragment = {"HX-Request": "true", "HX-Target": "search-results"}
    rows = [
        measure("common word (genitore)", "/cerca?q=genitore"),
        measure("common word, htmx fragment", "/cerca?q=genitore", fragment),
        measure("common word, page 20", "/cerca?q=genitore&pagina=20"),
        measure("two common words", "/cerca?q=genitori+incontro"),
        measure("common word, documents only", "/cerca?q=genitore&tipo=document"),
        measure(f"rare word ({RARE})", f"/cerca?q={RARE}"),
        measure("no hit (zanzibar)", "/cerca?q=zanzibar"),
        measure("only syntax", "/cerca?q=%22*%28-NEAR"),
    ]
    lines = [
        f"# Search benchmark ({backend})",
        "",
        f"{messages} messages in {THREADS} threads, {DOCUMENTS} documents, one document with "
        f"{REVISIONS} revisions; {entries} index entries. Median of {REPEATS} requests through "
        "the test client, signed in as a member of the big group.",
        "",
        "| search | status | median ms | SQL statements |",
        "|---|---|---:|---:|",
        *(
            f"| {row['label']} | {row['status']} | {row['median_ms']:.1f} | {row['queries']} |"
            for row in rows
        ),
        "",
        "| building | seconds |",
        "|---|---:|",
        f"| {MESSAGES} messages, indexed at each commit | {timings['fill_messages_s']:.1f} |",
        f"| {DOCUMENTS} documents through the service | {timings['fill_documents_s']:.1f} |",
        f"| {REVISIONS} revisions of one document, reindexed at each save "
        f"| {timings['revisions_2000_s']:.1f} |",
        f"| `flask search-reindex` of everything | {timings['reindex_s']:.1f} |",
        "",
    ]
    report = "\n".join(lines)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return report


if __name__ == "__main__":
    main()
