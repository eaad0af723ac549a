"""Which cajas a user may see and what they may do there. Every web page and export goes
through these; nothing is reachable by guessing an id."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from cajas.access.models import AccessLog, StaffAssignment, StaffRole
from cajas.core.errors import NotFound
from cajas.members.models import OFFICER_ROLES, Membership, Person
from cajas.org.models import Caja

AnyUser = AbstractBaseUser | AnonymousUser


def caja_list_for_user(*, user: AnyUser) -> QuerySet[Caja]:
    if not user.is_authenticated:
        return Caja.objects.none()
    if getattr(user, "is_superuser", False):
        return Caja.objects.all()
    assignments = StaffAssignment.objects.filter(user_id=user.pk)
    scope = Q(pk__in=[])
    for a in assignments:
        if a.role in (StaffRole.PROGRAM_ADMIN, StaffRole.AUDITOR):
            scope |= Q(program_id=a.program_id)
        elif a.role == StaffRole.PARTNER_SUPERVISOR:
            scope |= Q(partner_id=a.partner_id)
        elif a.role == StaffRole.FACILITATOR:
            scope |= Q(pk=a.caja_id)
    # A subquery, not a join: the scope is nested in every query of the program pages, and a
    # join on the memberships would make each of them read every member of the program.
    scope |= Q(
        pk__in=Membership.objects.filter(person__user_id=user.pk, left_on__isnull=True).values(
            "caja_id"
        )
    )
    return Caja.objects.filter(scope)


def caja_get_for_user(*, user: AnyUser, caja_id: int) -> Caja:
    caja = caja_list_for_user(user=user).filter(pk=caja_id).first()
    if caja is None:
        raise NotFound(what="la caja", what_en="caja", ref=caja_id)
    return caja


def membership_of_user(*, user: AnyUser, caja: Caja) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(caja=caja, person__user_id=user.pk, left_on__isnull=True)
        .select_related("person")
        .first()
    )


def user_can_record_meetings(*, user: AnyUser, caja: Caja) -> bool:
    """Officers of the caja and its assigned facilitators record meetings; supervisors, auditors
    and program admins only read (a program admin who must correct a book does it through
    a reversal, by the CLI)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    membership = membership_of_user(user=user, caja=caja)
    if membership is not None and membership.role in OFFICER_ROLES:
        return True
    return StaffAssignment.objects.filter(
        user_id=user.pk, role=StaffRole.FACILITATOR, caja=caja
    ).exists()


def user_sees_all_members(*, user: AnyUser, caja: Caja) -> bool:
    """A plain member sees only their own passbook; everyone else with access sees the roll."""
    membership = membership_of_user(user=user, caja=caja)
    if membership is None or membership.role != "member":
        return True
    pk = user.pk
    if pk is None:
        return False
    return StaffAssignment.objects.filter(user_id=pk).exists()


def user_is_staff(*, user: AnyUser) -> bool:
    """Program staff (admins, supervisors, facilitators, auditors) see the program's pages."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return StaffAssignment.objects.filter(user_id=user.pk).exists()


def user_records_visits(*, user: AnyUser) -> bool:
    """Everyone on the program's staff but auditors records follow-up visits."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return StaffAssignment.objects.filter(user_id=user.pk).exclude(role=StaffRole.AUDITOR).exists()


def user_is_program_admin(*, user: AnyUser) -> bool:
    """Program admins keep the program-wide data, such as the legal rate caps."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return StaffAssignment.objects.filter(user_id=user.pk, role=StaffRole.PROGRAM_ADMIN).exists()


def programs_administered(*, user: AnyUser) -> list[int] | None:
    """The programs the user is program admin of; None for a superuser (every program)."""
    if not user.is_authenticated:
        return []
    if getattr(user, "is_superuser", False):
        return None
    return list(
        StaffAssignment.objects.filter(user_id=user.pk, role=StaffRole.PROGRAM_ADMIN).values_list(
            "program_id", flat=True
        )
    )


def person_for_admin(*, user: AnyUser, code: str) -> Person | None:
    """The person ``code`` if she is (or was) a member in a program the user administers."""
    programs = programs_administered(user=user)
    people = Person.objects.filter(code=code)
    if programs is not None:
        people = people.filter(memberships__caja__program_id__in=programs)
    return people.distinct().first()


def access_log_for_admin(
    *, user: AnyUser, person_code: str = "", username: str = ""
) -> QuerySet[AccessLog]:
    """The access-log rows about the programs the user administers, newest first."""
    rows = AccessLog.objects.select_related("person", "caja")
    programs = programs_administered(user=user)
    if programs is not None:
        rows = rows.filter(
            Q(caja__program_id__in=programs) | Q(person__memberships__caja__program_id__in=programs)
        ).distinct()
    if person_code:
        rows = rows.filter(person__code=person_code)
    if username:
        rows = rows.filter(username=username)
    return rows.order_by("-at", "-pk")
