# ruff: noqa: S603, S607, S310, S608 (a local benchmark: fixed commands, our own URLs and tables)
"""The benchmark of issue 8: Tavolo under gunicorn against a bare endpoint, with wrk.

Run with ``make bench`` or ``.venv/bin/python bench/run.py [--sizes large,realistic]
[--backends sqlite,postgresql] [--duration 10]``. Not part of the tests.

For each size (bench/generate.py builds the data once, with a fixed seed, and caches it under
bench/.data/) and each backend (SQLite always; PostgreSQL when it answers on 127.0.0.1:5432,
in the database ``BENCH_PG_DATABASE``, default ``tavolo_bench``, whose schema is dropped and
made again), the runner:

1. copies the cached database (SQLite: the file; PostgreSQL: every row, then the search index
   rebuilt), so writes never touch the cache;
2. starts ``gunicorn -w 2`` on it with ``FLASK_BENCH_BARE_ENDPOINT=1`` (the bare endpoint of
   workspace/bench_support.py: no database, no template);
3. signs in as an operator member of the measured groups (the real form, with its CSRF token);
4. for every page, warms up (``--warmup`` seconds of wrk), then measures ``--duration``
   seconds with ``wrk -t1 -c4`` and a Lua ``done()`` that prints the median, p95 and p99 of the
   latency and the request count; the bare endpoint is measured first and last, and every
   figure is divided by the mean of those two medians (absolute times on a shared machine are
   noise; the ratio is what the targets bound);
5. measures the two writes with wrk too: posting a reply (``-c4``, every body distinct) and
   saving a revision of the 100 KB document (``-c1``, one editor saving again and again: the
   Lua script sends the whole text with one paragraph rewritten and the head it was written
   from, which it counts from the saves answered with a redirect, so no save is a conflict);
6. weighs a first visit (HTML, CSS and JavaScript, each gzipped) and checks that no URL on
   the page points to another host.

Storage figures come from bench/storage.py (the engine alone, 500 one-paragraph edits of the
100 KB document) and from the generated database (rebuilding its oldest and newest revision
through the revision service).

Results: ``bench/results/report.json`` and ``bench/results/report.md`` (and a copy of each
named with the date); ``--publish`` also copies the Markdown to bench/REPORT.md.
"""

import argparse
import contextlib
import gzip
import io
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

RESULTS = HERE / "results"
PG_HOST, PG_PORT = "127.0.0.1", 5432
READ_RATIO_MAX = 8
COMPARE_RATIO_MAX = 40
WRITE_RATIO_MAX = 15
HISTORY_LAST_OVER_FIRST_MAX = 1.3
GROUP_BIG_OVER_SMALL_MAX = 1.5
BYTES_PER_EDIT_MAX = 1024
REBUILD_OLDEST_OVER_NEWEST_MAX = 3
ASSETS_GZIP_MAX = 60 * 1024

