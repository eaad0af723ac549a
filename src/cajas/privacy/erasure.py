"""Erasure of a person's data (LOPDP right to deletion) with the books still verifiable.

The journal's hash chain covers natural keys (account codes, member numbers), never names
(docs/decisions/0003), so blanking the person leaves every caja's ``verify`` clean. Her
``Person`` row stays as a tombstone («Persona eliminada»), keeping its pseudonymous code, so
memberships, loans and journal lines still point at something; every personal field is blanked,
the encrypted ones emptied, her login disabled and renamed (in the access log too). Consents stay as facts (purpose,
dates, how), access-log rows stay (they name her code only).

Refused while she owes a caja money (a loan approved or handed over and not repaid) or a caja
owes her (an open membership with savings): the books need to know who.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.models import AccessAttempt as AxesAccessAttempt
from axes.models import AccessFailureLog as AxesAccessFailureLog
from axes.models import AccessLog as AxesAccessLog
from django.db import transaction
from django.utils import timezone

from cajas.access.models import AccessLog, AccessWhat
from cajas.access.services import access_log_write
from cajas.core.money import format_amount
from cajas.ledger import chart
from cajas.ledger.models import Account
from cajas.loans.models import Loan, LoanStatus
from cajas.members.models import DocumentType, Gender, Membership, Person
from cajas.members.rules import ErasureDone, check_erasable

TOMBSTONE_GIVEN = "Persona"
TOMBSTONE_FAMILY = "eliminada"
TOMBSTONE_BIRTH = dt.date(1900, 1, 1)


@transaction.atomic
def person_erase(*, person_id: int, reason: str, by: Any = None, ip: str | None = None) -> Person:
    person = Person.objects.select_for_update().get(pk=person_id)
    if person.erased_at is not None:
        raise ErasureDone(code=person.code, on=timezone.localtime(person.erased_at).date())
    memberships = list(Membership.objects.filter(person=person).select_related("caja"))
    open_loans = [
        (loan.number, loan.caja.name)
        for loan in Loan.objects.filter(
            membership__in=memberships, status__in=[LoanStatus.APPROVED, LoanStatus.DISBURSED]
        ).select_related("caja")
    ]
    open_savings = []
    for m in memberships:
        if m.left_on is not None:
            continue
        balance = (
            Account.objects.filter(caja=m.caja, code=chart.savings_account_code(m.number))
            .values_list("balance_cents", flat=True)
            .first()
        )
        if balance:
            open_savings.append((m.caja.name, format_amount(balance)))
    check_erasable(
        code=person.code, open_loans=open_loans, open_savings=open_savings, reason=reason
    )
    user = person.user
    person.given_names = TOMBSTONE_GIVEN
    person.family_names = TOMBSTONE_FAMILY
    person.gender = Gender.UNDISCLOSED
    person.birth_date = TOMBSTONE_BIRTH
    person.nationality = ""
    person.phone = ""
    person.document_type = DocumentType.NONE
    person.document_number = ""
    person.mobility_status = ""
    person.user = None
    person.erased_at = timezone.now()
    person.save()
    if user is not None:
        old_username = user.username
        user.username = f"eliminada-{person.code}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        # Her old username (often her name) is copied into the access log rows of her reads.
        AccessLog.objects.filter(user=user).update(username=user.username)
        # So is it into the login records (django-axes: attempts, failures, logins).
        for model in (AxesAccessAttempt, AxesAccessFailureLog, AxesAccessLog):
            model.objects.filter(username=old_username).update(username=user.username)
    access_log_write(user=by, what=AccessWhat.ERASURE, person=person, detail=reason, ip=ip)
    return person
