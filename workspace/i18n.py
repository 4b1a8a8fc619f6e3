"""Language and time on screen: Italian first, English on request, Europe/Rome always."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import flask_babel
from flask import Flask, current_app, g, has_request_context, session
from flask_babel import Babel, format_date, format_datetime, get_locale
from flask_login import current_user

ROME = ZoneInfo("Europe/Rome")

babel = Babel()


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in Rome: where a day a person names begins (filters by date)."""
    return datetime.combine(day, time.min, tzinfo=ROME)


def locale_of(user) -> str:
    """The language of mail to ``user`` (outside any request): their choice, if offered."""
    chosen = getattr(getattr(user, "profile", None), "locale", None)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    profile = getattr(current_user, "profile", None) if current_user.is_authenticated else None
    if profile is not None and profile.locale in languages:
        return profile.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def datetime_filter(value, style: str = "d MMMM y, HH:mm") -> str:
    return "" if value is None else format_datetime(value, style)


def date_filter(value, style: str = "d MMMM y") -> str:
    return "" if value is None else format_date(value, style)


def _translations():
    """The catalogue of the current locale, looked up once per request and locale.

    Flask-Babel's own lookup goes through ``g`` a dozen times per string; a history page
    translates some 550 strings, and that lookup was a fifth of its time. The result is kept
    on ``g`` with the locale it was found for, so ``force_locale`` (mail in the recipient's
    language) and ``refresh()`` (a person choosing another language) are still obeyed: a
    new locale object means a new lookup.
    """
    try:
        store = g._get_current_object()
    except RuntimeError:  # no application context: Flask-Babel knows what to do
        return flask_babel.get_translations()
    locale = getattr(getattr(store, "_flask_babel", None), "babel_locale", None)
    cached = store.__dict__.get("_tavolo_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = flask_babel.get_translations()
    locale = getattr(getattr(store, "_flask_babel", None), "babel_locale", None)
    if locale is not None:
        store._tavolo_translations = (locale, translations)
    return translations


def init_app(app: Flask) -> None:
    from workspace import PACKAGE_DIR

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    # Templates translate through the cached catalogue (see _translations); same callables,
    # same newstyle autoescaping and %-formatting as Flask-Babel installs.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
