"""How long rendering takes for the costliest texts a person can save (issue 7: costly
endpoints bounded in time). Each text sits just under or just over workspace.texts.markdown's
limits, at the document size limit; the figures are the median of 3 runs, next to a real text
of the same size, so the ratio is what matters on a shared machine.

    .venv/bin/python bench/render.py
"""

import statistics
import time

from workspace.documents.service import MAX_DOCUMENT_CHARS
from workspace.texts.markdown import MAX_DELIMITERS, MAX_ENTITIES, MAX_LINES, render


def _fill(unit: str, count: int, size: int = MAX_DOCUMENT_CHARS) -> str:
    """``count`` times ``unit``, padded with plain words to ``size`` characters."""
    text = unit * count
    return text + ("parola " * size)[: max(0, size - len(text))]


def _real(size: int = MAX_DOCUMENT_CHARS) -> str:
    prose = (
        "Il genitore e il minore si incontrano nello Spazio Neutro alla presenza di un "
        "operatore, secondo le modalità stabilite dal provvedimento del Tribunale. "
    ) * 4
    part = (
        "## Articolo\n\n"
        + f"{prose}Si veda **l'allegato** e [la scheda](/gruppi/x).\n\n"
        + prose * 2
        + "\n\n- il servizio sociale & la scuola\n- l'educatore (età < 14 anni)\n\n"
        + prose * 3
        + "\n\n"
    )
    return (part * (size // len(part) + 1))[:size]


CASES = {
    "real text (guidelines-like)": _real(),
    "entities in one paragraph, under the limit": _fill("&", MAX_ENTITIES),
    "entities, over the limit (shown plain)": _fill("&", MAX_DOCUMENT_CHARS),
    "unclosed links, under the limit": _fill("[a](", MAX_DELIMITERS // 2),
    "unclosed links, over the limit (shown plain)": "[a](" * (MAX_DOCUMENT_CHARS // 4),
    "one block per line, under the limit": _fill("a\n\n", MAX_LINES // 2),
    "one block per line, over the limit (shown plain)": "a\n\n" * (MAX_DOCUMENT_CHARS // 3),
}


def main() -> None:
    timings = {}
    for name, text in CASES.items():
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            render(text)
            runs.append(time.perf_counter() - start)
        timings[name] = statistics.median(runs)
    real = timings["real text (guidelines-like)"]
    print(f"| text ({MAX_DOCUMENT_CHARS:,} characters) | median s | ratio to a real text |")
    print("|---|---:|---:|")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds:.2f} | {seconds / real:.1f} |")


if __name__ == "__main__":
    main()
