"""No lost update under load (issue 7): 50 saves of one document from the same revision, at once.

gunicorn with 4 workers on SQLite and on PostgreSQL. Half the saves change a paragraph each
(they merge), half change the same line each in its own way (they clash). Every save must end
as a revision or as a conflict shown to its author with their text; none may vanish, nothing
may answer 5xx, and the database must be whole afterwards.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reliability import live

SAVES = 50
PARAGRAPH_EDITS = 25  # the other 25 clash on the same line
PEOPLE = 5


def edited(body: str, number: int) -> tuple[str, str]:
    """Save ``number``'s text and the words that say it is there."""
    if number < PARAGRAPH_EDITS:
        mark = f"modificato nel salvataggio {number}"
        return body.replace(live.paragraph(number), f"Paragrafo {number}: {mark}."), mark
    mark = f"durata scelta nel salvataggio {number}"
    return body.replace(live.CONTESTED, f"Riga contesa: {mark}."), mark


@pytest.mark.parametrize("backend", live.BACKENDS)
def test_fifty_simultaneous_saves_lose_nothing(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    with live.scratch_database(backend, tmp_path) as url:
        seed = live.prepare(url, tmp_path / "instance", people=PEOPLE, paragraphs=PARAGRAPH_EDITS)
        with live.serving(url, tmp_path, workers=4) as server:
            signed_in = []
            for email in seed.emails:
                browser = live.Browser(server.url)
                browser.sign_in(email)
                signed_in.append(browser)
            # Every save is its own editor page, opened before anyone saves: same base.
            editors = []
            for number in range(SAVES):
                browser = signed_in[number % PEOPLE].copy()
                form = browser.open_editor(seed)
                assert form["base"] == "1" and form["body"] == seed.body
                text, mark = edited(form["body"], number)
                editors.append((browser, {**form, "body": text}, mark))

            start = threading.Barrier(SAVES)

            def save(number: int):
                browser, form, _mark = editors[number]
                start.wait()
                return browser.post(seed.editor_path, form, timeout=120)

            with ThreadPoolExecutor(SAVES) as pool:
                answers = list(pool.map(save, range(SAVES)))
            log = server.log()

        statuses = [answer.status for answer in answers]
        failed = [answer for answer in answers if answer.status >= 500]
        assert not failed, (statuses, failed[0].text[-3000:], log)
        assert set(statuses) <= {302, 409}, statuses
        saved = [n for n, answer in enumerate(answers) if answer.status == 302]
        for number in saved:
            # To the document, not back to the editor nor to the sign-in page.
            assert (
                answers[number].headers["Location"].endswith(seed.show_path + "?versione=corrente")
            )
        conflicts = [n for n, answer in enumerate(answers) if answer.status == 409]
        for number in conflicts:
            # The conflict is shown to its author, with their text in the editor.
            answer, mark = answers[number], editors[number][2]
            assert "Modifiche in conflitto" in answer.text
            assert mark in live.textarea(answer.body, "body")
            assert number >= PARAGRAPH_EDITS, "edits of different paragraphs must merge"
        # One of the clashing edits got in first; each other one clashed with it.
        assert len([n for n in saved if n >= PARAGRAPH_EDITS]) == 1

        with live.database(url, tmp_path / "instance") as db:
            facts = live.check_integrity(db, seed.text_id)
        assert facts["revisions"] - 1 + len(conflicts) == SAVES
        final, history = facts["texts"][-1], "\n".join(facts["texts"])
        for number in saved:
            mark = editors[number][2]
            assert mark in history
            if number < PARAGRAPH_EDITS:
                assert mark in final  # merged into every later revision
