"""The ``accounts`` section (optional: typed-in books get the standard chart)."""

from __future__ import annotations

from cajas.books.format import show
from cajas.books.importer.shape import ACCOUNT
from cajas.books.importer.state import Plan
from cajas.ledger import chart
from cajas.ledger.models import Account, AccountKind
from cajas.loans.models import Loan
from cajas.members.models import Membership
from cajas.org.models import Caja


def check_accounts(plan: Plan) -> None:
    raw_accounts = plan.doc.get("accounts")
    if raw_accounts is None:  # typed-in books: the standard chart plus one per member
        raw_accounts = [
            {"code": c, "kind": k.value, "member": None} for c, k in chart.CAJA_ACCOUNTS.items()
        ]
        raw_accounts += [
            {"code": chart.savings_account_code(n), "kind": "liability", "member": n}
            for n in sorted(plan.members)
        ]
    for i, raw in enumerate(raw_accounts):
        path = f"$.accounts[{i}]"
        if not ACCOUNT.check(raw, path, plan.errs):
            continue
        if raw["code"] in plan.accounts:
            plan.errs.add(f"{path}.code", f"cuenta repetida / duplicate account {raw['code']}")
        if raw["kind"] not in AccountKind.values:
            plan.errs.add(f"{path}.kind", f"tipo desconocido / unknown kind {show(raw['kind'])}")
        if raw.get("member") is not None and raw["member"] not in plan.known["members"]:
            plan.errs.add(
                f"{path}.member", f"socio inexistente / unknown member {show(raw['member'])}"
            )
        if raw.get("loan") is not None and raw["loan"] not in plan.known["loans"]:
            plan.errs.add(
                f"{path}.loan", f"préstamo inexistente / unknown loan {show(raw['loan'])}"
            )
        plan.accounts[raw["code"]] = raw


def write_accounts(
    plan: Plan, caja: Caja, members: dict[int, Membership], loans: dict[int, Loan]
) -> dict[str, Account]:
    accounts = {
        code: Account.objects.create(
            caja=caja,
            code=code,
            kind=raw["kind"],
            membership=members.get(raw["member"]) if raw.get("member") else None,
            loan=loans.get(raw.get("loan") or 0),
        )
        for code, raw in sorted(plan.accounts.items())
    }
    return accounts
