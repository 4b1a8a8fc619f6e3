"""Data generator of the benchmark: a Tavolo database at two sizes, with a fixed seed.

Run with ``.venv/bin/python bench/generate.py --size large`` (or ``realistic``); the runner
(bench/run.py) calls it. The database is a SQLite file cached under ``bench/.data/``, named by
size, seed and a format version, next to a JSON manifest (who signs in, which group, document
and thread the runner measures). A second run reuses both; ``--force`` builds them again.

Sizes (issue 8):

* realistic: 24 services, 80 people, 6 groups, 200 threads, 30 documents, 60 meetings;
* large: 300 people, 12 groups, 2,000 threads with 20,000 messages (one of 2,000 replies, one
  group with 1,000 threads and one with 10), 200 documents including a 100 KB guidelines
  document with 2,000 revisions, 500 meetings with minutes.

What goes through the services and what in bulk:

* people, groups, documents, their revisions, meetings' minutes: through the services
  (``create_person``, ``documents.create_document``, ``documents.service.save``,
  ``meetings.service.start_minutes``), so revisions are stored as the service stores them
  (deltas and snapshots, rendered HTML, table of contents) and every event is recorded;
* threads and messages: Core inserts in bulk (the reply service adds notifications and mail,
  which no measured page reads), each message rendered by the same Markdown renderer, with the
  activity events the service would have written (``thread.opened``, ``message.posted``),
  dated over the past year;
* meetings: ORM rows with their participants and agenda items, a ``meeting.scheduled`` event
  each, minutes through the service.

The search index is kept by a session hook that bulk inserts bypass, so the generator ends
with ``workspace.search.index.rebuild``.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from storage import build_document, edit, paragraph, sentence  # noqa: E402

SEED = 20261201
FORMAT = 1  # bump when what the generator writes changes: the cache is keyed by it
DATA = HERE / ".data"
PASSWORD = "bench-password-1"  # noqa: S105 (a benchmark account)
READER_EMAIL = "lettore@bench.test"
COORDINATOR_EMAIL = "coordinatrice@bench.test"

SIZES = {
    "realistic": {
        "services": 24,
        "people": 80,
        "groups": 6,
        "threads": 200,
        "messages": 1_200,
        "long_thread_replies": 100,
        "big_group_threads": 100,
        "small_group_threads": 10,
        "documents": 30,
        "guidelines_revisions": 100,
        "meetings": 60,
    },
    "large": {
        "services": 24,
        "people": 300,
        "groups": 12,
        "threads": 2_000,
        "messages": 20_000,
        "long_thread_replies": 2_000,
        "big_group_threads": 1_000,
        "small_group_threads": 10,
        "documents": 200,
        "guidelines_revisions": 2_000,
        "meetings": 500,
    },
}


def database_path(size: str, seed: int = SEED) -> Path:
    return DATA / f"{size}-{seed}-v{FORMAT}.db"


def manifest_path(size: str, seed: int = SEED) -> Path:
    return DATA / f"{size}-{seed}-v{FORMAT}.json"


def load(size: str, seed: int = SEED, *, force: bool = False) -> tuple[Path, dict]:
    """The cached database and its manifest, generated first if missing (or ``force``)."""
    database, manifest = database_path(size, seed), manifest_path(size, seed)
    if force or not (database.exists() and manifest.exists()):
        generate(size, seed)
    else:
        upgrade(database)  # a cached set made before a migration gets it, data unchanged
    return database, json.loads(manifest.read_text(encoding="utf-8"))


def _bench_app(database: Path):
    from workspace import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            # Signed in with a password only: the benchmark measures pages, not sign-in.
            "TWO_FACTOR_REQUIRED_ROLES": [],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "MAIL_OUTBOX": False,
        }
    )


def upgrade(database: Path) -> None:
    """Bring a cached database to the schema of the code being measured."""
    import flask_migrate

    from workspace.extensions import db

    os.environ.setdefault("TAVOLO_INSTANCE_PATH", tempfile.mkdtemp(prefix="tavolo-bench-up-"))
    app = _bench_app(database)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()


def _log(message: str) -> None:
    print(f"[generate] {message}", file=sys.stderr, flush=True)


def generate(size: str, seed: int = SEED) -> Path:
    """Build the database of ``size`` into a temporary file, then move it into the cache."""
    spec = SIZES[size]
    DATA.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-gen-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)
    target = folder / "bench.db"

    import flask_migrate

    from workspace.extensions import db

    app = _bench_app(target)
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()  # the schema as deployed (search's FTS5 table included)
        manifest = _fill(spec, random.Random(seed))
        manifest.update(size=size, seed=seed, format=FORMAT, password=PASSWORD)
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM")
        db.session.remove()
        db.engine.dispose()
    manifest["generate_seconds"] = round(time.perf_counter() - started, 1)
    database = database_path(size, seed)
    target.replace(database)
    manifest_path(size, seed).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _log(f"{size}: {database} in {manifest['generate_seconds']} s")
    return database


def _fill(spec: dict, rng: random.Random) -> dict:
    from workspace.accounts.service import hash_password
    from workspace.activity.models import EventKind
    from workspace.directory.models import Scope, Service
    from workspace.documents import service as documents
    from workspace.extensions import db
    from workspace.groups.models import Group, GroupRole, Membership
    from workspace.people.models import Role
    from workspace.people.service import create_person
    from workspace.search.index import rebuild

    password = hash_password(PASSWORD)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    services = [
        Service(
            name=f"Spazio Neutro {n + 1}",
            district=f"Ambito territoriale {n + 1}",
            scope=Scope.PROVINCIAL,
            position=n,
        )
        for n in range(spec["services"])
    ]
    db.session.add_all(services)
    db.session.commit()
    people = [
        create_person(
            email=READER_EMAIL,
            name="Lettore Operatore",
            role=Role.OPERATOR,
            password_hash=password,
            service=services[0],
        ),
        create_person(
            email=COORDINATOR_EMAIL,
            name="Coordinatrice Bench",
            role=Role.COORDINATOR,
            password_hash=password,
            service=services[1],
        ),
    ]
    for n in range(2, spec["people"]):
        people.append(
            create_person(
                email=f"persona{n}@bench.test",
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n}",
                role=Role.OPERATOR,
                password_hash=password,
                service=services[n % len(services)],
            )
        )
    reader, coordinator = people[0], people[1]
    names = ["coordinamento", "piccolo"] + [f"gruppo-{n}" for n in range(2, spec["groups"])]
    groups = [
        Group(slug=slug, name=slug.replace("-", " ").capitalize(), purpose=sentence(rng))
        for slug in names
    ]
    db.session.add_all(groups)
    db.session.flush()
    members: dict[int, list] = {}
    for index, group in enumerate(groups):
        chosen = [p for p in people[2:] if rng.random() < 0.25]
        # The reader is in the two measured groups and one more; the coordinator leads all.
        if index in (0, 1, 2):
            chosen.insert(0, reader)
        members[group.id] = chosen + [coordinator]
        for person in chosen:
            db.session.add(Membership(group=group, user=person, role=GroupRole.MEMBER))
        db.session.add(Membership(group=group, user=coordinator, role=GroupRole.LEAD))
    db.session.commit()
    timings["people_groups_s"] = time.perf_counter() - clock

    # -- Threads and messages, in bulk, over the past year -----------------------------------
    clock = time.perf_counter()
    long_thread_id, thread_counts = _threads(spec, rng, groups, members, EventKind)
    timings["threads_messages_s"] = time.perf_counter() - clock

    # -- Meetings with minutes ---------------------------------------------------------------
    clock = time.perf_counter()
    _meetings(spec, rng, groups, members, coordinator)
    timings["meetings_s"] = time.perf_counter() - clock

    # -- Documents, and the 100 KB guidelines with its long history --------------------------
    clock = time.perf_counter()
    big = groups[0]
    guidelines_rng = random.Random(rng.random())
    blocks = build_document(guidelines_rng)
    guidelines = documents.create_document(
        big,
        title="Linee guida dello Spazio Neutro",
        description="Le regole condivise per gli incontri protetti.",
        body="\n\n".join(blocks) + "\n",
        author=coordinator,
    )
    for number in range(1, spec["guidelines_revisions"]):
        blocks = edit(blocks, guidelines_rng)
        outcome = documents.save(
            guidelines,
            author=rng.choice(members[big.id]),
            body="\n\n".join(blocks) + "\n",
            base_number=number,
            section=None,
            summary=f"Modifica {number}",
        )
        assert outcome.status == "saved", outcome.status
        if number % 250 == 0:
            _log(f"guidelines: {number} revisions")
    timings["guidelines_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    for n in range(spec["documents"] - 1):
        group = groups[n % len(groups)]
        body = "\n\n".join(
            (f"## {sentence(rng)[:50]}" if k % 4 == 0 else paragraph(rng, 200, 700))
            for k in range(rng.randint(4, 14))
        )
        document = documents.create_document(
            group,
            title=f"Documento {n + 1}: {sentence(rng)[:40].rstrip('.;:?')}",
            description=sentence(rng),
            body=body,
            author=rng.choice(members[group.id]),
        )
        for number in range(1, rng.randint(1, 4)):
            body += "\n\n" + paragraph(rng, 100, 400)
            documents.save(
                document,
                author=rng.choice(members[group.id]),
                body=body,
                base_number=number,
                section=None,
                summary="",
            )
    timings["documents_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    counts = rebuild(db.session)
    timings["search_reindex_s"] = time.perf_counter() - clock
    return {
        "reader_email": reader.email,
        "coordinator_email": coordinator.email,
        "big_group": groups[0].slug,
        "small_group": groups[1].slug,
        "big_group_threads": thread_counts[groups[0].id],
        "small_group_threads": thread_counts[groups[1].id],
        "guidelines_id": guidelines.id,
        "guidelines_head": guidelines.text.head,
        "long_thread_id": long_thread_id,
        "long_thread_messages": spec["long_thread_replies"] + 1,
        "search_term": "genitori",
        "search_entries": counts,
        "spec": spec,
        "timings": {name: round(seconds, 1) for name, seconds in timings.items()},
    }


def _threads(spec, rng, groups, members, EventKind) -> tuple[int, dict[int, int]]:
    """Threads and messages with their events, by Core inserts in chunks."""
    from sqlalchemy import insert

    from workspace.activity.models import Event
    from workspace.discussions.models import Message, Thread
    from workspace.extensions import db
    from workspace.texts.markdown import render

    big, small = groups[0], groups[1]
    rest = groups[2:]
    owners = [big.id] * spec["big_group_threads"] + [small.id] * spec["small_group_threads"]
    while len(owners) < spec["threads"]:
        owners.append(rest[len(owners) % len(rest)].id)
    # Messages per thread: the long thread first, the rest spread (each thread at least one).
    others = spec["threads"] - 1
    remaining = spec["messages"] - (spec["long_thread_replies"] + 1)
    sizes = [1] * others
    for _ in range(remaining - others):
        sizes[rng.randrange(others)] += 1
    sizes.insert(0, spec["long_thread_replies"] + 1)
    total = sum(sizes)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365)
    step = timedelta(days=360) / total
    # Every message gets a moment of the year; a thread's messages are in order.
    moments = sorted(start + step * n for n in range(total))
    order = list(range(total))
    thread_of = [t for t, count in enumerate(sizes) for _ in range(count)]
    rng.shuffle(thread_of)  # threads interleave over the year
    # The long thread's messages must be in order: numbers follow the order of moments.
    profile_service = _service_of_people(db)

    thread_rows = []
    for t, group_id in enumerate(owners):
        thread_rows.append(
            {
                "group_id": group_id,
                "title": f"Discussione {t + 1}: {sentence(rng)[:60].rstrip('.;:?')}"
                if t
                else "Il filo lungo sul calendario degli incontri",
                "created_by_id": None,
                "created_at": now,
                "last_activity_at": now,
                "last_number": 0,
            }
        )
    db.session.execute(insert(Thread), thread_rows)
    db.session.flush()
    ids = db.session.scalars(db.select(Thread.id).order_by(Thread.id)).all()[-len(owners) :]
    numbers = [0] * len(owners)
    first_at: list[datetime | None] = [None] * len(owners)
    last_at: list[datetime | None] = [None] * len(owners)
    creators: list[int | None] = [None] * len(owners)
    messages, events = [], []

    def flush():
        if messages:
            db.session.execute(insert(Message), messages)
            db.session.execute(insert(Event), events)
            messages.clear()
            events.clear()

    for n in order:
        t = thread_of[n]
        group_id = owners[t]
        author = rng.choice(members[group_id])
        numbers[t] += 1
        at = moments[n]
        body = " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))
        if numbers[t] == 1:
            first_at[t], creators[t] = at, author.id
        last_at[t] = at
        messages.append(
            {
                "thread_id": ids[t],
                "number": numbers[t],
                "author_id": author.id,
                "body": body,
                "html": render(body, anchors=False, mentions={}).html,
                "created_at": at,
            }
        )
        events.append(
            {
                "created_at": at,
                "kind": str(
                    EventKind.THREAD_OPENED if numbers[t] == 1 else EventKind.MESSAGE_POSTED
                ),
                "group_id": group_id,
                "actor_id": author.id,
                "service_id": profile_service.get(author.id),
                "title": thread_rows[t]["title"],
                "summary": body[:200],
                "thread_id": ids[t],
                "message_number": numbers[t],
            }
        )
        if len(messages) >= 2_000:
            flush()
    flush()
    for t, ident in enumerate(ids):
        db.session.execute(
            db.update(Thread)
            .where(Thread.id == ident)
            .values(
                last_number=numbers[t],
                created_at=first_at[t],
                last_activity_at=last_at[t],
                created_by_id=creators[t],
            )
        )
    db.session.commit()
    counts: dict[int, int] = {}
    for group_id in owners:
        counts[group_id] = counts.get(group_id, 0) + 1
    return ids[0], counts


def _service_of_people(db) -> dict[int, int | None]:
    from workspace.people.models import Profile

    return dict(db.session.execute(db.select(Profile.user_id, Profile.service_id)).all())


def _meetings(spec, rng, groups, members, coordinator) -> None:
    from workspace.activity.models import EventKind
    from workspace.documents import service as documents
    from workspace.extensions import db
    from workspace.meetings import service as meetings
    from workspace.meetings.models import AgendaItem, Meeting, Participant

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for n in range(spec["meetings"]):
        group = groups[n % len(groups)]
        # Most in the past (they have minutes), a few ahead.
        days = rng.randint(-700, 60)
        starts = now + timedelta(days=days, hours=rng.randint(-4, 4))
        meeting = Meeting(
            group_id=group.id,
            title=f"Incontro {n + 1} del gruppo {group.name}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place=f"Sala {rng.randint(1, 9)}, via Roma {rng.randint(1, 200)}",
            created_by_id=coordinator.id,
        )
        invited = rng.sample(members[group.id], k=min(8, len(members[group.id])))
        meeting.participants = [Participant(user_id=person.id) for person in invited]
        meeting.items = [
            AgendaItem(position=k, title=sentence(rng)[:80].rstrip(".;:?"), added_by_id=None)
            for k in range(rng.randint(2, 5))
        ]
        db.session.add(meeting)
        db.session.flush()
        meetings._event(EventKind.MEETING_SCHEDULED, meeting, by=coordinator, summary="")
        db.session.commit()
        if days < 0:
            minutes = meetings.start_minutes(meeting, by=coordinator)
            body = revisions_text(minutes) + "\n\n" + paragraph(rng, 300, 900) + "\n"
            documents.save(
                minutes,
                author=coordinator,
                body=body,
                base_number=minutes.text.head,
                section=None,
                summary="Verbale",
            )


def revisions_text(document) -> str:
    from workspace.revisions import service as revisions

    return revisions.text_at(document.text, document.text.head)


FIRST_NAMES = [
    "Giulia",
    "Marco",
    "Chiara",
    "Luca",
    "Francesca",
    "Paolo",
    "Sara",
    "Andrea",
    "Elena",
    "Matteo",
    "Anna",
    "Davide",
    "Laura",
    "Simone",
    "Marta",
    "Stefano",
    "Silvia",
    "Alessandro",
    "Valentina",
    "Federico",
]
LAST_NAMES = [
    "Rossi",
    "Bianchi",
    "Ferrari",
    "Esposito",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "Costa",
    "Giordano",
    "Mancini",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
]


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--size", choices=sorted(SIZES), default="realistic")
    arguments.add_argument("--seed", type=int, default=SEED)
    arguments.add_argument("--force", action="store_true", help="build again even if cached")
    options = arguments.parse_args()
    path, manifest = load(options.size, options.seed, force=options.force)
    print(path)