DONE_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local saved, refused = 0, 0
  for _, t in ipairs(threads) do
    saved = saved + (t:get("saved") or 0)
    refused = refused + (t:get("refused") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"errors\":%d,\"status_errors\":%d," ..
    "\"p50\":%d,\"p95\":%d,\"p99\":%d,\"mean\":%.1f,\"max\":%d,\"saved\":%d,\"refused\":%d}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    latency.max, saved, refused))
end
"""

GET_LUA = """
wrk.method = "GET"
wrk.headers["Cookie"] = {cookie}
"""

REPLY_LUA = """
local counter = 0
saved, refused = 0, 0
request = function()
  counter = counter + 1
  local body = "csrf_token=" .. {csrf} .. "&client_token=&quoted=&body=" ..
    "Risposta+di+prova+numero+" .. counter .. "+dal+banco+" .. math.random(1, 1000000000) ..
    "%2C+sul+calendario+degli+incontri+protetti."
  return wrk.format("POST", {path}, {{
    ["Cookie"] = {cookie},
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }}, body)
end
response = function(status, headers, body)
  -- A reply is a redirect to the message; anything else (a form again, a sign-in) is not.
  local location = headers["Location"] or ""
  if status == 302 and not string.find(location, "accedi", 1, true) then
    saved = saved + 1
  else
    refused = refused + 1
  end
end
"""

SAVE_LUA = """
local paragraphs = dofile({paragraphs_file})
local editable = dofile({editable_file})
local base = {base}
local counter = 0
local pending = nil
saved, refused = 0, 0
request = function()
  counter = counter + 1
  local index = editable[(counter % #editable) + 1]
  pending = {{index, paragraphs[index]}}
  paragraphs[index] = "Paragrafo+riscritto+nella+modifica+" .. counter .. "+del+banco%3A+" ..
    string.rep("il+servizio+accompagna+il+bambino+e+i+genitori+nell%27incontro+", 6) .. counter
  local body = "csrf_token=" .. {csrf} .. "&editor=" .. {editor} .. "&base=" .. base ..
    "&section=&summary=Modifica+" .. counter .. "&body=" .. table.concat(paragraphs, "%0A%0A")
  return wrk.format("POST", {path}, {{
    ["Cookie"] = {cookie},
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }}, body)
end
response = function(status, headers, body)
  -- Saved: a redirect to the document's current revision. A text kept for later (303 to the
  -- editor or the sign-in) or a conflict (409) is not a save.
  local location = headers["Location"] or ""
  if status == 302 and string.find(location, "versione=corrente", 1, true) then
    saved = saved + 1
    base = base + 1
  else
    refused = refused + 1
    paragraphs[pending[1]] = pending[2]
  end
end
"""


def lua_string(value: str) -> str:
    """A Lua long string literal holding ``value`` (no closing bracket sequence inside)."""
    level = 1
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "?"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- Databases --------------------------------------------------------------------------------


def postgresql_answers() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def postgresql_url() -> str:
    name = os.environ.get("BENCH_PG_DATABASE", "tavolo_bench")
    if name == "test":
        raise SystemExit("BENCH_PG_DATABASE must not be the tests' database")
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


def copy_to_postgresql(sqlite_path: Path, url: str) -> None:
    """The schema by migration, every row of the SQLite file, sequences, the search index."""
    subprocess.run(
        ["createdb", "-h", PG_HOST, "-U", "postgres", url.rsplit("/", 1)[1]],
        capture_output=True,
        check=False,
    )
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-pg-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)
    import flask_migrate
    from sqlalchemy import create_engine, insert, select, text

    from workspace import create_app
    from workspace.extensions import db
    from workspace.search.index import rebuild

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "TWO_FACTOR_REQUIRED_ROLES": [],
        }
    )
    source = create_engine(f"sqlite:///{sqlite_path}")
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        with contextlib.redirect_stderr(io.StringIO()):
            flask_migrate.upgrade()
        with source.connect() as reading, db.engine.begin() as writing:
            for table in reversed(db.metadata.sorted_tables):
                writing.execute(table.delete())  # rows the migrations seeded come over too
            for table in db.metadata.sorted_tables:
                if table.name == "search_entries":
                    continue  # rebuilt below, with PostgreSQL's own index
                result = reading.execute(select(table))
                while rows := result.mappings().fetchmany(2_000):
                    writing.execute(insert(table), [dict(row) for row in rows])
                if "id" in table.c and table.c.id.primary_key:
                    writing.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
        rebuild(db.session)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    source.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def rebuild_in_database(database_url: str, manifest: dict, repeats: int = 20) -> dict:
    """Median time to rebuild the guidelines' oldest and newest revision (text, HTML, table of
    contents: what a reader's page needs) through the revision service."""
    folder = Path(tempfile.mkdtemp(prefix="tavolo-bench-rebuild-"))
    os.environ["TAVOLO_INSTANCE_PATH"] = str(folder)
    from workspace import create_app
    from workspace.documents.models import Document
    from workspace.extensions import db
    from workspace.revisions import service as revisions

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TWO_FACTOR_REQUIRED_ROLES": [],
        }
    )
    with app.app_context():
        document = db.session.get(Document, manifest["guidelines_id"])
        head = document.text.head

        def median_ms(number: int) -> float:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                revisions.content_at(document.text, number)
                times.append(time.perf_counter() - start)
            return statistics.median(times) * 1000

        median_ms(head)  # warm up
        oldest, newest = [], []
        for _ in range(3):  # alternate, so whatever else the machine does hits both alike
            oldest.append(median_ms(1))
            newest.append(median_ms(head))
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "revisions": head,
        "oldest_ms": round(statistics.median(oldest), 3),
        "newest_ms": round(statistics.median(newest), 3),
        "oldest_over_newest": round(statistics.median(oldest) / statistics.median(newest), 2),
    }


