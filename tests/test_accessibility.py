"""No serious or critical accessibility violation (axe-core, WCAG 2.1 A and AA) on the pages
people use, each as the persona who uses it: the treasurer's caja page, loans portfolio, a
disbursed loan, a loan being voted on, the simulator, the share-out and the informal-credit
survey; the meeting screen open (fines, one waived, an expense, a repayment, a loan to hand over
and one to collect) and closed; a plain member's login, caja page, loans, own loan and
simulator; the program admin's dashboard, alerts, a caja's visits and the legal rate caps.

axe-core comes from npm (package.json, `make install`); it is injected into each page of a real
headless Chromium at 360×740, with every <details> opened. A missing axe-core fails, never skips.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page

from cajas.access.models import StaffAssignment, StaffRole
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import Loan
from cajas.loans.rates import rate_cap_set
from cajas.loans.schedule import add_period
from cajas.meetings.items import disbursement_record, item_record, item_remove, repayment_record
from cajas.meetings.models import MeetingItem
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.members.models import Membership
from cajas.org.models import Caja
from tests.factories import APPLY, enrol, loan_caja, loan_meeting, make_caja
from tests.helpers import PHONE, log_in, run_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
# axe-core files these under "needs review" when they fail (reviewOnFail), yet two inputs sharing
# an id means a label names the wrong input: they count as violations here.
REVIEW_AS_VIOLATION = {"duplicate-id-aria"}
OPEN_ON = add_period(APPLY, "monthly", 1)
CAP_FROM = dt.date(2022, 7, 1)


@pytest.fixture(autouse=True)
def _axe_installed() -> None:
    # Never skipped: no axe-core is a failure (`make test` installs it with npm ci).
    assert AXE.exists(), f"axe-core not found at {AXE}; run `make install` (it runs npm ci)"


@dataclass(frozen=True)
class Book:
    caja: Caja
    open_meeting: int
    closed_meeting: int
    disbursed_loan: int
    applied_loan: int


def _user(caja: Caja, number: int, username: str) -> None:
    membership = Membership.objects.get(caja=caja, number=number)
    user = User.objects.create_user(username=username, password="secreto-123")
    membership.person.user = user
    membership.person.save(update_fields=["user"])


def _approve(loan: Loan) -> Loan:
    loan_vote(loan_id=loan.pk, member=1, vote="yes", on=APPLY)
    loan_vote(loan_id=loan.pk, member=2, vote="yes", on=APPLY)
    return loan_decide(
        loan_id=loan.pk, on=APPLY, cash_available=cash_for_lending(caja_id=loan.caja_id)
    )


@pytest.fixture
def book() -> Book:
    """President 1, treasurer 2 (`alice`), secretary 3, members 4–6 (5 is `maria`), two closed
    meetings of savings; loan #1 disbursed at the closed meeting #3; loan #2 approved and loan #3
    applied for; meeting #4 open with a member absent and one late (fines proposed, the lateness
    one waived), an expense,
    a repayment recorded and loan #1 still to collect. A second caja and a program admin
    (`ana`) give the dashboard two territories to compare."""
    caja = loan_caja()
    _user(caja, 2, "alice")
    _user(caja, 5, "maria")
    first = _approve(
        loan_apply(
            caja_id=caja.pk,
            member=4,
            amount="60",
            term=3,
            purpose="business",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
    )
    closed = loan_meeting(
        caja, APPLY, loans=[lambda m: disbursement_record(meeting_id=m, loan_id=first.pk)]
    )
    _approve(
        loan_apply(
            caja_id=caja.pk,
            member=6,
            amount="30",
            term=3,
            purpose="home",
            on=APPLY,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
    )
    applied = loan_apply(
        caja_id=caja.pk,
        member=5,
        amount="20",
        term=2,
        purpose="health",
        on=APPLY,
        cash_available=cash_for_lending(caja_id=caja.pk),
    )
    meeting = meeting_open(caja_id=caja.pk, date=OPEN_ON, opened_by="tesorera")
    rows = [SheetRow(member=n, shares=2, social_fund=True) for n in range(1, 7)]
    rows[2] = SheetRow(member=3, status="absent")
    rows[0] = SheetRow(member=1, late=True, shares=1, social_fund=True)
    meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    item_record(meeting_id=meeting.pk, kind="expense", amount="2.50", description="útiles")
    late = MeetingItem.objects.get(meeting=meeting, kind="fine", fine_reason="lateness")
    item_remove(meeting_id=meeting.pk, item_id=late.pk)  # a proposed fine waived
    repayment_record(meeting_id=meeting.pk, loan_id=first.pk, amount="10")

    other = make_caja(code="otra", territory="Loja", partner_code="otro")
    for _ in range(3):
        enrol(other)
    run_meeting(other, APPLY, [SheetRow(member=n, shares=1) for n in range(1, 4)])
    rate_cap_set(  # the seeded cap, as a row for the rate-caps page
        segment="microcredito_minorista", tea_percent="28.23", effective_from=CAP_FROM, source="BCE"
    )
    admin = User.objects.create_user(username="ana", password="secreto-123")
    StaffAssignment.objects.create(user=admin, role=StaffRole.PROGRAM_ADMIN, program=caja.program)
    return Book(
        caja=caja,
        open_meeting=meeting.number,
        closed_meeting=closed.number,
        disbursed_loan=first.number,
        applied_loan=applied.number,
    )


def _violations(page: Page, context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page (or the part of it an axe context
    names: {"include": [[selector]]} or {"exclude": [[selector]]}), every <details> opened."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    # Evaluated through the DevTools protocol: a <script> tag would be refused by the CSP.
    page.evaluate(AXE.read_text() + "\n;void 0")
    result = page.evaluate(
        "([context, tags]) => axe.run(context || document, {runOnly: {type: 'tag', values: tags}})",
        [context, WCAG21_AA],
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations + [v for v in result["incomplete"] if v["id"] in REVIEW_AS_VIOLATION]


def _report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} × {targets}")
        for node in v["nodes"][:1]:
            lines.append(f"    {node['failureSummary']}".replace("\n", "\n    "))
    return "\n".join(lines)


class Check(NamedTuple):
    path: str
    must_show: str  # selectors, separated by " ; ", that must be on the page
    context: dict[str, Any] | None = None  # the part of the page axe checks (default: all)


def _page_failures(page: Page, url: str, must_show: str, context: dict[str, Any] | None) -> str:
    """The serious or critical violations on one page, as text ('' when there are none)."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    # The page is in the state the test means (a wrong fixture would test an empty page).
    for selector in must_show.split(" ; "):
        assert page.locator(selector).count() > 0, f"{url}: nothing matches {selector!r}"
    violations = _violations(page, context)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = [v for v in violations if v["impact"] not in BLOCKING]
    if others:
        print(f"{url}: minor or moderate violations (not failing):\n{_report(others)}")
    return f"{url}:\n{_report(blocking)}" if blocking else ""


