"""Language and time on screen: Italian first, English on request, Europe/Rome always."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, session
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


def init_app(app: Flask) -> None:
    from workspace import PACKAGE_DIR

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
