"""The audit log's action codes and their Italian labels (what the register and its filter show).

Codes are dotted, subject first ("group.member_added"); a code missing here is shown as is.
"""

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "auth.login": _l("Accesso"),
    "auth.login_failed": _l("Accesso non riuscito"),
    "auth.logout": _l("Uscita"),
    "auth.password_changed": _l("Password cambiata"),
    "auth.password_reset_requested": _l("Richiesta di reimpostare la password"),
    "auth.password_reset_completed": _l("Password reimpostata"),
    "twofactor.enrolled": _l("Verifica in due passaggi attivata"),
    "twofactor.disabled": _l("Verifica in due passaggi disattivata"),
    "twofactor.recovery_code_used": _l("Accesso con un codice di recupero"),
    "twofactor.recovery_codes_renewed": _l("Nuovi codici di recupero generati"),
    "twofactor.reset": _l("Verifica in due passaggi azzerata da un coordinatore"),
    "invitation.created": _l("Invito inviato"),
    "invitation.renewed": _l("Invito rinnovato"),
    "invitation.revoked": _l("Invito revocato"),
    "invitation.accepted": _l("Invito accettato"),
    "person.role_changed": _l("Ruolo cambiato"),
    "person.activated": _l("Account riattivato"),
    "person.deactivated": _l("Account disattivato"),
    "person.updated": _l("Profilo modificato da un coordinatore"),
    "person.data_exported": _l("Dati personali scaricati"),
    "person.erased": _l("Persona rimossa: dati personali cancellati"),
    "group.created": _l("Gruppo creato"),
    "group.updated": _l("Impostazioni del gruppo cambiate"),
    "group.archived": _l("Gruppo archiviato"),
    "group.restored": _l("Gruppo ripristinato"),
    "group.member_added": _l("Componente aggiunto al gruppo"),
    "group.member_removed": _l("Componente tolto dal gruppo"),
    "group.member_role_changed": _l("Ruolo nel gruppo cambiato"),
    "group.exported": _l("Archivio del gruppo scaricato"),
    "service.created": _l("Servizio aggiunto"),
    "service.updated": _l("Servizio modificato"),
    "service.retired": _l("Servizio ritirato"),
    "service.restored": _l("Servizio ripristinato"),
    "document.approved": _l("Versione approvata"),
    "document.exported": _l("Documento esportato (DOCX)"),
    "document.downloaded": _l("Documento scaricato (Markdown)"),
    "minutes.circulated": _l("Verbale in visione ai partecipanti"),
    "minutes.approved": _l("Verbale approvato"),
    "minutes.downloaded": _l("Verbale scaricato"),
    "meeting.cancelled": _l("Incontro annullato"),
    "decision.removed": _l("Decisione eliminata"),
    "agenda_item.removed": _l("Punto all'ordine del giorno eliminato"),
    "message.withdrawn": _l("Messaggio ritirato"),
    "audit.exported": _l("Registro esportato (CSV)"),
    "audit.pruned": _l("Voci vecchie del registro eliminate"),
}

# The filter also offers each subject as a whole ("auth." = every sign-in event).
SUBJECTS = {
    "auth.": _l("Tutte: accessi e password"),
    "twofactor.": _l("Tutte: verifica in due passaggi"),
    "invitation.": _l("Tutte: inviti"),
    "person.": _l("Tutte: persone e ruoli"),
    "group.": _l("Tutte: gruppi"),
    "service.": _l("Tutte: servizi"),
    "document.": _l("Tutte: documenti"),
    "minutes.": _l("Tutte: verbali"),
    "meeting.": _l("Tutte: incontri"),
    "audit.": _l("Tutte: registro"),
}


def label(code: str) -> str:
    found = ACTIONS.get(code)
    return str(found) if found is not None else code


# What an entry is about, as the register names it (codes are stored in English).
TARGETS = {
    "user": _l("persona"),
    "group": _l("gruppo"),
    "meeting": _l("incontro"),
    "decision": _l("decisione"),
    "document": _l("documento"),
    "invitation": _l("invito"),
    "agendaitem": _l("punto all'ordine del giorno"),
    "message": _l("messaggio"),
    "service": _l("servizio"),
}


def target_label(code: str | None) -> str:
    found = TARGETS.get(code or "")
    return str(found) if found is not None else (code or "")
