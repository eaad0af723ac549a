"""The demo program's logins, one for each role, all with the same password."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from cajas.access.models import StaffAssignment, StaffRole
from cajas.members.models import Membership
from cajas.org.models import Caja, Partner, Program

PASSWORD = "cajas-demo-2026"


@dataclass
class DemoLogin:
    username: str
    role: str
    scope: str


def logins_create(program: Program, partners: list[Partner], cajas: list[Caja]) -> list[DemoLogin]:
    """The staff logins (admin, auditor, a partner's supervisor, a facilitator of five cajas)
    and four caja logins: the first caja's treasurer, president and a member, and another
    caja's treasurer."""
    logins: list[DemoLogin] = []

    def user(username: str) -> User:
        return User.objects.create_user(username=username, password=PASSWORD)

    staff: list[tuple[str, StaffRole, dict[str, Partner], str]] = [
        ("admin", StaffRole.PROGRAM_ADMIN, {}, program.name),
        ("auditora", StaffRole.AUDITOR, {}, program.name),
        ("supervisora", StaffRole.PARTNER_SUPERVISOR, {"partner": partners[0]}, partners[0].name),
    ]
    for username, role, scope, label in staff:
        StaffAssignment.objects.create(user=user(username), role=role, program=program, **scope)
        logins.append(DemoLogin(username, str(role.label), label))
    facilitator = user("facilitador")
    assigned = [c for c in cajas if c.partner_id == partners[0].pk][:5]
    for caja in assigned:
        StaffAssignment.objects.create(
            user=facilitator, role=StaffRole.FACILITATOR, program=program, caja=caja
        )
    logins.append(
        DemoLogin(
            "facilitador", str(StaffRole.FACILITATOR.label), ", ".join(c.name for c in assigned)
        )
    )
    first, second = cajas[0], cajas[1]
    for username, caja, member_role in [
        ("tesorera", first, "treasurer"),
        ("presidente", first, "president"),
        ("socia", first, "member"),
        ("tesorero2", second, "treasurer"),
    ]:
        membership = (
            Membership.objects.filter(caja=caja, role=member_role).select_related("person").first()
        )
        assert membership is not None
        account = user(username)
        membership.person.user = account
        membership.person.save(update_fields=["user"])
        logins.append(DemoLogin(username, membership.get_role_display(), caja.name))
    return logins