def _check(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
    persona: str,
    pages: list[Check],
) -> None:
    """Log in as the persona, then check every page; fail once, listing every page's serious
    or critical violations."""
    page = browser.new_page(viewport=PHONE)
    try:
        log_in(page, live_server.url, persona)
        page.wait_for_url(lambda u: "/accounts/login/" not in u)
        failures = [
            _page_failures(page, live_server.url + c.path, c.must_show, c.context) for c in pages
        ]
    finally:
        page.close()
    found = "\n".join(f for f in failures if f)
    assert not found, f"serious or critical accessibility violations (axe-core):\n{found}"


def test_the_treasurers_caja_and_loan_pages(live_server, browser: Browser, book: Book) -> None:  # type: ignore[no-untyped-def]
    c = book.caja.pk
    _check(
        live_server,
        browser,
        "alice",
        [
            Check("/", "li.row-link"),
            Check(f"/cajas/{c}/", "table.members tbody tr"),
            Check(f"/cajas/{c}/loans/", "[data-loan]"),
            Check(f"/cajas/{c}/loans/{book.disbursed_loan}/", "[data-testid=schedule]"),
            Check(f"/cajas/{c}/loans/{book.applied_loan}/", "select[name^=vote_]"),
            Check(f"/cajas/{c}/loans/simulator/?amount=40&term=3&member=4", "[data-testid=limit]"),
            Check(f"/cajas/{c}/shareout/", "main h1"),
            Check(f"/cajas/{c}/survey/", "fieldset.member"),
        ],
    )


# A waived fine was greyed with opacity (its text 4.36:1, its tags 2.25:1): checked on its own.
WAIVED = ".item.waived"


def test_the_meeting_screen_open_and_closed(live_server, browser: Browser, book: Book) -> None:  # type: ignore[no-untyped-def]
    c = book.caja.pk
    _check(
        live_server,
        browser,
        "alice",
        [
            Check(
                f"/cajas/{c}/meetings/{book.open_meeting}/",
                "form[data-repay] ; [data-loan-item] ; form[action$='/disburse/'] ; li.item .tag ; details",
            ),
            Check(f"/cajas/{c}/meetings/{book.closed_meeting}/", "table.members tbody tr"),
        ],
    )


def test_a_waived_fine_on_the_meeting_screen(live_server, browser: Browser, book: Book) -> None:  # type: ignore[no-untyped-def]
    path = f"/cajas/{book.caja.pk}/meetings/{book.open_meeting}/"
    _check(live_server, browser, "alice", [Check(path, WAIVED, {"include": [[WAIVED]]})])


def test_a_members_own_pages(live_server, browser: Browser, book: Book) -> None:  # type: ignore[no-untyped-def]
    c = book.caja.pk
    page = browser.new_page(viewport=PHONE)
    try:
        login = _page_failures(
            page, f"{live_server.url}/accounts/login/", "input[name=password]", None
        )
    finally:
        page.close()
    assert not login, login
    _check(
        live_server,
        browser,
        "maria",
        [
            Check(f"/cajas/{c}/", "[data-testid=my-passbook]"),
            Check(f"/cajas/{c}/loans/", "[data-loan]"),
            Check(f"/cajas/{c}/loans/{book.applied_loan}/", "[data-testid=credito-digno]"),
            Check(f"/cajas/{c}/loans/simulator/?amount=20&term=2", "[data-testid=credito-digno]"),
        ],
    )


def test_the_program_dashboard_alerts_visits_and_rate_caps(
    live_server, browser: Browser, book: Book
) -> None:  # type: ignore[no-untyped-def]
    _check(
        live_server,
        browser,
        "ana",
        [
            Check("/program/", "[data-testid=chart]"),
            Check("/program/alerts/", "main h1"),
            Check(f"/cajas/{book.caja.pk}/visits/", "[data-testid=visit-form]"),
            Check("/rate-caps/", "[data-testid=caps] tbody tr"),
        ],
    )
