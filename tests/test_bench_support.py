"""The benchmark's bare endpoint (workspace/bench_support.py): off by default, and when the
runner turns it on, an answer that touches neither the database nor a template."""

from flask import template_rendered
from sqlalchemy import event

from workspace.extensions import db


def test_the_bare_endpoint_does_not_exist_by_default(app, client):
    assert "bench_support.bare" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    assert client.get("/_bench/bare").status_code == 404


def test_the_flag_from_the_environment_turns_it_on(make_app, monkeypatch):
    monkeypatch.setenv("FLASK_BENCH_BARE_ENDPOINT", "1")
    app = make_app()
    assert "bench_support.bare" in {rule.endpoint for rule in app.url_map.iter_rules()}


def test_the_bare_endpoint_touches_no_database_and_no_template(make_app):
    app = make_app(BENCH_BARE_ENDPOINT=True)
    statements, templates = [], []

    def count(*_args, **_kwargs):
        statements.append(1)

    def rendered(_sender, template, **_extra):
        templates.append(template.name)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    template_rendered.connect(rendered, app)
    try:
        response = app.test_client().get("/_bench/bare")
    finally:
        template_rendered.disconnect(rendered, app)
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "ok\n"
    assert statements == [] and templates == []
    # The app's protections apply to it as to every response.
    assert "Content-Security-Policy" in response.headers
