"""Compact storage of revisions: compressed snapshots, deltas between them, and the policy.

Revisions are immutable once written, so deltas go forward: a chain is one snapshot followed
by deltas, each against the text of the revision before it, and rebuilding revision *n* means
the chain's snapshot plus its deltas up to *n*. (Backward deltas would make the newest text
the cheap one, but only by rewriting the previous newest revision at every save.)

Snapshot
    ``SNAPSHOT`` byte, then the UTF-8 text compressed with zlib (level 9).

Delta (``DELTA`` byte, then unsigned 32-bit big-endian integers, then the inserted bytes)
    header   size of the old text in UTF-8 bytes (checked: a delta applied to the wrong text
             is an error, not garbage), CRC-32 of the new text's UTF-8, number of edits
    edits    for each edit: where it starts and ends in the old text, bytes it inserts
             (fixed-size rather than varints: a few bytes more per delta, but one
             ``struct`` call reads them all, which is most of the cost of applying a delta)
    rest     the inserted bytes of all edits, concatenated and compressed as raw deflate with a
             preset dictionary: the old text just before and under the last edit. A rewritten
             paragraph mostly reuses the words it replaces, and new text reuses the document's
             vocabulary; the reader has the old text anyway, so the dictionary costs nothing.

Edits are found on lines (:mod:`workspace.texts.matching`) and then narrowed to the bytes that
differ, so changing three words of a long paragraph stores about three words.

Deltas work on UTF-8 bytes rather than characters: a chain is rebuilt without decoding or
re-encoding intermediate texts, and each step edits one buffer in place.

The policy, ``should_snapshot``, bounds a chain by its length (``MAX_CHAIN_LENGTH``) and by its
size (deltas larger in total than ``1 / CHAIN_BYTES_DIVISOR`` of the text, roughly a compressed
snapshot). Rebuilding any revision is then one snapshot plus a bounded amount of small work,
and small edits (the usual case) share the cost of each snapshot among many revisions. The
numbers come from the benchmarks (a 100 KB guideline, 500 one-paragraph edits). The revisions
service stores each text together with its rendered HTML, so a snapshot is about 62 KB and a
delta about 110 bytes (``bench/revisions.py``): chains of 100 bring the whole cost of a
revision in the database, row and indexes included, to about 1 KB an edit, while the worst
rebuild (a snapshot and 99 deltas) stays at a few milliseconds, under 5 times the cost of
reading the snapshot alone. Longer chains store less and rebuild slower.
"""

import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate

from workspace.texts.lines import split_byte_lines
from workspace.texts.matching import matching_blocks, opcodes_from_blocks

SNAPSHOT = 0x00
DELTA = 0x01
MAX_CHAIN_LENGTH = 100
CHAIN_BYTES_DIVISOR = 4
DICTIONARY_BYTES = 16_384

_WBITS_RAW = -15
_HEADER = struct.Struct(">III")

Edit = tuple[int, int, bytes]  # old bytes [start, end) are replaced by these bytes


class CorruptRevision(ValueError):
    """A stored payload that cannot be read, or a delta applied to a text it was not made for."""


def should_snapshot(chain_length: int, chain_bytes: int, text_bytes: int) -> bool:
    """Whether the next revision starts a new chain.

    ``chain_length`` counts the revisions of the current chain (its snapshot included),
    ``chain_bytes`` the bytes of its deltas, ``text_bytes`` the UTF-8 size of the new text.
    """
    return chain_length >= MAX_CHAIN_LENGTH or chain_bytes * CHAIN_BYTES_DIVISOR > text_bytes


def compress_snapshot(text: str) -> bytes:
    return bytes([SNAPSHOT]) + zlib.compress(text.encode("utf-8"), 9)


def decompress_snapshot(snapshot: bytes) -> str:
    return _snapshot_bytes(snapshot).decode("utf-8")


def make_delta(old: str, new: str) -> bytes:
    old_bytes, new_bytes = old.encode("utf-8"), new.encode("utf-8")
    edits = _edits(old_bytes, new_bytes)
    numbers = [len(old_bytes), zlib.crc32(new_bytes), len(edits)]
    for start, end, inserted in edits:
        numbers += (start, end, len(inserted))
    delta = bytes([DELTA]) + struct.pack(f">{len(numbers)}I", *numbers)
    inserted = b"".join(edit[2] for edit in edits)
    if not inserted:
        return delta
    compressor = zlib.compressobj(
        9,
        zlib.DEFLATED,
        _WBITS_RAW,
        9,
        zlib.Z_DEFAULT_STRATEGY,
        zdict=_dictionary(old_bytes, edits[-1][1]),
    )
    return delta + compressor.compress(inserted) + compressor.flush()


def apply_delta(old: str, delta: bytes) -> str:
    text = bytearray(old.encode("utf-8"))
    _apply(text, delta, verify=True)
    return text.decode("utf-8")


