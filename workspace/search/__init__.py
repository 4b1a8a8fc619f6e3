"""Search over documents, minutes, discussion messages, agenda items and actions, limited to
what the person may see (workspace.search.service), on SQLite FTS5 or PostgreSQL full-text
search (workspace.search.backends), kept current by one session hook (workspace.search.index)
and rebuilt by ``flask search-reindex``."""

import click
from flask import Flask


@click.command("search-reindex")
def search_reindex():
    """Build the search index again from every document, message, agenda item and action."""
    from workspace.extensions import db
    from workspace.search.index import rebuild
    from workspace.search.service import kind_labels

    counts = rebuild(db.session)
    labels = kind_labels()
    click.echo(f"Indice di ricerca ricostruito: {sum(counts.values())} voci")
    for kind, count in counts.items():
        click.echo(f"  {labels[kind]}: {count}")


def init_app(app: Flask) -> None:
    from workspace.search import index
    from workspace.search.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(search_reindex)
    index.install()
