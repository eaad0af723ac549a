"""Follow-up visits: recorded with a checklist, findings and agreed actions with due dates;
closed when every action is done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cajas.core.errors import RuleViolation
from cajas.monitoring.models import Visit, VisitAction, VisitStatus
from cajas.org.models import Caja

CHECKLIST = [
    ("books", _("Books up to date")),
    ("cash", _("Cash counted with the treasurer")),
    ("minutes", _("Minutes signed")),
    ("bylaws", _("Members know the bylaws")),
    ("loans", _("Loans repaid on time")),
]


class VisitActionsPending(RuleViolation):
    code = "visit.actions_pending"
    message_es = (
        "Quedan {n} acción(es) acordada(s) sin cumplir; ciérrelas antes de cerrar la visita."
    )
    message_en = "{n} agreed action(s) are not done yet; close them before closing the visit."


class VisitActionDueInvalid(RuleViolation):
    code = "visit.action_due"
    message_es = "La acción «{what}» necesita una fecha límite posterior a la visita."
    message_en = "The action “{what}” needs a due date after the visit."
    default_field = "actions"


class VisitClosed(RuleViolation):
    code = "visit.closed"
    message_es = "La visita ya está cerrada."
    message_en = "The visit is already closed."


@transaction.atomic
def visit_record(
    *,
    caja: Caja,
    visitor: User,
    date: dt.date,
    reason: str,
    checklist: dict[str, bool],
    findings: str,
    actions: Sequence[tuple[str, dt.date | None]],
) -> Visit:
    for description, due in actions:
        if due is None or due < date:
            raise VisitActionDueInvalid(what=description)
    visit = Visit.objects.create(
        caja=caja,
        date=date,
        visitor=visitor,
        reason=reason.strip()[:200],
        checklist={code: bool(checklist.get(code)) for code, _label in CHECKLIST},
        findings=findings.strip(),
    )
    VisitAction.objects.bulk_create(
        [
            VisitAction(caja_id=visit.caja_id, visit=visit, description=d.strip()[:300], due_on=due)
            for d, due in actions
            if d.strip() and due is not None
        ]
    )
    return visit


@transaction.atomic
def visit_action_done(*, action: VisitAction, on: dt.date) -> VisitAction:
    if action.visit.status == VisitStatus.CLOSED:
        raise VisitClosed()
    action.done_on = on
    action.save(update_fields=["done_on"])
    return action


@transaction.atomic
def visit_close(*, visit: Visit, on: dt.date) -> Visit:
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.CLOSED:
        raise VisitClosed()
    pending = visit.actions.filter(done_on__isnull=True).count()
    if pending:
        raise VisitActionsPending(n=pending)
    visit.status = VisitStatus.CLOSED
    visit.closed_on = on
    visit.save(update_fields=["status", "closed_on"])
    return visit
