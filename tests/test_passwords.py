"""Password rules, a pure module: properties with hypothesis."""

from hypothesis import given
from hypothesis import strategies as st

from workspace.accounts.passwords import common_passwords, password_problem


@given(st.text(max_size=7))
def test_short_passwords_are_refused(password):
    assert password_problem(password, min_length=8) == "too_short"


@given(st.sampled_from(sorted(common_passwords())))
def test_common_passwords_are_refused_whatever_the_case(password):
    for variant in (password, password.upper(), password.title()):
        if len(variant) >= 8:
            assert password_problem(variant, min_length=8) == "common"


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=20, max_size=60))
def test_long_varied_passwords_are_accepted_unless_personal(password):
    if len(set(password)) >= 3 and password.casefold() not in common_passwords():
        assert password_problem(password, min_length=8) in (None, "common")


def test_personal_words_are_refused():
    assert password_problem("giulia.ferri", min_length=8, personal=("giulia.ferri@x.it",)) == (
        "personal"
    )
    assert password_problem("Giulia Ferri", min_length=8, personal=("giulia ferri",)) == "personal"


def test_a_good_passphrase_passes():
    assert password_problem("tavola-rotonda-di-legno", min_length=8) is None


def test_italian_favourites_are_common():
    for password in ("juventus", "forzainter", "ciao1234", "spazioneutro"):
        assert password_problem(password, min_length=8) == "common"