def rebuild(snapshot: bytes, deltas: Sequence[bytes]) -> str:
    """The text of the revision at the end of ``deltas``, starting from its chain's snapshot."""
    text = bytearray(_snapshot_bytes(snapshot))
    for position, delta in enumerate(deltas, start=1):
        # Only the last step is checked against its CRC: an earlier mistake that matters
        # shows up in the final text, and checking each step would double the work.
        _apply(text, delta, verify=position == len(deltas))
    return text.decode("utf-8")


def _snapshot_bytes(snapshot: bytes) -> bytes:
    if not snapshot or snapshot[0] != SNAPSHOT:
        raise CorruptRevision("not a snapshot")
    try:
        return zlib.decompress(memoryview(snapshot)[1:])
    except zlib.error as error:
        raise CorruptRevision("damaged snapshot") from error


def _edits(old: bytes, new: bytes) -> list[Edit]:
    if old == new:
        return []
    old_lines, new_lines = split_byte_lines(old), split_byte_lines(new)
    old_offsets = [0, *accumulate(map(len, old_lines))]
    new_offsets = [0, *accumulate(map(len, new_lines))]
    edits = []
    for tag, i1, i2, j1, j2 in opcodes_from_blocks(matching_blocks(old_lines, new_lines)):
        if tag == "equal":
            continue
        start, end = old_offsets[i1], old_offsets[i2]
        new_start, new_end = new_offsets[j1], new_offsets[j2]
        prefix = _common_prefix(old, start, end, new, new_start, new_end)
        start, new_start = start + prefix, new_start + prefix
        suffix = _common_suffix(old, start, end, new, new_start, new_end)
        edits.append((start, end - suffix, new[new_start : new_end - suffix]))
    return edits


def _common_prefix(a: bytes, a_start: int, a_end: int, b: bytes, b_start: int, b_end: int) -> int:
    """Length of the common prefix of a[a_start:a_end] and b[b_start:b_end], by bisection."""
    low, high = 0, min(a_end - a_start, b_end - b_start)
    while low < high:
        middle = (low + high + 1) // 2
        if a[a_start : a_start + middle] == b[b_start : b_start + middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, a_start: int, a_end: int, b: bytes, b_start: int, b_end: int) -> int:
    low, high = 0, min(a_end - a_start, b_end - b_start)
    while low < high:
        middle = (low + high + 1) // 2
        if a[a_end - middle : a_end] == b[b_end - middle : b_end]:
            low = middle
        else:
            high = middle - 1
    return low


def _dictionary(old: bytes | bytearray, end: int) -> bytes | bytearray:
    """The old text just before ``end`` (where the last edit ends), to compress against."""
    # A copy, not a view: a bytearray cannot change size while a view of it exists.
    return old[max(0, end - DICTIONARY_BYTES) : end]


def _apply(text: bytearray, delta: bytes, *, verify: bool) -> None:
    """Turn ``text`` into the delta's new text, in place."""
    if not delta or delta[0] != DELTA:
        raise CorruptRevision("not a delta")
    try:
        old_size, expected_crc, count = _HEADER.unpack_from(delta, 1)
        edits = struct.unpack_from(f">{3 * count}I", delta, 1 + _HEADER.size)
    except struct.error as error:
        raise CorruptRevision("truncated delta") from error
    if len(text) != old_size:
        raise CorruptRevision("the delta was made for another text")
    inserted_at = 1 + _HEADER.size + 4 * len(edits)
    inserted = b""
    if inserted_at < len(delta) and edits:
        try:
            decompressor = zlib.decompressobj(_WBITS_RAW, zdict=_dictionary(text, edits[-2]))
            inserted = decompressor.decompress(memoryview(delta)[inserted_at:])
            inserted += decompressor.flush()
        except zlib.error as error:
            raise CorruptRevision("damaged delta") from error
    if sum(edits[2::3]) != len(inserted) or (edits and edits[-2] > old_size):
        raise CorruptRevision("damaged delta")
    # Last edit first, so that the offsets of the earlier ones still hold.
    end_of_inserted = len(inserted)
    for index in range(len(edits) - 3, -1, -3):
        start, end, length = edits[index : index + 3]
        text[start:end] = inserted[end_of_inserted - length : end_of_inserted]
        end_of_inserted -= length
    if verify and zlib.crc32(text) != expected_crc:
        raise CorruptRevision("the delta was made for another text")


def replay(payloads: Iterable[bytes]) -> Iterator[str]:
    """The text of each stored revision in turn, oldest first, each delta applied once.

    ``payloads`` must start with a snapshot; a later snapshot starts again from itself.
    """
    text: bytearray | None = None
    for payload in payloads:
        if payload[:1] == bytes([SNAPSHOT]):
            text = bytearray(_snapshot_bytes(payload))
        elif text is None:
            raise CorruptRevision("a delta without the text it applies to")
        else:
            _apply(text, payload, verify=True)
        yield text.decode("utf-8")