def storage_figures() -> dict:
    import storage

    with contextlib.redirect_stdout(io.StringIO()):
        figures = storage.main()
    rebuild = figures["rebuild_ms"]
    return {
        "bytes_per_edit": figures["bytes_per_edit"],
        "bytes_per_edit_steady_state": figures["bytes_per_edit_steady_state"],
        "edits": figures["edits"],
        "document_chars": figures["document_chars"],
        "rebuild_oldest_ms": rebuild["overall_oldest"],
        "rebuild_newest_ms": rebuild["overall_newest"],
        "rebuild_worst_ms": rebuild["worst_any_revision"],
        "oldest_over_newest": round(rebuild["overall_oldest"] / rebuild["overall_newest"], 2),
        "chain_worst_over_snapshot": figures["chain_worst_over_snapshot"],
    }


# -- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with 2 workers on the given database; stopped by the pid it started."""

    def __init__(self, database_url: str, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "gunicorn.log"
        env = {
            **os.environ,
            "SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "PUBLIC_URL": self.url,
            "DATABASE_URL": database_url,
            "TAVOLO_INSTANCE_PATH": str(workdir / "instance"),
            "FLASK_BENCH_BARE_ENDPOINT": "1",
            "MAIL_OUTBOX": "",
            "FLASK_MAIL_OUTBOX": "false",
            # The benchmark signs a coordinator in with a password only.
            "FLASK_TWO_FACTOR_REQUIRED_ROLES": "[]",
        }
        env.pop("TEST_DATABASE_URL", None)
        with self.log_path.open("w") as log_file:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "120",
                    "workspace:create_app()",
                ],
                env=env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_bench/bare", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer in 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A signed-in session: cookies kept, redirects not followed (their status is reported)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def sign_in(self, email: str, password: str) -> None:
        status, _, page = self.request("/accedi")
        token = csrf_token(page.decode())
        status, headers, _ = self.request(
            "/accedi", {"csrf_token": token, "email": email, "password": password}
        )
        if status not in (302, 303):
            raise RuntimeError(f"sign-in failed with {status}")

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def csrf_token(page: str) -> str:
    return hidden_input(page, "csrf_token")


def hidden_input(page: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page):
        if re.search(rf'name="{name}"', tag):
            value = re.search(r'value="([^"]*)"', tag)
            return unescape(value.group(1)) if value else ""
    raise RuntimeError(f"no input {name!r} on the page")


# -- wrk --------------------------------------------------------------------------------------


def run_wrk(url: str, script: str, *, seconds: float, connections: int, folder: Path) -> dict:
    lua = folder / f"script-{time.monotonic_ns()}.lua"
    lua.write_text(script + DONE_LUA, encoding="utf-8")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "-s",
        str(lua),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"BENCH_JSON (\{.*\})", done.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    figures = json.loads(match.group(1))
    seconds_run = figures["duration_us"] / 1e6
    return {
        "requests": figures["requests"],
        "errors": figures["errors"],
        "non_2xx_3xx": figures["status_errors"],
        "median_ms": figures["p50"] / 1000,
        "p95_ms": figures["p95"] / 1000,
        "p99_ms": figures["p99"] / 1000,
        "mean_ms": figures["mean"] / 1000,
        "throughput_rps": figures["requests"] / seconds_run if seconds_run else 0.0,
        "saved": figures["saved"],
        "refused": figures["refused"],
    }


# -- Page weight ------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src", "action", "hx-get", "hx-post", "data-src", "poster"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.assets.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])


