"""Benchmark of a group's archive export at the scale the issue names.

Run with ``.venv/bin/python bench/archive.py``; not part of the tests. A fresh SQLite file
gets one group with a ~100 KB document of 2,000 revisions (saved through the revisions
service, one paragraph edited each time, as ``bench/storage.py`` edits) and 2,000 threads of
10 messages each (20,000; inserted in bulk, one in ten edited, one in fifty withdrawn). Then
``workspace.archive.service.export`` builds the zip, and the script reports:

* ``export_seconds``: the whole export (median of ``--repeats``);
* ``peak_python_mb``: the largest Python memory in use during one more export, traced
  (``tracemalloc``): it should stay near one revision and one batch, not the archive;
* ``zip_mb`` and ``members``: what the coordinator downloads.

``--revisions N`` and ``--threads N`` make a smaller or larger group. Results go to
``bench/results/archive.json`` for the default sizes.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from storage import SEED, build_document, edit, paragraph  # noqa: E402

REVISIONS = 2_000
THREADS = 2_000
MESSAGES_PER_THREAD = 10
RESULTS = HERE / "results" / "archive.json"


def main(revision_count: int, thread_count: int, repeats: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)

    import flask_migrate
    from sqlalchemy import insert

    from workspace import create_app
    from workspace.accounts.models import User
    from workspace.archive import service as archive
    from workspace.clock import utcnow
    from workspace.discussions.models import Message, MessageVersion, Thread
    from workspace.documents.models import Document
    from workspace.extensions import db
    from workspace.groups.models import Group, GroupRole, Membership
    from workspace.revisions import service as revisions

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            # Signed in with a password only: the benchmark measures pages, not sign-in.
            "TWO_FACTOR_REQUIRED_ROLES": [],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "PUBLIC_URL": "http://tavolo.bench",
        }
    )
    rng = random.Random(SEED)
    with app.app_context():
        # The migrations, not create_all: they also make what is not a model (search's index).
        flask_migrate.upgrade()
        author = User(email="bench@tavolo.example", name="Bench", password_hash=None)
        group = Group(slug="linee-guida", name="Linee guida")
        db.session.add_all([author, group])
        db.session.flush()
        db.session.add(Membership(group_id=group.id, user_id=author.id, role=GroupRole.LEAD))
        blocks = build_document(rng)
        versioned = revisions.create_text("\n\n".join(blocks) + "\n", author=author)
        db.session.add(
            Document(
                group_id=group.id,
                text_id=versioned.id,
                title="Linee guida",
                title_key="linee guida",
                created_by_id=author.id,
            )
        )
        db.session.commit()
        start = time.perf_counter()
        for number in range(1, revision_count):
            blocks = edit(blocks, rng)
            outcome = revisions.save(
                versioned,
                author=author,
                text="\n\n".join(blocks) + "\n",
                base_number=number,
                summary=f"modifica {number}",
            )
            assert outcome.status == "saved", outcome.status
        print(f"{revision_count} revisions saved in {time.perf_counter() - start:.0f} s")

        now = utcnow()
        bodies = [paragraph(rng, 100, 600) for _ in range(200)]
        for first in range(0, thread_count, 500):
            threads = [
                {
                    "group_id": group.id,
                    "title": f"Discussione {n}",
                    "created_by_id": author.id,
                    "created_at": now,
                    "last_activity_at": now,
                    "last_number": MESSAGES_PER_THREAD,
                }
                for n in range(first, min(first + 500, thread_count))
            ]
            ids = db.session.scalars(insert(Thread).returning(Thread.id), threads).all()
            messages = [
                {
                    "thread_id": thread_id,
                    "number": number,
                    "author_id": author.id,
                    "body": rng.choice(bodies),
                    "html": "",
                    "created_at": now + timedelta(minutes=number),
                    "edited_at": now if number % 10 == 3 else None,
                    "withdrawn_at": now if (thread_id + number) % 50 == 0 else None,
                }
                for thread_id in ids
                for number in range(1, MESSAGES_PER_THREAD + 1)
            ]
            db.session.execute(insert(Message), messages)
            edited = db.session.scalars(
                db.select(Message.id).where(
                    Message.thread_id.in_(ids), Message.edited_at.is_not(None)
                )
            ).all()
            db.session.execute(
                insert(MessageVersion),
                [
                    {"message_id": m, "body": rng.choice(bodies), "html": "", "written_at": now}
                    for m in edited
                ],
            )
        db.session.commit()
        print(f"{thread_count} threads of {MESSAGES_PER_THREAD} messages inserted")

        times = []
        for _ in range(repeats):
            db.session.expire_all()
            start = time.perf_counter()
            spool = archive.export(group)
            times.append(time.perf_counter() - start)
            size = spool.seek(0, 2)
            spool.seek(0)
            with zipfile.ZipFile(spool) as zipped:
                members = len(zipped.namelist())
            spool.close()
        db.session.expire_all()
        tracemalloc.start()
        archive.export(group).close()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    results = {
        "revisions": revision_count,
        "threads": thread_count,
        "messages": thread_count * MESSAGES_PER_THREAD,
        "export_seconds": round(statistics.median(times), 2),
        "peak_python_mb": round(peak / 1024 / 1024, 1),
        "zip_mb": round(size / 1024 / 1024, 1),
        "members": members,
    }
    if (revision_count, thread_count) == (REVISIONS, THREADS):
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--revisions", type=int, default=REVISIONS)
    arguments.add_argument("--threads", type=int, default=THREADS)
    arguments.add_argument("--repeats", type=int, default=3)
    options = arguments.parse_args()
    main(options.revisions, options.threads, options.repeats)
