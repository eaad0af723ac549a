"""Rule ids: every refusal of a rule with an id in docs/domain.md carries that id, every id the
code carries is in docs/domain.md, and every one of them is named by a test.

``NOT_REFUSED`` lists the §6 rules no exception stands for, and why. A rule id with no test is
a failure: the test that raises the exception names its class or its code.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pathlib
import pkgutil
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

import cajas
from cajas.access.rules import SecondFactorCodeWrong, SecondFactorNotStarted
from cajas.access.second_factor import totp_confirm, totp_device_pending
from cajas.core.errors import RuleViolation
from cajas.loans.rules import LoanOverAssetsShare, LoanTermTooLong, check_eligibility
from cajas.meetings.rules import MemberSavingsShareExceeded, check_member_share_of_savings
from cajas.org.terms import LoanFrequency

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOMAIN = (ROOT / "docs" / "domain.md").read_text()

# §6 rules that no exception refuses, each with where it lives instead.
NOT_REFUSED = {
    "CAJA-003": "the founding members are a regulatory profile's figure; the app founds a caja "
    "with any number and the dashboard counts them",
    "FUND-001": "the social fund's amount is what the sheet proposes (meetings.opening); "
    "nothing to refuse",
    "LOAN-005": "bylaws above the legal cap are flagged with the rate that would comply "
    "(loans.rates.bylaws_rate_check), not refused",
    "GOV-002": "bylaws amendments are voted outside the app (no amendment service yet)",
}


def _section_6_ids() -> set[str]:
    section = DOMAIN.split("## 6.")[1].split("\n## ")[0]
    return set(re.findall(r"^\| ([A-Z]+-\d{3}) \|", section, flags=re.M))


def _documented_ids() -> set[str]:
    return set(re.findall(r"^\| ([A-Z]+-\d{3}) \|", DOMAIN, flags=re.M))


def _violations() -> list[type[RuleViolation]]:
    for module in pkgutil.walk_packages(cajas.__path__, "cajas."):
        if ".migrations" not in module.name and ".management" not in module.name:
            importlib.import_module(module.name)
    found: list[type[RuleViolation]] = []
    todo = [RuleViolation]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def _carried() -> dict[str, list[type[RuleViolation]]]:
    by_id: dict[str, list[type[RuleViolation]]] = {}
    for cls in _violations():
        if cls.rule_id:
            by_id.setdefault(cls.rule_id, []).append(cls)
    return by_id


def test_every_rule_id_the_code_carries_is_in_the_domain_reference() -> None:
    assert sorted(set(_carried()) - _documented_ids()) == []


def test_every_rule_of_section_6_is_refused_by_an_exception_or_says_why_not() -> None:
    assert sorted(_section_6_ids() - set(_carried()) - set(NOT_REFUSED)) == []
    assert sorted(set(NOT_REFUSED) & set(_carried())) == [], "refused now: drop from NOT_REFUSED"


def test_every_rule_id_is_named_by_a_test() -> None:
    """A test raises each exception that carries a rule id: it names its class or its code."""
    texts = "\n".join(p.read_text() for p in sorted((ROOT / "tests").glob("test_*.py")))
    untested = sorted(
        f"{rule_id} {cls.__name__}"
        for rule_id, classes in _carried().items()
        for cls in classes
        if not re.search(rf"\b{cls.__name__}\b|\"{re.escape(cls.code)}\"", texts)
    )
    assert untested == []


# Worked examples of the rules no other test raised by name.


def _eligibility(**overrides: object) -> None:
    values: dict[str, object] = {
        "member": 4,
        "amount": 30_000,
        "term": 6,
        "frequency": LoanFrequency.MONTHLY,
        "savings": 20_000,
        "savings_multiple": Decimal(3),
        "max_term_months": 12,
        "guarantor_above": 100_000,
        "guarantors": 0,
        "membership_days": 90,
        "min_membership_days": 60,
        "joined_on": dt.date(2025, 1, 6),
        "open_loans": 0,
        "max_open": 1,
        "cash": 100_000,
        "assets": 1_000_000,
        "max_assets_percent": None,
    }
    values.update(overrides)
    check_eligibility(**values)  # type: ignore[arg-type]


def test_loan_003_a_term_longer_than_the_bylaws_allow() -> None:
    _eligibility()  # 6 months of 12: fine
    with pytest.raises(LoanTermTooLong) as exc:
        _eligibility(term=13)
    assert exc.value.rule_id == "LOAN-003"
    assert exc.value.es == "El plazo de 13 meses supera el máximo del reglamento (12 meses)."
    assert exc.value.en == "A term of 13 months is longer than the bylaws allow (12 months)."


def test_loan_002_one_loan_above_its_share_of_the_caja_assets() -> None:
    _eligibility(max_assets_percent=Decimal(5), assets=600_000)  # 300.00 ≤ 5 % of 6,000.00
    with pytest.raises(LoanOverAssetsShare) as exc:
        _eligibility(max_assets_percent=Decimal(5), assets=500_000)
    assert exc.value.rule_id == "LOAN-002"
    assert exc.value.es == (
        "El préstamo de 300.00 USD supera el 5 % de los activos de la caja (5,000.00 USD): "
        "máximo 250.00 USD."
    )


def test_sav_002_one_members_savings_above_their_share_of_the_total() -> None:
    check_member_share_of_savings(
        member=3, member_after=500, total_after=10_000, limit_percent=Decimal(5), members=20
    )
    with pytest.raises(MemberSavingsShareExceeded) as exc:
        check_member_share_of_savings(
            member=3, member_after=600, total_after=10_000, limit_percent=Decimal(5), members=20
        )
    assert exc.value.rule_id == "SAV-002"
    assert exc.value.en == "Member #3's savings would be 6.0 % of the total; the limit is 5 %."


@pytest.mark.django_db
def test_acc_003_and_acc_002_a_second_factor_confirmed_only_after_set_up_and_with_its_code() -> (
    None
):
    user = User.objects.create_user(username="nueva", password="secreto-123")
    with pytest.raises(SecondFactorNotStarted) as not_started:
        totp_confirm(user=user, token="123456")
    assert not_started.value.rule_id == "ACC-003"
    assert not_started.value.es == "Primero abra la página de activación para ver el código QR."
    totp_device_pending(user=user)
    with pytest.raises(SecondFactorCodeWrong) as wrong:
        totp_confirm(user=user, token="not-a-code")
    assert wrong.value.rule_id == "ACC-002"
    assert wrong.value.en.startswith("The code is not right or was already used.")