def page_weight(browser: Browser, path: str) -> dict:
    """A first visit of ``path``: its HTML and the CSS and JavaScript it links, each gzipped
    (level 6, what a reverse proxy sends), and any URL that leads to another host."""
    status, headers, html = browser.request(path)
    parser = _Links()
    parser.feed(html.decode("utf-8", "replace"))
    ours = urllib.parse.urlsplit(browser.base).netloc
    foreign = sorted(
        {
            url
            for url in parser.urls + parser.assets
            if urllib.parse.urlsplit(url).netloc not in ("", ours)
            and urllib.parse.urlsplit(url).scheme in ("http", "https", "")
        }
    )
    assets = []
    for url in parser.assets:
        asset_status, _, body = browser.request(urllib.parse.urlsplit(url).path)
        assets.append(
            {
                "url": url,
                "status": asset_status,
                "bytes": len(body),
                "gzip_bytes": len(gzip.compress(body, 6)),
            }
        )
    return {
        "path": path,
        "status": status,
        "html_bytes": len(html),
        "html_gzip_bytes": len(gzip.compress(html, 6)),
        "server_compresses": headers.get("Content-Encoding") == "gzip",
        "assets": assets,
        "assets_gzip_bytes": sum(a["gzip_bytes"] for a in assets),
        "total_gzip_bytes": len(gzip.compress(html, 6)) + sum(a["gzip_bytes"] for a in assets),
        "foreign_urls": foreign,
    }


# -- One run: a size on a backend -------------------------------------------------------------


def pages_of(manifest: dict) -> list[tuple[str, str, str]]:
    """(key, label, path) of every read page measured."""
    from workspace.discussions.service import MESSAGES_PER_PAGE
    from workspace.documents.routes import HISTORY_PAGE_SIZE

    big, small = manifest["big_group"], manifest["small_group"]
    document = f"/gruppi/{big}/documenti/{manifest['guidelines_id']}"
    head = manifest["guidelines_head"]
    thread = f"/gruppi/{big}/discussioni/{manifest['long_thread_id']}"
    last_thread_page = math.ceil(manifest["long_thread_messages"] / MESSAGES_PER_PAGE)
    return [
        ("home", "Home page", "/"),
        ("group", f"Group page ({manifest['big_group_threads']} threads)", f"/gruppi/{big}"),
        (
            "group_small",
            f"Group page ({manifest['small_group_threads']} threads)",
            f"/gruppi/{small}",
        ),
        ("document", f"Document page (100 KB, {head} revisions)", document),
        ("history_first", "History, first page", f"{document}/versioni"),
        (
            "history_last",
            "History, last page",
            f"{document}/versioni?page={math.ceil(head / HISTORY_PAGE_SIZE)}",
        ),
        ("compare", f"Compare revision 1 with {head}", f"{document}/confronta?da=1&a={head}"),
        (
            "thread",
            f"Thread of {manifest['long_thread_messages'] - 1} replies, last page",
            f"{thread}?pagina={last_thread_page}",
        ),
        ("thread_first", "Same thread, first page", f"{thread}?pagina=1"),
        ("activity", "Activity feed", "/attivita"),
        ("search", f"Search ({manifest['search_term']})", f"/cerca?q={manifest['search_term']}"),
    ]


