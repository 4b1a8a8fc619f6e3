"""Plain text for one line of a list or a mail: white space folded, cut with an ellipsis."""


def shorten(value: str | None, limit: int) -> str:
    value = " ".join((value or "").split())
    if len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + "…"
