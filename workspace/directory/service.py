"""Rules about the services of the network: listing, adding, editing, retiring."""

from flask_babel import gettext as _
from sqlalchemy import func, select

from workspace import audit
from workspace.accounts.models import User
from workspace.clock import utcnow
from workspace.directory.models import Scope, Service
from workspace.extensions import db
from workspace.people.models import Profile


def services(*, include_retired: bool = False) -> list[Service]:
    query = select(Service).order_by(Service.scope, Service.position, Service.district)
    if not include_retired:
        query = query.where(Service.retired_at.is_(None))
    return list(db.session.scalars(query))


def find_service(service_id: int | None) -> Service | None:
    """The service chosen in a form (its choices were validated), or None for none."""
    return db.session.get(Service, service_id) if service_id else None


def service_choices(blank_label: str, *, current: Service | None = None) -> list[tuple]:
    """Choices for a select: the active services, and the person's ``current`` one even when
    it has been retired, so that saving a form never silently takes it away."""
    choices = [("", blank_label)] + [(s.id, s.label) for s in services()]
    if current is not None and current.is_retired:
        choices.append((current.id, _("%(service)s (ritirato)", service=current.label)))
    return choices


def directory() -> dict[Scope, list[tuple[Service, list[User]]]]:
    """Active services in their two tables, each with its active people (one query each)."""
    listed = services()
    people = db.session.scalars(
        select(User)
        .join(Profile)
        .where(User.active.is_(True), Profile.service_id.in_([s.id for s in listed]))
        .order_by(User.name)
    ).unique()
    by_service: dict[int, list[User]] = {}
    for person in people:
        by_service.setdefault(person.profile.service_id, []).append(person)
    tables: dict[Scope, list] = {Scope.PROVINCIAL: [], Scope.EXTRA_PROVINCIAL: []}
    for service in listed:
        tables[service.scope].append((service, by_service.get(service.id, [])))
    return tables


def retired_services() -> list[Service]:
    return list(
        db.session.scalars(
            select(Service).where(Service.retired_at.is_not(None)).order_by(Service.district)
        )
    )


def next_position(scope: Scope) -> int:
    current = db.session.scalar(select(func.max(Service.position)).where(Service.scope == scope))
    return (current or 0) + 1


def create_service(
    *, name: str, district: str, health_authority: str | None, scope: Scope
) -> Service:
    service = Service(
        name=name.strip(),
        district=district.strip(),
        health_authority=(health_authority or "").strip() or None,
        scope=scope,
        position=next_position(scope),
    )
    db.session.add(service)
    audit.record("service.created", target=service, label=service.label)
    db.session.commit()
    return service


def update_service(
    service: Service, *, name: str, district: str, health_authority: str | None, scope: Scope
) -> None:
    if scope != service.scope:
        service.position = next_position(scope)
    service.name = name.strip()
    service.district = district.strip()
    service.health_authority = (health_authority or "").strip() or None
    service.scope = scope
    if db.session.is_modified(service):
        audit.record("service.updated", target=service, label=service.label)
    db.session.commit()


def retire_service(service: Service) -> None:
    """Retired services leave the directory; people and history keep pointing at them."""
    if service.retired_at is None:
        service.retired_at = utcnow()
        audit.record("service.retired", target=service, label=service.label)
        db.session.commit()


def restore_service(service: Service) -> None:
    if service.retired_at is not None:
        audit.record("service.restored", target=service, label=service.label)
    service.retired_at = None
    db.session.commit()