def measure_backend(
    size: str, backend: str, database_url: str, manifest: dict, options, workdir: Path
) -> dict:
    log(f"{size} on {backend}: starting gunicorn")
    server = Server(database_url, workdir)
    try:
        browser = Browser(server.url)
        browser.sign_in(manifest["reader_email"], manifest["password"])
        # Signing in starts a new session; the first form puts the CSRF secret in it: the
        # cookie handed to wrk is taken once a form has been served.
        status, _, page = browser.request("/")
        csrf = csrf_token(page.decode())
        cookie = lua_string(browser.cookie)

        def wrk_get(path: str, *, with_cookie: bool = True) -> dict:
            script = GET_LUA.format(cookie=cookie if with_cookie else '""')
            url = server.url + path
            run_wrk(
                url, script, seconds=options.warmup, connections=options.connections, folder=workdir
            )
            return run_wrk(
                url,
                script,
                seconds=options.duration,
                connections=options.connections,
                folder=workdir,
            )

        results: dict = {"pages": {}, "server": server.url}
        bare_before = wrk_get("/_bench/bare", with_cookie=False)
        for key, label, path in pages_of(manifest):
            status, _, body = browser.request(path)
            figures = wrk_get(path)
            figures.update(label=label, path=path, status=status, html_bytes=len(body))
            results["pages"][key] = figures
            log(f"{size}/{backend} {key}: {figures['median_ms']:.1f} ms median ({status})")
        bare_after = wrk_get("/_bench/bare", with_cookie=False)

        # Writes: a reply to the long thread, saves of the 100 KB document.
        big = manifest["big_group"]
        thread_path = f"/gruppi/{big}/discussioni/{manifest['long_thread_id']}"
        reply = REPLY_LUA.format(
            csrf=lua_string(urllib.parse.quote_plus(csrf)),
            path=lua_string(thread_path + "/rispondi"),
            cookie=cookie,
        )
        run_wrk(
            server.url + thread_path,
            reply,
            seconds=options.warmup,
            connections=options.connections,
            folder=workdir,
        )
        figures = run_wrk(
            server.url + thread_path,
            reply,
            seconds=options.duration,
            connections=options.connections,
            folder=workdir,
        )
        figures.update(label="Post a reply", path=thread_path + "/rispondi", method="POST")
        results["pages"]["reply"] = figures
        log(f"{size}/{backend} reply: {figures['median_ms']:.1f} ms, {figures['saved']} posted")

        document = f"/gruppi/{big}/documenti/{manifest['guidelines_id']}"
        status, _, page = browser.request(document + "/modifica")
        page = page.decode()
        editor = hidden_input(page, "editor")
        base = int(hidden_input(page, "base"))
        status, _, markdown = browser.request(f"{document}/versioni/{base}/scarica.md")
        paragraphs = markdown.decode("utf-8").rstrip("\n").split("\n\n")
        editable = [
            n + 1
            for n, text in enumerate(paragraphs)
            if len(text) > 200 and not text.startswith(("#", "- "))
        ]
        encoded = [urllib.parse.quote_plus(text) for text in paragraphs]
        encoded[-1] += "%0A"
        paragraphs_file = workdir / "paragraphs.lua"
        paragraphs_file.write_text(
            "return {\n" + ",\n".join(lua_string(text) for text in encoded) + "\n}\n",
            encoding="utf-8",
        )
        editable_file = workdir / "editable.lua"
        editable_file.write_text(
            "return {" + ",".join(map(str, editable)) + "}\n", encoding="utf-8"
        )
        save = SAVE_LUA.format(
            paragraphs_file=lua_string(str(paragraphs_file)),
            editable_file=lua_string(str(editable_file)),
            base=base,
            csrf=lua_string(urllib.parse.quote_plus(csrf)),
            editor=lua_string(urllib.parse.quote_plus(editor)),
            path=lua_string(document + "/modifica"),
            cookie=cookie,
        )
        warm = run_wrk(
            server.url + document, save, seconds=options.warmup, connections=1, folder=workdir
        )
        # The head moved with the warm-up's saves: start the measured run from there.
        save = save.replace(f"local base = {base}\n", f"local base = {base + warm['saved']}\n")
        figures = run_wrk(
            server.url + document, save, seconds=options.duration, connections=1, folder=workdir
        )
        figures.update(
            label="Save a revision (100 KB document)",
            path=document + "/modifica",
            method="POST",
            connections=1,
        )
        results["pages"]["save"] = figures
        log(
            f"{size}/{backend} save: {figures['median_ms']:.1f} ms, {figures['saved']} saved, "
            f"{figures['refused']} refused"
        )

        results["bare_before"] = bare_before
        results["bare_after"] = bare_after
        bare = (bare_before["median_ms"] + bare_after["median_ms"]) / 2
        results["bare_median_ms"] = bare
        for figures in results["pages"].values():
            figures["ratio"] = figures["median_ms"] / bare if bare else None
            figures["p95_ratio"] = figures["p95_ms"] / bare if bare else None
        results["weight"] = {
            "home_signed_in": page_weight(browser, "/"),
            "sign_in_page": page_weight(Browser(server.url), "/accedi"),
        }
    finally:
        server.stop()
    return results


