"""Storage: every saved text comes back exactly; deltas are small; chains stay bounded."""

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.texts import storage
from workspace.texts.storage import (
    MAX_CHAIN_LENGTH,
    CorruptRevision,
    apply_delta,
    compress_snapshot,
    decompress_snapshot,
    make_delta,
    rebuild,
    should_snapshot,
)

PIECES = st.sampled_from(
    ["", "\n", "\r\n", "\r", " ", "# Titolo\n", "Il bambino arriva.\n", "è", "perché ", "日本",
     "🙂", "\u2028", "\x00", "- voce\n", "\n\n"]
)  # fmt: skip
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=25).map("".join)


@st.composite
def edit_sequences(draw) -> list[str]:
    """A first text and edits of it: pieces replaced, inserted, deleted; sometimes all of it."""
    texts = [draw(TEXTS)]
    for _ in range(draw(st.integers(0, 12))):
        text = texts[-1]
        if draw(st.integers(0, 9)) == 0:
            texts.append(draw(TEXTS))
            continue
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 20)))
        texts.append(text[:start] + draw(TEXTS) + text[end:])
    return texts


def store(texts: list[str]) -> tuple[list[bytes], list[int]]:
    """Payloads as the service stores them, and the index of each one's snapshot."""
    payloads: list[bytes] = []
    snapshot_of: list[int] = []
    for number, text in enumerate(texts):
        if number:
            first = snapshot_of[-1]
            chain_bytes = sum(len(p) for p in payloads[first + 1 :])
            if not should_snapshot(number - first, chain_bytes, len(text.encode("utf-8"))):
                payloads.append(make_delta(texts[number - 1], text))
                snapshot_of.append(first)
                continue
        payloads.append(compress_snapshot(text))
        snapshot_of.append(number)
    return payloads, snapshot_of


@settings(max_examples=200, deadline=None)
@given(edit_sequences())
def test_every_saved_text_comes_back_exactly(texts):
    payloads, snapshot_of = store(texts)
    for number, text in enumerate(texts):
        first = snapshot_of[number]
        assert rebuild(payloads[first], payloads[first + 1 : number + 1]) == text
    # Reading the history forwards, one delta at a time, as a history page does.
    current = ""
    for number, payload in enumerate(payloads):
        if snapshot_of[number] == number:
            current = decompress_snapshot(payload)
        else:
            current = apply_delta(current, payload)
        assert current == texts[number]


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_a_delta_turns_its_old_text_into_its_new_one(old, new):
    assert apply_delta(old, make_delta(old, new)) == new
    assert decompress_snapshot(compress_snapshot(new)) == new


def test_a_delta_applied_to_another_text_is_refused():
    delta = make_delta("uno\ndue\n", "uno\nDUE\n")
    with pytest.raises(CorruptRevision):
        apply_delta("UNO\ndue\n", delta)  # same size, different text: the CRC catches it
    with pytest.raises(CorruptRevision):
        apply_delta("altro", delta)


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x07", compress_snapshot("x")[:-3], b"\x00not zlib"],
)
def test_damaged_snapshots_are_refused(payload):
    with pytest.raises(CorruptRevision):
        decompress_snapshot(payload)


def test_damaged_deltas_are_refused():
    delta = make_delta("uno\ndue\n", "uno\nun testo nuovo\n")
    for damaged in (b"", delta[:5], delta[:-4], delta[:1] + b"\xff" * 12 + delta[13:]):
        with pytest.raises(CorruptRevision):
            apply_delta("uno\ndue\n", damaged)
    with pytest.raises(CorruptRevision):
        rebuild(delta, [])
    with pytest.raises(CorruptRevision):
        rebuild(compress_snapshot("uno\ndue\n"), [compress_snapshot("x")])


def test_corrupt_revision_is_a_value_error():
    assert issubclass(CorruptRevision, ValueError)


def test_unchanged_text_makes_a_tiny_delta():
    text = "Il bambino arriva.\n" * 1000
    assert len(make_delta(text, text)) <= 16
    assert apply_delta(text, make_delta(text, text)) == text


def test_a_paragraph_edit_to_a_long_document_stays_small():
    rng = random.Random(3)
    words = ["il", "la", "di", "che", "bambino", "madre", "padre", "servizio", "spazio", "visita"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(120)) for _ in range(150)]
    old = "\n\n".join(paragraphs) + "\n"
    assert len(old) > 90_000
    paragraphs[60] = paragraphs[60][:200] + "un testo nuovo, scritto adesso " * 12
    new = "\n\n".join(paragraphs) + "\n"
    delta = make_delta(old, new)
    assert len(delta) < 400
    assert apply_delta(old, delta) == new
    assert len(compress_snapshot(old)) < len(old) // 3


def test_snapshot_policy():
    assert not should_snapshot(1, 0, 100_000)
    assert not should_snapshot(MAX_CHAIN_LENGTH - 1, 10_000, 100_000)
    assert should_snapshot(MAX_CHAIN_LENGTH, 0, 100_000)
    # Deltas outgrowing a compressed copy of the text: a snapshot is cheaper to read.
    assert should_snapshot(3, 30_000, 100_000)
    assert should_snapshot(2, 1, 0)


def test_chains_stay_bounded_over_many_edits():
    text = "".join(f"Riga numero {n}, con del testo.\n" for n in range(500))
    texts = [text]
    rng = random.Random(4)
    for n in range(3 * MAX_CHAIN_LENGTH):
        line = rng.randrange(500)
        lines = texts[-1].splitlines(keepends=True)
        lines[line] = f"Riga cambiata alla revisione {n}.\n"
        texts.append("".join(lines))
    payloads, snapshot_of = store(texts)
    chain_lengths = [snapshot_of.count(first) for first in set(snapshot_of)]
    assert max(chain_lengths) <= MAX_CHAIN_LENGTH
    assert rebuild(payloads[snapshot_of[-1]], payloads[snapshot_of[-1] + 1 :]) == texts[-1]


def test_the_formats_are_what_the_docstring_says():
    snapshot = compress_snapshot("ciao")
    assert snapshot[0] == storage.SNAPSHOT and zlib.decompress(snapshot[1:]) == b"ciao"
    delta = make_delta("ciao\n", "ciao\nmondo\n")
    assert delta[0] == storage.DELTA
    old_size, crc, count = storage._HEADER.unpack_from(delta, 1)
    assert (old_size, crc, count) == (5, zlib.crc32(b"ciao\nmondo\n"), 1)


@settings(max_examples=100, deadline=None)
@given(edit_sequences())
def test_replay_gives_every_text_in_turn(texts):
    payloads = [compress_snapshot(texts[0])]
    for number in range(1, len(texts)):
        if number % 4 == 0:
            payloads.append(compress_snapshot(texts[number]))
        else:
            payloads.append(make_delta(texts[number - 1], texts[number]))
    assert list(storage.replay(payloads)) == texts


def test_replay_needs_a_snapshot_first():
    with pytest.raises(CorruptRevision):
        list(storage.replay([make_delta("a", "b")]))
