"""Where a page's time goes: the benchmark's pages in-process, timed, with their SQL and a profile.

The runner (bench/run.py) says how slow a page is under load; this says why. On a copy of the
generated data (bench/generate.py), signed in as the runner's reader, each page is requested
through the Flask test client:

    .venv/bin/python bench/profile.py                    # every page: median and best time
    .venv/bin/python bench/profile.py group history_first --sql      # + its slowest statements
    .venv/bin/python bench/profile.py compare --profile  # + a pyinstrument profile in results/

Pages are named as in the report's JSON (home, group, group_small, document, history_first,
history_last, compare, thread, thread_first, activity, search), plus ``reply`` and ``save``
for the two writes. ``--profile`` needs pyinstrument (``pip install -e '.[bench]'``).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from run import csrf_token, hidden_input, pages_of  # noqa: E402

RESULTS = HERE / "results"


def make_client(size: str):
    cached, manifest = generate.load(size)
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-profile-"))
    copy = folder / "bench.db"
    shutil.copyfile(cached, copy)
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)
    from workspace import create_app

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}",
            "PUBLIC_URL": "http://localhost",
            "TWO_FACTOR_REQUIRED_ROLES": [],
            "RATELIMIT_ENABLED": False,
            "MAIL_OUTBOX": False,
        }
    )
    client = app.test_client()
    token = csrf_token(client.get("/accedi").text)
    answer = client.post(
        "/accedi",
        data={
            "email": manifest["reader_email"],
            "password": manifest["password"],
            "csrf_token": token,
        },
    )
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {manifest['reader_email']}: {answer.status_code}")
    return app, client, manifest


def writes(client, manifest) -> dict:
    """The two writes of the runner, as callables that make one request each."""
    big = manifest["big_group"]
    thread = f"/gruppi/{big}/discussioni/{manifest['long_thread_id']}"
    token = csrf_token(client.get(thread).text)
    counter = iter(range(10**9))

    def reply():
        n = next(counter)
        body = f"Risposta di prova numero {n} dal banco, sul calendario degli incontri protetti."
        data = {"csrf_token": token, "client_token": "", "quoted": "", "body": body}
        return client.post(thread + "/rispondi", data=data)

    document = f"/gruppi/{big}/documenti/{manifest['guidelines_id']}"
    page = client.get(document + "/modifica").text
    editor, state = hidden_input(page, "editor"), {"base": int(hidden_input(page, "base"))}
    markdown = client.get(f"{document}/versioni/{state['base']}/scarica.md").data.decode()
    paragraphs = markdown.rstrip("\n").split("\n\n")
    editable = [
        n
        for n, text in enumerate(paragraphs)
        if len(text) > 200 and not text.startswith(("#", "- "))
    ]

    def save():
        n = next(counter)
        paragraphs[editable[n % len(editable)]] = (
            f"Paragrafo riscritto nella modifica {n} del banco: "
            + "il servizio accompagna il bambino e i genitori nell'incontro " * 6
        )
        answer = client.post(
            document + "/modifica",
            data={
                "csrf_token": token,
                "editor": editor,
                "base": state["base"],
                "section": "",
                "summary": f"Modifica {n}",
                "body": "\n\n".join(paragraphs) + "\n",
            },
        )
        if answer.status_code == 302 and "versione=corrente" in answer.headers["Location"]:
            state["base"] += 1
        else:
            raise SystemExit(f"the save was refused: {answer.status_code}")
        return answer

    return {"reply": reply, "save": save}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", help="page keys (default: every read page)")
    parser.add_argument("--size", default="large", choices=sorted(generate.SIZES))
    parser.add_argument("--repeat", type=int, default=15, help="requests timed per page")
    parser.add_argument("--sql", action="store_true", help="list the slowest statements")
    parser.add_argument("--profile", action="store_true", help="pyinstrument, to results/")
    options = parser.parse_args()

    app, client, manifest = make_client(options.size)
    requests = {key: (label, path) for key, label, path in pages_of(manifest)}
    actions = {key: (lambda path=path: client.get(path)) for key, (_, path) in requests.items()}
    labels = {key: label for key, (label, _) in requests.items()}
    for key, action in writes(client, manifest).items():
        actions[key], labels[key] = (
            action,
            {"reply": "Post a reply", "save": "Save a revision"}[key],
        )
    chosen = options.pages or list(requests)
    unknown = set(chosen) - set(actions)
    if unknown:
        raise SystemExit(
            f"unknown pages: {', '.join(sorted(unknown))}; known: {', '.join(actions)}"
        )

    statements: list[tuple[float, str]] = []
    if options.sql:
        from sqlalchemy import event

        from workspace.extensions import db

        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def started(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def finished(conn, cursor, statement, parameters, context, executemany):
            elapsed = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
            statements.append((elapsed, " ".join(statement.split())))

    for key in chosen:
        action = actions[key]
        action()  # warm
        times = []
        statements.clear()
        for _ in range(options.repeat):
            begun = time.perf_counter()
            answer = action()
            times.append((time.perf_counter() - begun) * 1000)
        print(
            f"{key:14} {statistics.median(times):7.1f} ms median {min(times):7.1f} best  "
            f"{answer.status_code} {len(answer.data):>8} B  {labels[key]}"
        )
        if options.sql:
            per_request = len(statements) / options.repeat
            total = sum(ms for ms, _ in statements) / options.repeat
            print(f"{'':14} {per_request:.0f} statements, {total:.1f} ms of SQL per request")
            by_text: dict[str, float] = {}
            for ms, statement in statements:
                by_text[statement] = by_text.get(statement, 0) + ms / options.repeat
            for statement, ms in sorted(by_text.items(), key=lambda item: -item[1])[:5]:
                print(f"{'':14} {ms:6.2f} ms  {statement[:150]}")
        if options.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            action()
            profiler.stop()
            RESULTS.mkdir(parents=True, exist_ok=True)
            target = RESULTS / f"profile-{key}.txt"
            target.write_text(profiler.output_text(color=False), encoding="utf-8")
            print(f"{'':14} profile: {target}")


if __name__ == "__main__":
    main()