def targets(run: dict, storage: dict, rebuild: dict) -> list[dict]:
    pages = run["pages"]
    checks = []

    def check(name: str, value: float, limit: float, note: str = "") -> None:
        checks.append(
            {
                "target": name,
                "value": round(value, 2),
                "limit": limit,
                "met": value <= limit,
                "note": note,
            }
        )

    for key, figures in pages.items():
        if key in ("reply", "save"):
            check(f"{figures['label']}: median / bare", figures["ratio"], WRITE_RATIO_MAX)
        elif key == "compare":
            check(f"{figures['label']}: median / bare", figures["ratio"], COMPARE_RATIO_MAX)
        else:
            check(f"{figures['label']}: median / bare", figures["ratio"], READ_RATIO_MAX)
    check(
        "History: last page / first page (median)",
        pages["history_last"]["median_ms"] / pages["history_first"]["median_ms"],
        HISTORY_LAST_OVER_FIRST_MAX,
    )
    check(
        "Group page: big / small group (median)",
        pages["group"]["median_ms"] / pages["group_small"]["median_ms"],
        GROUP_BIG_OVER_SMALL_MAX,
    )
    check("Storage: bytes per one-paragraph edit", storage["bytes_per_edit"], BYTES_PER_EDIT_MAX)
    check(
        "Storage engine: rebuild oldest / newest revision",
        storage["oldest_over_newest"],
        REBUILD_OLDEST_OVER_NEWEST_MAX,
    )
    check(
        "Database: rebuild oldest / newest revision of the guidelines",
        rebuild["oldest_over_newest"],
        REBUILD_OLDEST_OVER_NEWEST_MAX,
    )
    weight = max(run["weight"].values(), key=lambda w: w["assets_gzip_bytes"])
    check("First visit: CSS + JS, gzipped (bytes)", weight["assets_gzip_bytes"], ASSETS_GZIP_MAX)
    foreign = sorted({u for w in run["weight"].values() for u in w["foreign_urls"]})
    checks.append(
        {
            "target": "First visit: URLs to another host",
            "value": len(foreign),
            "limit": 0,
            "met": not foreign,
            "note": ", ".join(foreign),
        }
    )
    return checks


