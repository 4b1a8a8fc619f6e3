"""How a person is named where markup cannot go (a select's options, plain text).

The HTML counterparts are the ``person_name``/``person_line`` macros in templates/_macros.html:
both mark an external participant with the same word, wherever people are listed.
"""

from flask_babel import gettext as _


def person_text(user, *, affiliation: bool = True) -> str:
    """``Name (esterno) · Affiliation``: the external mark and the service or organisation."""
    profile = getattr(user, "profile", None)
    label = user.name
    if profile is not None and profile.is_external:
        label = f"{label} ({_('esterno')})"
    if affiliation and profile is not None and profile.affiliation:
        label = f"{label} · {profile.affiliation}"
    return label
