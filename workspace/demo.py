"""Demo data: the real network of services, its working groups and a few demo people.

Idempotent: running it again adds what is missing and changes nothing that exists.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select, update

from workspace.accounts.models import User
from workspace.accounts.service import hash_password
from workspace.directory.models import Service
from workspace.directory.seed import SERVICES
from workspace.extensions import db
from workspace.groups.models import Group, GroupRole, Membership
from workspace.i18n import ROME
from workspace.people.models import Role
from workspace.people.service import create_person

DEMO_PASSWORD = "spazio-neutro-demo"  # noqa: S105 (published demo login)

GROUPS = [
    (
        "tavolo-di-coordinamento",
        "Tavolo di coordinamento",
        "Il luogo del confronto tra i coordinatori dei servizi Spazio Neutro: qui si "
        "individuano e si pianificano le attività di supporto al lavoro dei servizi, si "
        "definisce la programmazione e se ne segue la realizzazione.",
        False,
    ),
    (
        "gruppo-genitori-ama",
        "Gruppo genitori auto mutuo aiuto (AMA)",
        "Progetto AMA per i genitori di Spazio Neutro: il gruppo dei genitori si incontra "
        "ogni mese.",
        False,
    ),
    (
        "revisione-linee-guida",
        "Revisione linee guida",
        "Revisione condivisa delle linee guida della rete dei servizi per il diritto di visita "
        "e di relazione.",
        False,
    ),
    (
        "ambientamento-del-bambino",
        "Ambientamento del bambino in Spazio Neutro",
        "Come il bambino si abitua al setting dello Spazio Neutro: pratiche a confronto tra "
        "i servizi.",
        False,
    ),
    (
        "genitori-affidatari-e-spazio-neutro",
        "Genitori affidatari e Spazio Neutro",
        "Gruppo di lavoro congiunto con il coordinamento affidi: gli incontri in Spazio "
        "Neutro dei bambini in affido e il ruolo dei genitori affidatari.",
        True,
    ),
]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role
    district: str | None  # of the service, for operators
    organisation: str | None
    groups: tuple[tuple[str, GroupRole], ...]


PEOPLE = [
    DemoPerson(
        "coordinatrice@tavolo.example",
        "Laura Bianchi",
        Role.COORDINATOR,
        None,
        "Provincia di Milano",
        (("tavolo-di-coordinamento", GroupRole.LEAD),),
    ),
    DemoPerson(
        "giulia.ferri@tavolo.example",
        "Giulia Ferri",
        Role.OPERATOR,
        "Milano",
        None,
        (("revisione-linee-guida", GroupRole.LEAD), ("gruppo-genitori-ama", GroupRole.MEMBER)),
    ),
    DemoPerson(
        "paolo.conti@tavolo.example",
        "Paolo Conti",
        Role.OPERATOR,
        "Legnano",
        None,
        (
            ("revisione-linee-guida", GroupRole.MEMBER),
            ("ambientamento-del-bambino", GroupRole.LEAD),
        ),
    ),
    DemoPerson(
        "sara.galli@tavolo.example",
        "Sara Galli",
        Role.OPERATOR,
        "Cernusco sul Naviglio",
        None,
        (
            ("gruppo-genitori-ama", GroupRole.LEAD),
            ("genitori-affidatari-e-spazio-neutro", GroupRole.LEAD),
        ),
    ),
    DemoPerson(
        "davide.moretti@tavolo.example",
        "Davide Moretti",
        Role.OPERATOR,
        "Busto Arsizio",
        None,
        (("ambientamento-del-bambino", GroupRole.MEMBER),),
    ),
    DemoPerson(
        "elena.marchi@tavolo.example",
        "Elena Marchi",
        Role.EXTERNAL,
        None,
        "Coordinamento affidi",
        (("genitori-affidatari-e-spazio-neutro", GroupRole.MEMBER),),
    ),
    # In no group: invited to the joint meetings only, which are all this person sees.
    DemoPerson(
        "marco.riva@tavolo.example",
        "Marco Riva",
        Role.EXTERNAL,
        None,
        "Coordinamento affidi",
        (),
    ),
]


def ensure_services() -> int:
    added = 0
    for position, (scope, (district, health_authority, name)) in enumerate(SERVICES, start=1):
        exists = db.session.scalar(
            select(Service.id).where(Service.district == district, Service.name == name)
        )
        if exists is None:
            db.session.add(
                Service(
                    name=name,
                    district=district,
                    health_authority=health_authority,
                    scope=scope,
                    position=position,
                )
            )
            added += 1
    db.session.flush()
    return added


def ensure_groups() -> dict[str, Group]:
    groups = {}
    for slug, name, purpose, is_joint in GROUPS:
        group = db.session.scalar(select(Group).where(Group.slug == slug))
        if group is None:
            group = Group(slug=slug, name=name, purpose=purpose, is_joint=is_joint)
            db.session.add(group)
        groups[slug] = group
    db.session.flush()
    return groups


def ensure_people(groups: dict[str, Group]) -> list[tuple[DemoPerson, bool]]:
    result = []
    password_hash = None
    for person in PEOPLE:
        user = db.session.scalar(select(User).where(User.email == person.email))
        created = user is None
        if created:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            service = None
            if person.district:
                service = db.session.scalar(
                    select(Service).where(Service.district == person.district)
                )
            user = create_person(
                email=person.email,
                name=person.name,
                role=person.role,
                password_hash=password_hash,
                service=service,
                organisation=person.organisation,
            )
            db.session.flush()
        for slug, role in person.groups:
            group = groups[slug]
            member = db.session.scalar(
                select(Membership).where(
                    Membership.group_id == group.id, Membership.user_id == user.id
                )
            )
            if member is None:
                db.session.add(Membership(group=group, user=user, role=role))
        result.append((person, created))
    return result


GUIDELINES_TITLE = "Linee guida della rete Spazio Neutro: testo di partenza"
GUIDELINES_DESCRIPTION = (
    "Il testo da cui parte la revisione: le finalità del coordinamento, i gruppi di lavoro e "
    "la rete dei servizi, dalla pagina della Provincia di Milano sulle attività del 2014."
)
GUIDELINES_INTRO = """# Il coordinamento provinciale Spazio Neutro

