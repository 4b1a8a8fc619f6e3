"""The places on a group page that capabilities fill (documents, discussions, meetings).

A capability registers a panel: a partial template and a function that gives its context for
one group and the current person's access. The group page renders the registered panels in
order; a panel shows only what exists, never sample content.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable  # (GroupAccess) -> dict
    order: int = 100


def register_panel(app: Flask, panel: Panel) -> None:
    panels = app.extensions.setdefault("tavolo.group_panels", [])
    panels.append(panel)
    panels.sort(key=lambda p: p.order)


def group_panels(app: Flask) -> list[Panel]:
    return list(app.extensions.get("tavolo.group_panels", []))
