"""What the benchmark (bench/run.py) needs from the app: a bare endpoint to measure against.

Registered only when ``BENCH_BARE_ENDPOINT`` is true (the runner sets the environment variable
``FLASK_BENCH_BARE_ENDPOINT=1``): by default no such route exists. The endpoint touches no
database and no template, so its latency is the cost of the framework, the WSGI server and
the app's request hooks alone; every page's figure is reported as a ratio to it.
"""

from flask import Blueprint, Flask, Response

bp = Blueprint("bench_support", __name__)


@bp.get("/_bench/bare")
def bare() -> Response:
    return Response("ok\n", mimetype="text/plain")


def init_app(app: Flask) -> None:
    if app.config.get("BENCH_BARE_ENDPOINT"):
        app.register_blueprint(bp)
