"""The HTML of every page a person can reach is valid for the Nu HTML checker (issue 9).

Every page of tests/page_catalogue.py (each GET route for each kind of person, and the main
error states) is written to a folder and checked by vnu in one run. The checker comes from npm
(`make install-test` puts it in .vnu/); without it or without Java the test is skipped.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.page_catalogue import write_pages
from tests.test_access import world  # noqa: F401  (world is a fixture)

VNU_JAR = Path(
    os.environ.get(
        "VNU_JAR",
        Path(__file__).resolve().parents[1] / ".vnu/node_modules/vnu-jar/build/dist/vnu.jar",
    )
)


@pytest.fixture
def vnu() -> list[str]:
    """The checker's command line; skips before building the pages when it cannot run."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed: the Nu HTML checker cannot run")
    if not VNU_JAR.is_file():
        pytest.skip(f"the Nu HTML checker is not installed ({VNU_JAR}): run `make install-test`")
    return [java, "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]


def test_every_page_is_valid_html(vnu, make_app, world, tmp_path):  # noqa: F811
    folder = tmp_path / "pages"
    folder.mkdir()
    pages = write_pages(make_app(), world, folder)  # file name -> what it is, for the report
    result = subprocess.run(
        [*vnu, *sorted(str(folder / name) for name in pages)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(result.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML checker answered: {result.stderr[-2000:]}")
    errors = [m for m in messages if m.get("type") == "error"]
    # One line per distinct error, with the first page showing it and how many more do.
    seen: dict[tuple[str, str], list[str]] = {}
    for m in errors:
        extract = " ".join(m.get("extract", "").split())
        where = f"{pages.get(Path(m.get('url', '')).name, m.get('url'))}, line {m.get('lastLine')}"
        # Errors differing only in numbers (times, ids) are one error.
        key = (re.sub(r"\d", "0", m["message"]), re.sub(r"\d", "0", extract))
        seen.setdefault(key, []).append(where)
    report = [
        f"- {message} [{extract}]\n    {wheres[0]}"
        + (f" (+{len(wheres) - 1} pages)" if wheres[1:] else "")
        for (message, extract), wheres in seen.items()
    ]
    assert not report, (
        f"{len(errors)} HTML errors, {len(report)} distinct (pages in {folder}):\n"
        + "\n".join(report)
    )
