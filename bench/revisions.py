"""Benchmark of stored revisions through the real service and database.

Run with ``.venv/bin/python bench/revisions.py`` (``make bench-storage``); not part of the tests.
Where ``bench/storage.py`` measures the storage engine alone, this one saves revisions the way
the editor does (``workspace.revisions.service.save``: text, rendered HTML and table of
contents, deltas and snapshots, the revision row and its indexes) into a fresh SQLite file,
and asks the database how much it grew.

The document and the edits are those of ``bench/storage.py`` (fixed seed): a ~100 KB
Markdown guidelines document, then 500 one-paragraph edits of 300-600 characters.

It prints and writes ``bench/results/revisions.json`` with:

* ``db_bytes_per_edit``: growth of the SQLite file (after ``VACUUM``) over the 500 edits,
  divided by 500: everything a revision costs, rows and indexes included. Target: about 1 KB.
* ``payload_bytes_per_edit``: the stored payloads alone (deltas and periodic snapshots).
* ``full_text_bytes`` and ``full_text_compressed_bytes``: what storing each revision whole
  would cost (MediaWiki's way), for comparison.
* rebuild times of the oldest and the newest revision, and the worst over all revisions,
  each the median of 20 rebuilds (text, HTML and headings: what a reader's page needs).
* ``attribution_ms``: who wrote each paragraph of the newest revision (the attribution page's
  work), median of 5. Snapshots keep the attribution of their lines, so this replays at most
  one chain whatever the length of the history; ``attribution_from_first_revision_ms`` is the
  same with that kept state removed (replaying every revision, as texts stored before it do).

``--edits N`` saves N edits instead of 500 (the results are then only printed): with 3,000 the
attribution figures show what a long history costs.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from storage import SEED, build_document, edit  # noqa: E402

EDITS = 500
REPEATS = 20
RESULTS = HERE / "results" / "revisions.json"


def _median_seconds(action, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(edits: int = EDITS) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)
    database = folder / "bench.db"

    import flask_migrate

    from workspace import create_app
    from workspace.accounts.models import User
    from workspace.extensions import db
    from workspace.revisions import service as revisions
    from workspace.revisions.models import Revision

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            # Signed in with a password only: the benchmark measures pages, not sign-in.
            "TWO_FACTOR_REQUIRED_ROLES": [],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )
    rng = random.Random(SEED)
    blocks = build_document(rng)
    with app.app_context():
        flask_migrate.upgrade()  # the schema as deployed (search's FTS5 table included)
        author = User(email="bench@tavolo.example", name="Bench", password_hash=None)
        db.session.add(author)
        db.session.commit()
        versioned = revisions.create_text()
        db.session.commit()
        texts = ["\n\n".join(blocks) + "\n"]
        revisions.save(versioned, author=author, text=texts[0], base_number=0)

        def size_after_vacuum() -> int:
            db.session.commit()
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM")
            return database.stat().st_size

        before = size_after_vacuum()
        first_payload = db.session.scalar(
            db.select(db.func.length(Revision.payload)).where(Revision.number == 1)
        )
        start = time.perf_counter()
        for number in range(1, edits + 1):
            blocks = edit(blocks, rng)
            texts.append("\n\n".join(blocks) + "\n")
            outcome = revisions.save(
                versioned, author=author, text=texts[-1], base_number=number, summary="modifica"
            )
            assert outcome.status == "saved", outcome.status
        save_seconds = (time.perf_counter() - start) / edits
        after = size_after_vacuum()
        payloads = db.session.scalar(
            db.select(db.func.sum(db.func.length(Revision.payload))).where(Revision.number > 1)
        )
        snapshots = db.session.scalar(
            db.select(db.func.count(Revision.id)).where(Revision.is_snapshot.is_(True))
        )
        head = versioned.head

        for number in (1, head, head // 2):
            assert revisions.text_at(versioned, number) == texts[number - 1]

        oldest = _median_seconds(lambda: revisions.content_at(versioned, 1))
        newest = _median_seconds(lambda: revisions.content_at(versioned, head))
        worst = max(
            (
                _median_seconds(lambda n=n: revisions.content_at(versioned, n), 5)
                for n in range(1, head + 1, 7)
            ),
        )
        full = [len(text.encode("utf-8")) for text in texts[1:]]
        compressed = [len(zlib.compress(text.encode("utf-8"), 9)) for text in texts[1::25]]
        attribution = _median_seconds(lambda: revisions.attribution(versioned, head), 5)
        db.session.execute(db.update(Revision).values(line_keys=None))
        db.session.commit()
        attribution_from_first = _median_seconds(lambda: revisions.attribution(versioned, head), 1)

    results = {
        "edits": edits,
        "document_chars": len(texts[0]),
        "first_revision_payload_bytes": first_payload,
        "db_bytes_per_edit": round((after - before) / edits),
        "payload_bytes_per_edit": round(payloads / edits),
        "snapshots": snapshots,
        "full_text_bytes": round(statistics.mean(full)),
        "full_text_compressed_bytes": round(statistics.mean(compressed)),
        "save_ms": round(save_seconds * 1000, 2),
        "rebuild_oldest_ms": round(oldest * 1000, 3),
        "rebuild_newest_ms": round(newest * 1000, 3),
        "rebuild_worst_ms": round(worst * 1000, 3),
        "attribution_ms": round(attribution * 1000, 1),
        "attribution_from_first_revision_ms": round(attribution_from_first * 1000, 1),
    }
    if edits == EDITS:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--edits", type=int, default=EDITS)
    main(arguments.parse_args().edits)
