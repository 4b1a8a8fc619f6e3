"""Browser journeys: Debian's Chromium, driven by Playwright, against a live gunicorn.

The server runs on its own SQLite file with the demo data, never on TEST_DATABASE_URL, so
the journeys see the same app a person would after `make run`. Every test here carries the
``e2e`` marker; without Chromium or Playwright the whole folder is skipped with the reason.
"""

import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import answers, free_port, gunicorn_options

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 30
SERVER_LOG = pytest.StashKey[Path]()
SERVER_INSTANCE = pytest.StashKey[Path]()
SCREENSHOTS_TAKEN = pytest.StashKey[bool]()


def _missing_requirement() -> str | None:
    # Never `playwright install`: the browser is the system's, kept up to date by apt.
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: install Debian's chromium package to run the e2e tests"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


SKIP_REASON = _missing_requirement()


class _SkippedModule(pytest.Module):
    """Reports the module as skipped without importing it (it imports playwright)."""

    def collect(self):
        pytest.skip(SKIP_REASON)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    if SKIP_REASON and _is_e2e(module_path):
        return _SkippedModule.from_parent(parent, path=module_path)
    return None


def _is_e2e(path) -> bool:
    return Path(path).resolve().is_relative_to(E2E_DIR)


def pytest_collection_modifyitems(config, items):
    # Called with the whole session's items, not only this folder's.
    for item in items:
        if _is_e2e(item.path):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.stash.get(SCREENSHOTS_TAKEN, False):
        terminalreporter.write_sep("-", "e2e screenshots")
        terminalreporter.write_line(str(ARTIFACTS_DIR))


# -- Live server -------------------------------------------------------------------------------


def _flask(env: dict, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    if answers(url, process, SERVER_START_TIMEOUT):
        return
    process.terminate()
    process.wait(timeout=10)
    pytest.fail(f"the e2e server at {url} did not answer /salute:\n{log.read_text()}")


@dataclass
class Server:
    url: str
    env: dict
    workdir: Path

    @property
    def instance(self) -> Path:
        return self.workdir / "instance"


def _demo_database(env: dict) -> None:
    _flask(env, "db", "upgrade")
    _flask(env, "demo-data")


@contextmanager
def serve(
    request,
    *,
    prefix: str = "tavolo-e2e-",
    extra_env: dict | None = None,
    prepare: Callable[[dict], None] = _demo_database,
) -> Iterator[Server]:
    """A gunicorn server (2 workers) on a SQLite file of its own, made by ``prepare`` (by
    default the schema and the demo data); its log is shown when a test fails meanwhile."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_URL": url,  # the links in mail lead to this server
        "TAVOLO_INSTANCE_PATH": str(workdir / "instance"),
        "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "FLASK_APP": "workspace",
        "FLASK_TWO_FACTOR_REQUIRED_ROLES": "[]",  # the journeys sign coordinators in by password
        **(extra_env or {}),
    }
    env.pop("TEST_DATABASE_URL", None)  # the unit tests' database: none of our business
    prepare(env)

    log = workdir / "gunicorn.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                url.removeprefix("http://"),
                *gunicorn_options(),
                "workspace:create_app()",
            ],
            env=env,
            cwd=REPO_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    previous_log = request.config.stash.get(SERVER_LOG, None)
    request.config.stash[SERVER_LOG] = log
    try:
        _wait_until_healthy(url, process, log)
        yield Server(url, env, workdir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if previous_log is None:
            del request.config.stash[SERVER_LOG]
        else:
            request.config.stash[SERVER_LOG] = previous_log
        shutil.rmtree(workdir, ignore_errors=True)


# The whole browser suite signs the same demo people in hundreds of times within minutes: the
# per-account and per-address sign-in limits (10 a minute, 60 an hour per account) would turn
# a later journey's sign-in back to the login page. Those limits have tests of their own
# (tests/test_throttling.py); here they are raised far above what the suite does, not removed.
SUITE_SIGN_INS = {
    "FLASK_RATELIMIT_LOGIN": "10000 per minute",
    "FLASK_RATELIMIT_LOGIN_ACCOUNT": "10000 per minute",
}


@pytest.fixture(scope="session")
def live_server(request):
    with serve(request, extra_env=SUITE_SIGN_INS) as server:
        request.config.stash[SERVER_INSTANCE] = server.instance
        yield server.url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A failing journey shows what the server logged meanwhile (tracebacks of 500s)."""
    log = item.config.stash.get(SERVER_LOG, None)
    start = log.stat().st_size if log and log.exists() else 0
    try:
        return (yield)
    except BaseException:
        if log and log.exists():
            with log.open(encoding="utf-8", errors="replace") as file:
                file.seek(start)
                item.add_report_section("call", "server log", file.read())
        raise


# -- Browser -----------------------------------------------------------------------------------


@pytest.fixture
def live_outbox(request, live_server):
    """Reads the mail the live server wrote to its instance/outbox/ (newest last)."""
    from email import message_from_bytes, policy

    folder = request.config.stash[SERVER_INSTANCE] / "outbox"

    def messages_to(address: str):
        if not folder.exists():
            return []
        found = []
        for path in sorted(folder.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found.append(message)
        return found

    return messages_to


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Opens a page in a fresh context (no cookies) of the given size; closed after the test."""
    contexts = []

    def open_page(width: int = 1280, height: int = 800):
        context = browser.new_context(
            base_url=live_server, locale="it-IT", viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# -- Screenshots -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def artifacts_dir(request):
    request.config.stash[SCREENSHOTS_TAKEN] = True
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS_DIR.glob("*.png"):
        old.unlink()
    return ARTIFACTS_DIR


@pytest.fixture
def screenshot(request, artifacts_dir):
    """``screenshot("step")`` saves the page as test-artifacts/e2e/<test>--<nn>-<step>.png.

    It shoots the ``page`` fixture unless given another page with ``target=``.
    """
    test_name = re.sub(r"[^\w-]+", "_", request.node.name).strip("_")
    steps = []

    def save(step: str, *, target=None, full_page: bool = True) -> Path:
        steps.append(step)
        slug = re.sub(r"[^\w-]+", "-", step).strip("-")
        path = artifacts_dir / f"{test_name}--{len(steps):02d}-{slug}.png"
        (target or request.getfixturevalue("page")).screenshot(path=path, full_page=full_page)
        return path

    return save


# -- People ------------------------------------------------------------------------------------


@pytest.fixture
def signed_in(new_page):
    """``signed_in(email)`` opens a fresh browser context signed in as that demo person.

    Each call is a separate context (its own cookies), so two people can work side by side.
    """
    from tests.e2e.pages import DEMO_PASSWORD, LoginPage

    def sign_in(email: str, password: str = DEMO_PASSWORD, **size):
        page = new_page(**size)
        LoginPage(page).goto().login(email, password)
        return page

    return sign_in