# -- Report -----------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    lines = [
        "# Tavolo benchmark",
        "",
        f"Run of {report['started']} on {report['machine']}; wrk {report['wrk']}, "
        f"gunicorn 2 sync workers, each page {report['options']['duration']} s with "
        f"{report['options']['connections']} connections after {report['options']['warmup']} s "
        "of warm-up (saves: 1 connection). Every ratio is the page's median (or p95) over the "
        "bare endpoint's median in the same run (mean of its measure before and after the "
        "pages). Targets (issue 8) are judged on SQLite, large data set.",
        "",
    ]
    for name, run in report["runs"].items():
        lines += [
            f"## {name}",
            "",
            f"Bare endpoint median: {run['bare_median_ms']:.2f} ms "
            f"(before {run['bare_before']['median_ms']:.2f}, after "
            f"{run['bare_after']['median_ms']:.2f}; {run['bare_before']['throughput_rps']:.0f} "
            "req/s).",
            "",
            "| page | median ms | p95 ms | p99 ms | req/s | median ratio | p95 ratio | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for figures in run["pages"].values():
            bad = figures["errors"] + figures["non_2xx_3xx"]
            if figures.get("refused"):
                bad = f"{bad} ({figures['refused']} not saved)"
            lines.append(
                f"| {figures['label']} | {figures['median_ms']:.1f} | {figures['p95_ms']:.1f} | "
                f"{figures['p99_ms']:.1f} | {figures['throughput_rps']:.1f} | "
                f"{figures['ratio']:.1f} | {figures['p95_ratio']:.1f} | {bad} |"
            )
        weight = run["weight"]
        lines += [
            "",
            "| first visit | HTML gzip | CSS+JS gzip | total gzip | server gzips | other hosts |",
            "|---|---:|---:|---:|---|---|",
        ]
        for key, w in weight.items():
            lines.append(
                f"| {key} (`{w['path']}`) | {w['html_gzip_bytes']:,} | "
                f"{w['assets_gzip_bytes']:,} | {w['total_gzip_bytes']:,} | "
                f"{'yes' if w['server_compresses'] else 'no'} | "
                f"{', '.join(w['foreign_urls']) or 'none'} |"
            )
        lines += ["", "| target | value | limit | met |", "|---|---:|---:|---|"]
        for check in run["targets"]:
            lines.append(
                f"| {check['target']} | {check['value']:,} | {check['limit']:,} | "
                f"{'yes' if check['met'] else '**no**'} |"
            )
        lines.append("")
    storage = report["storage"]
    lines += [
        "## Storage",
        "",
        f"bench/storage.py: {storage['edits']} one-paragraph edits of a "
        f"{storage['document_chars']:,}-character document: "
        f"**{storage['bytes_per_edit']} bytes per edit** on average "
        f"({storage['bytes_per_edit_steady_state']} in the steady state); rebuilding the oldest "
        f"revision {storage['rebuild_oldest_ms']} ms, the newest {storage['rebuild_newest_ms']} "
        f"ms (oldest/newest {storage['oldest_over_newest']}), the worst of all "
        f"{storage['rebuild_worst_ms']} ms.",
        "",
    ]
    for name, rebuild in report["rebuild"].items():
        lines.append(
            f"- {name}: the guidelines' {rebuild['revisions']} revisions in the database: "
            f"revision 1 rebuilt (text, HTML, headings) in {rebuild['oldest_ms']} ms, revision "
            f"{rebuild['revisions']} in {rebuild['newest_ms']} ms (oldest/newest "
            f"{rebuild['oldest_over_newest']})."
        )
    lines.append("")
    if report.get("notes"):
        lines += ["## Notes", "", *report["notes"], ""]
    return "\n".join(lines)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="realistic,large")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--publish", action="store_true", help="copy the report to REPORT.md")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    backends = [b.strip() for b in options.backends.split(",") if b.strip()]
    notes = []
    if "postgresql" in backends and not postgresql_answers():
        backends.remove("postgresql")
        notes.append(f"- PostgreSQL did not answer on {PG_HOST}:{PG_PORT}: not measured.")
    report: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "wrk": wrk_version(),
        "options": vars(options),
        "runs": {},
        "rebuild": {},
        "notes": notes,
    }
    log("storage figures (bench/storage.py)")
    report["storage"] = storage_figures()
    for size in [s.strip() for s in options.sizes.split(",") if s.strip()]:
        cached, manifest = generate.load(size, options.seed)
        for backend in backends:
            workdir = Path(tempfile.mkdtemp(prefix=f"tavolo-bench-{size}-{backend}-"))
            if backend == "sqlite":
                copy = workdir / "bench.db"
                shutil.copyfile(cached, copy)
                database_url = f"sqlite:///{copy}"
            else:
                database_url = postgresql_url()
                log(f"{size}: copying the data into PostgreSQL")
                copy_to_postgresql(cached, database_url)
            name = f"{backend}, {size}"
            report["rebuild"][name] = rebuild_in_database(database_url, manifest)
            run = measure_backend(size, backend, database_url, manifest, options, workdir)
            run["manifest"] = {k: v for k, v in manifest.items() if k != "password"}
            run["targets"] = targets(run, report["storage"], report["rebuild"][name])
            report["runs"][name] = run
            shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = markdown(report)
    for stem in ("report", f"report-{stamp}"):
        (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
        (RESULTS / f"{stem}.md").write_text(text, encoding="utf-8")
    if options.publish:
        (HERE / "REPORT.md").write_text(text, encoding="utf-8")
    print(text)
    return report


if __name__ == "__main__":
    main()