## Finalità

La Provincia di Milano ha attivato un tavolo di coordinamento per i servizi per il diritto di visita e di relazione operanti sul suo territorio per:

- costruire una rete di collegamento tra le varie realtà;
- rispondere all'esigenza di confronto e aggiornamento tra gli operatori;
- favorire la sperimentazione di modelli di intervento verificati e replicabili;
- attivare gruppi di lavoro tematici.

Il coordinamento è il luogo del confronto, il luogo dove vengono individuate e pianificate le diverse attività di supporto al lavoro dei servizi; vi prendono parte i coordinatori, che collaborano attivamente alla definizione della programmazione e alla sua realizzazione.

Al tavolo di coordinamento partecipano anche servizi esterni al territorio provinciale.

## I gruppi di lavoro

1. Gruppo genitori auto mutuo aiuto: progetto AMA per genitori Spazio Neutro. Il gruppo genitori si incontra mensilmente.
2. Revisione delle linee guida.
3. Ambientamento del bambino in Spazio Neutro.
4. Genitori affidatari e Spazio Neutro: gruppo di lavoro congiunto con il coordinamento affidi.
"""  # noqa: E501 (one paragraph per line, as people write in the editor)


def _services_table(services: list[Service]) -> str:
    rows = ["| Ambito distrettuale | ASL | Servizio di riferimento |", "| --- | --- | --- |"]
    for service in services:
        cells = (service.district, service.health_authority or "", service.name)
        rows.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def ensure_guidelines(groups: dict[str, Group]) -> bool:
    """The starting text of the guidelines group, written from the seed pages."""
    from workspace.directory.models import Scope
    from workspace.documents.models import Document
    from workspace.documents.service import create_document

    group = groups["revisione-linee-guida"]
    if db.session.scalar(select(Document.id).where(Document.group_id == group.id)) is not None:
        return False
    lead = db.session.scalar(select(User).where(User.email == "giulia.ferri@tavolo.example"))
    services = list(db.session.scalars(select(Service).order_by(Service.district)))
    provincial = [s for s in services if s.scope == Scope.PROVINCIAL]
    outside = [s for s in services if s.scope != Scope.PROVINCIAL]
    body = (
        GUIDELINES_INTRO
        + "\n## La rete dei servizi\n\n### Servizi che aderiscono al coordinamento provinciale\n\n"
        + _services_table(provincial)
        + "\n### Servizi extra-provinciali\n\n"
        + _services_table(outside)
    )
    create_document(
        group,
        title=GUIDELINES_TITLE,
        description=GUIDELINES_DESCRIPTION,
        body=body,
        author=lead,
    )
    return True


def _person(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def ensure_meetings(groups: dict[str, Group], *, today: date | None = None) -> bool:
    """A few meetings around today: the AMA group's monthly series (every second Tuesday),
    a past meeting of the guidelines group with its minutes in view, a joint meeting of the
    foster-parents group with the foster-care coordination."""
    from workspace.meetings import service as meetings
    from workspace.meetings.models import Attendance, Meeting
    from workspace.meetings.recurrence import Pattern

    if db.session.scalar(select(Meeting.id).limit(1)) is not None:
        return False
    today = today or datetime.now(ROME).date()

    def schedule(group, by, title, day, start, end, place, *, joint=False, extra=(), **repeat):
        invited = tuple(dict.fromkeys([*meetings.group_members_ids(group), *(p.id for p in extra)]))
        return meetings.schedule_meetings(
            True,
            group,
            meetings.Schedule(
                title=title,
                starts_local=datetime.combine(day, start),
                ends_local=datetime.combine(day, end),
                place=place,
                online_url="",
                is_joint=joint,
                invited_ids=invited,
                **repeat,
            ),
            by=by,
        )

    sara, giulia = _person("sara.galli@tavolo.example"), _person("giulia.ferri@tavolo.example")
    paolo = _person("paolo.conti@tavolo.example")
    # The AMA parents' group: every second Tuesday of the month, from next month, for a year.
    first = date(today.year + (today.month == 12), today.month % 12 + 1, 8)
    while first.weekday() != 1:  # Tuesday
        first += timedelta(days=1)
    schedule(
        groups["gruppo-genitori-ama"],
        sara,
        "Gruppo genitori AMA",
        first,
        time(18, 0),
        time(20, 0),
        "Spazio Neutro di Cernusco sul Naviglio",
        pattern=Pattern.MONTHLY_WEEKDAY,
        count=12,
    )
    # The guidelines group met two weeks ago; the minutes are in view for comments.
    guidelines = groups["revisione-linee-guida"]
    (past,) = schedule(
        guidelines,
        giulia,
        "Revisione linee guida: avvio dei lavori",
        today - timedelta(days=14),
        time(10, 0),
        time(12, 30),
        "Provincia di Milano, via Vivaio 1, sala 3",
    )
    opening = meetings.add_item(
        past,
        title="Il testo di partenza: finalità e gruppi",
        owner_id=giulia.id,
        duration=45,
        by=giulia,
    )
    meetings.add_item(past, title="Calendario dei lavori", owner_id=None, duration=20, by=giulia)
    meetings.set_attendance(
        past,
        {
            p.id: (Attendance.EXCUSED if p.user_id == paolo.id else Attendance.PRESENT)
            for p in past.participants
        },
    )
    meetings.add_guest(past, name="Anna Colombo", organisation="Comune di Rho")
    document = meetings.start_minutes(past, by=giulia)
    from workspace.revisions import service as revisions

    text = revisions.text_at(document.text, document.text.head)
    text = text.replace(
        "## Il testo di partenza: finalità e gruppi\n",
        "## Il testo di partenza: finalità e gruppi\n\nGiulia Ferri presenta il testo di "
        "partenza, ripreso dalla pagina della Provincia. Si concorda di rivederlo per sezioni, "
        "una per incontro.\n",
    )
    from workspace.documents import service as documents

    documents.save(
        document,
        author=giulia,
        body=text,
        base_number=document.text.head,
        section=None,
        summary="Svolgimento del primo punto",
    )
    from workspace.documents.models import Document

    guidelines_document = db.session.scalar(
        select(Document).where(Document.group_id == guidelines.id, Document.kind == "document")
    )
    if guidelines_document is not None:
        meetings.add_decision(
            past,
            item_id=opening.id,
            text="Il testo di partenza è adottato come base della revisione.",
            document_id=guidelines_document.id,
            revision_number=1,
            by=giulia,
        )
    meetings.assign_action(
        past,
        title="Proporre la nuova sezione sulle finalità",
        owner_id=paolo.id,
        due_on=today + timedelta(days=10),
        item_id=opening.id,
        by=giulia,
    )
    meetings.circulate(past, by=giulia)
    schedule(
        guidelines,
        giulia,
        "Revisione linee guida: le finalità",
        today + timedelta(days=7),
        time(10, 0),
        time(12, 30),
        "Provincia di Milano, via Vivaio 1, sala 3",
    )
    # The joint group meets with the foster-care coordination.
    (joint,) = schedule(
        groups["genitori-affidatari-e-spazio-neutro"],
        sara,
        "Incontro congiunto con il Coordinamento affidi",
        today + timedelta(days=3),
        time(14, 30),
        time(16, 30),
        "Provincia di Milano, via Vivaio 1, sala 5",
        joint=True,
        extra=(_person("marco.riva@tavolo.example"),),
    )
    meetings.add_item(
        joint,
        title="Il ruolo dei genitori affidatari negli incontri protetti",
        owner_id=sara.id,
        duration=40,
        by=sara,
    )
    meetings.add_item(joint, title="Casi da condividere", owner_id=None, duration=30, by=sara)
    _past_is_read()
    return True


def _past_is_read() -> None:
    """What the demo's past did notify is history, already read (and never mailed): a new
    visitor's bell starts at zero."""
    from workspace.clock import utcnow
    from workspace.notifications.models import Notification

    db.session.execute(
        update(Notification).where(Notification.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.commit()


DEMO_THREAD_TITLE = "Come riscriviamo la sezione sulle finalità?"


def ensure_discussion(groups: dict[str, Group]) -> bool:
    """A first conversation in the guidelines group, and a first edit of the text, so that
    the activity of the group is not empty (both go through their services, like any other)."""
    from workspace.discussions import service as discussions
    from workspace.discussions.models import Thread
    from workspace.documents import service as documents
    from workspace.documents.models import Document

    group = groups["revisione-linee-guida"]
    if db.session.scalar(select(Thread.id).where(Thread.group_id == group.id)) is not None:
        return False
    giulia = _person("giulia.ferri@tavolo.example")
    paolo = _person("paolo.conti@tavolo.example")
    document = db.session.scalar(
        select(Document).where(Document.group_id == group.id, Document.kind == "document")
    )
    thread = discussions.open_thread(
        group,
        author=giulia,
        title=DEMO_THREAD_TITLE,
        body=(
            "Propongo di partire dalle finalità: sono scritte per il 2014 e non parlano dei "
            "genitori affidatari. Chi se ne occupa?"
        ),
    )
    discussions.reply(
        thread,
        author=paolo,
        body="Me ne occupo io: porto una proposta al prossimo incontro.",
    )
    if document is not None:
        from workspace.revisions import service as revisions

        text = revisions.text_at(document.text, document.text.head)
        documents.save(
            document,
            author=paolo,
            body=text.replace(
                "- attivare gruppi di lavoro tematici.\n",
                "- attivare gruppi di lavoro tematici;\n"
                "- lavorare con il coordinamento affidi quando un bambino è in affido.\n",
            ),
            base_number=document.text.head,
            section=None,
            summary="Finalità: il lavoro con il coordinamento affidi",
        )
    _past_is_read()
    return True


def load_demo_data() -> dict:
    added_services = ensure_services()
    groups = ensure_groups()
    people = ensure_people(groups)
    db.session.flush()
    ensure_guidelines(groups)
    db.session.commit()
    # Meetings commit as they go (their service is transactional per step).
    with current_app.test_request_context():
        ensure_meetings(groups)
        ensure_discussion(groups)
    return {"services_added": added_services, "people": people}
