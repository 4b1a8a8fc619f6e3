"""Password rules (pure): length, and not one of the passwords everybody tries first."""

from functools import cache

# Italian favourites and words of this workspace, on top of zxcvbn's 30,000 common passwords.
_LOCAL_COMMON = [
    "password1",
    "password123",
    "ciao",
    "ciaociao",
    "ciao1234",
    "ciao12345",
    "amoremio",
    "tiamo",
    "tiamo123",
    "tesoro",
    "juventus",
    "forzajuve",
    "forzainter",
    "forzamilan",
    "forzanapoli",
    "forzaroma",
    "napoli",
    "milano",
    "milano123",
    "roma1234",
    "lazio",
    "inter1908",
    "milan1899",
    "juve1897",
    "antonio",
    "francesco",
    "alessandro",
    "giuseppe",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1q2w3e4r",
    "1qaz2wsx",
    "spazioneutro",
    "spazio",
    "neutro",
    "tavolo",
    "tavolo123",
    "provincia",
    "provincia1",
    "comune",
    "comune123",
    "cooperativa",
    "benvenuto",
    "benvenuto1",
    "cambiami",
]


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(_LOCAL_COMMON)


def password_problem(
    password: str, *, min_length: int, personal: tuple[str, ...] = ()
) -> str | None:
    """A code naming what is wrong with the password, or None when it is acceptable.

    ``personal`` holds the person's own words (e-mail, name) that must not be the password.
    """
    if len(password) < min_length:
        return "too_short"
    if len(password) > 1024:
        return "too_long"
    folded = password.casefold()
    if folded in common_passwords() or folded.rstrip("0123456789!.") in common_passwords():
        return "common"
    for word in personal:
        word = word.casefold().strip()
        if word and (folded == word or folded == word.split("@")[0]):
            return "personal"
    if len(set(password)) < 3:
        return "common"
    return None
