"""The treasurer's meeting on a phone, counted in taps (issue 10's budget: ≤ 15 taps for the
standard meeting of a 40-member caja, ≤ 2 more for each exception), and what a hurried
treasurer does to it: double taps, a wrong amount, an edit far down the sheet.

A tap is one touch: a click, a tap into a field before typing (the typing is counted apart, in
keystrokes), and two for a drop-down (open it, choose). Scrolling is not counted; the screen
offers a link to the close so the treasurer need not scroll there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from cajas.core.money import decimal_string
from cajas.ledger.verify import verify_caja
from cajas.loans.application import loan_apply, loan_decide, loan_vote
from cajas.loans.models import Loan
from cajas.meetings.close import meeting_close
from cajas.meetings.items import disbursement_record
from cajas.meetings.models import ItemKind, Meeting, MeetingItem, MeetingStatus
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import cash_for_lending, meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja
from tests.factories import FOUNDED, enrol, make_caja, user_for
from tests.helpers import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = dt.date.today()
LAST_MONTH = TODAY - dt.timedelta(days=31)


@dataclass
class Taps:
    """Counts what the treasurer touches and types."""

    page: Page
    count: int = 0
    keys: int = 0
    log: list[str] = field(default_factory=list)

    def tap(self, target: Locator, why: str) -> None:
        target.click()
        self.count += 1
        self.log.append(why)

    def choose(self, select: Locator, value: str, why: str) -> None:
        select.select_option(value)
        self.count += 2
        self.log.append(f"{why} (2)")

    def type(self, target: Locator, text: str, why: str) -> None:
        target.click()
        target.fill(text)
        self.count += 1
        self.keys += len(text)
        self.log.append(why)


def _no_error_page(page: Page) -> None:
    """Not one of our error pages (403, 404, 400), not the 500 page, not Django's bare
    English "Forbidden (403)" of a refused CSRF token."""
    assert page.locator("[data-testid=error]").count() == 0
    content = page.content()
    assert "Forbidden (403)" not in content and "Algo falló" not in content


def _settled(page: Page) -> None:
    """Wait until every change sent in place has its answer."""
    # Polled from here: wait_for_function evaluates a string in the page, which the CSP refuses.
    while page.evaluate("window.cajasPending") != 0:
        page.wait_for_timeout(20)


def _meeting_opened(browser: Browser, base: str, caja: Caja) -> Page:
    """Alice logs in on her phone and opens meeting #3 from the caja page."""
    page = browser.new_page(viewport=PHONE)
    log_in(page, base, "alice")
    page.goto(f"{base}/cajas/{caja.pk}/")
    page.get_by_role("button", name="Abrir una reunión").click()
    return page


def _caja_of_40() -> tuple[Caja, Loan, Loan]:
    """Alice (member 2) is the treasurer of a caja of 40 with two meetings behind it: member 5
    owes a loan handed over last month, member 6 has one approved and waiting."""
    caja = make_caja(
        code="caja-40",
        bylaws={"loan_savings_multiple": Decimal("5"), "loan_min_membership_days": 0},
    )
    enrol(caja, role="president")
    user_for(enrol(caja, role="treasurer", given_names="Alice"), "alice")
    enrol(caja, role="secretary")
    for _ in range(37):
        enrol(caja)
    first = meeting_open(caja_id=caja.pk, date=FOUNDED, opened_by="t")
    meeting_sheet_save(
        meeting_id=first.pk,
        rows=[SheetRow(member=n, shares=1 + n % 3, social_fund=True) for n in range(1, 41)],
    )
    meeting_close(
        meeting_id=first.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=first)),
        closed_by="t",
    )
    loans = []
    for member in (5, 6):
        loan = loan_apply(
            caja_id=caja.pk,
            member=member,
            amount="20",
            term=3,
            purpose="business",
            on=LAST_MONTH,
            cash_available=cash_for_lending(caja_id=caja.pk),
        )
        loan_vote(loan_id=loan.pk, member=1, vote="yes", on=LAST_MONTH)
        loan_vote(loan_id=loan.pk, member=3, vote="yes", on=LAST_MONTH)
        loans.append(
            loan_decide(
                loan_id=loan.pk,
                on=LAST_MONTH,
                cash_available=cash_for_lending(caja_id=loan.caja_id),
            )
        )
    second = meeting_open(caja_id=caja.pk, date=LAST_MONTH, opened_by="t")
    meeting_sheet_save(
        meeting_id=second.pk,
        rows=[SheetRow(member=n, shares=1 + n % 3, social_fund=True) for n in range(1, 41)],
    )
    disbursement_record(meeting_id=second.pk, loan_id=loans[0].pk)
    meeting_close(
        meeting_id=second.pk,
        counted_cash=decimal_string(meeting_expected_cash(meeting=second)),
        closed_by="t",
    )
    return caja, loans[0], loans[1]


def _open_and_close(taps: Taps, base: str, caja: Caja, exceptions: bool) -> dict[str, int]:
    page = taps.page
    page.goto(f"{base}/cajas/{caja.pk}/")
    taps.tap(page.get_by_role("button", name="Abrir una reunión"), "open the meeting")
    expect(page.locator("h1")).to_contain_text("Reunión n.º 3")
    added: dict[str, int] = {}
    if exceptions:
        before = taps.count
        taps.choose(page.locator("select[name=status_10]"), "absent", "member 10 is absent")
        expect(page.locator("#items")).to_contain_text("Inasistencia")
        added["absent"] = taps.count - before
        before = taps.count
        taps.tap(page.locator("#row-11 input[name=late_11]"), "member 11 is late")
        expect(page.locator("#items")).to_contain_text("Atraso")
        added["late"] = taps.count - before
        before = taps.count
        taps.choose(page.locator("select[name=shares_12]"), "5", "member 12 buys 5 shares")
        _settled(taps.page)
        added["more shares"] = taps.count - before
        before = taps.count
        absence = page.locator("#items li", has_text="Inasistencia")
        taps.tap(absence.get_by_role("button", name="Condonar"), "waive member 10's fine")
        expect(page.locator("#items li", has_text="Inasistencia")).to_contain_text("condonada")
        added["waived fine"] = taps.count - before
        before = taps.count
        repay = page.locator("form[data-repay='1']")
        taps.tap(repay.get_by_role("button", name="Registrar el pago"), "member 5 repays")
        expect(page.locator("#live")).to_contain_text("Pago registrado")
        added["repayment"] = taps.count - before
        before = taps.count
        taps.tap(page.get_by_role("button", name="Entregar (desembolsar)"), "hand over loan 2")
        expect(page.locator("#live")).to_contain_text("Desembolso registrado")
        added["disbursement"] = taps.count - before
    taps.tap(page.get_by_test_id("usual"), "all as usual")
    expect(page.get_by_test_id("sheet-confirmed")).to_be_visible()
    taps.tap(page.get_by_role("link", name="Al cierre ↓"), "go to the close")
    expected = page.get_by_test_id("expected-cash").inner_text().replace(",", "")
    taps.type(page.locator("input[name=counted_cash]"), expected, "type the cash counted")
    taps.tap(page.get_by_role("button", name="Cerrar la reunión"), "close")
    expect(page.locator(".msg.success")).to_contain_text("Reunión cerrada")
    return added


def test_the_standard_meeting_of_40_members_takes_at_most_15_taps(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    caja, _owed, _approved = _caja_of_40()
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "alice")
    taps = Taps(page)
    _open_and_close(taps, live_server.url, caja, exceptions=False)
    print(f"\nstandard meeting, 40 members: {taps.count} taps, {taps.keys} keystrokes")
    print("  " + "; ".join(taps.log))
    assert taps.count <= 15
    meeting = Meeting.objects.get(caja=caja, number=3)
    assert meeting.status == MeetingStatus.CLOSED
    assert meeting.cash_difference_cents == 0
    # Everyone saved what she saved last time and paid the social fund.
    shares = MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.SHARES)
    assert shares.count() == 40
    assert sorted(shares.values_list("membership__number", "shares")) == [
        (n, 1 + n % 3) for n in range(1, 41)
    ]
    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []


def test_each_exception_adds_at_most_2_taps(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    caja, owed, approved = _caja_of_40()
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server.url, "alice")
    taps = Taps(page)
    added = _open_and_close(taps, live_server.url, caja, exceptions=True)
    print(f"\nmeeting with six exceptions: {taps.count} taps, {taps.keys} keystrokes")
    for what, n in added.items():
        print(f"  {what}: +{n}")
    assert added and all(n <= 2 for n in added.values()), added
    meeting = Meeting.objects.get(caja=caja, number=3)
    assert meeting.status == MeetingStatus.CLOSED and meeting.cash_difference_cents == 0
    fines = MeetingItem.objects.filter(meeting=meeting, kind=ItemKind.FINE)
    assert fines.get(membership__number=10).waived
    assert fines.get(membership__number=11).fine_reason == "lateness"
    assert meeting.journal_entries.filter(kind="loan_repayment").count() == 1
    approved.refresh_from_db()
    assert approved.status == "disbursed"
    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []
    assert owed.pk != approved.pk


def test_an_edit_far_down_the_sheet_leaves_the_screen_where_it_was(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    caja, _owed, _approved = _caja_of_40()
    page = _meeting_opened(browser, live_server.url, caja)
    row = page.locator("#row-33")
    row.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    assert before > 2000
    row.locator("select[name=status_33]").select_option("absent")
    expect(page.locator("#items")).to_contain_text("33.")
    assert page.evaluate("window.scrollY") == before
    # Nothing reloaded: the page still holds what the script marked on it.
    page.evaluate("document.body.dataset.mark = 'kept'")
    row = page.locator("#row-33")
    row.locator("select[name=shares_33]").select_option("4")
    _settled(page)
    assert page.evaluate("document.body.dataset.mark") == "kept"
    assert page.evaluate("window.scrollY") == before


def test_a_wrong_amount_is_explained_next_to_the_field_and_kept(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    caja, _owed, _approved = _caja_of_40()
    page = _meeting_opened(browser, live_server.url, caja)
    repay = page.locator("form[data-repay='1']")
    repay.locator("input[name=amount]").fill("12,345")
    repay.get_by_role("button", name="Registrar el pago").click()
    expect(repay.locator(".field-error")).to_be_visible()
    expect(repay.locator("input[name=amount]")).to_have_value("12,345")
    _settled(page)
    assert not MeetingItem.objects.filter(kind=ItemKind.LOAN_REPAYMENT, meeting__number=3).exists()


def test_a_double_tap_on_a_repayment_and_on_the_close_posts_once(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    caja, owed, _approved = _caja_of_40()
    page = _meeting_opened(browser, live_server.url, caja)
    page.locator("form[data-repay='1']").get_by_role("button", name="Registrar el pago").dblclick()
    expect(page.locator("#live")).to_contain_text("Pago registrado")
    _settled(page)
    repayments = MeetingItem.objects.filter(loan=owed, kind=ItemKind.LOAN_REPAYMENT)
    assert repayments.filter(meeting__number=3).count() == 1
    page.get_by_test_id("usual").click()
    expect(page.get_by_test_id("sheet-confirmed")).to_be_visible()
    expected = page.get_by_test_id("expected-cash").inner_text().replace(",", "")
    page.fill("input[name=counted_cash]", expected)
    page.get_by_role("button", name="Cerrar la reunión").dblclick()
    expect(page.locator(".msg").first).to_contain_text("Reunión")
    page.wait_for_load_state("networkidle")
    _no_error_page(page)
    meeting = Meeting.objects.get(caja=caja, number=3)
    assert meeting.status == MeetingStatus.CLOSED
    assert meeting.journal_entries.filter(kind="loan_repayment").count() == 1


def test_changes_made_without_signal_are_sent_once_when_the_signal_returns(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    """The hall loses its signal: each change says, next to it, that it is not saved yet and
    keeps what was chosen; when the phone is back online they go, in order, exactly once."""
    caja, owed, _approved = _caja_of_40()
    page = _meeting_opened(browser, live_server.url, caja)
    expect(page.locator("h1")).to_contain_text("Reunión n.º 3")
    page.wait_for_load_state("load")  # the screen's script is bound before the signal goes
    page.context.set_offline(True)
    page.locator("select[name=shares_12]").select_option("5")
    expect(page.locator("#row-12 .field-error")).to_contain_text("Sin conexión")
    repay = page.locator("form[data-repay='1']")
    repay.get_by_role("button", name="Registrar el pago").click()
    expect(repay.locator(".field-error")).to_contain_text("Sin conexión")
    expect(repay.get_by_role("button", name="Reintentar ahora")).to_be_visible()
    _settled(page)
    expect(page.locator("select[name=shares_12]")).to_have_value("5")
    shares = MeetingItem.objects.filter(meeting__number=3, kind=ItemKind.SHARES)
    assert shares.get(membership__number=12).shares == 1  # as proposed: nothing reached us
    assert not MeetingItem.objects.filter(loan=owed, meeting__number=3).exists()

    page.context.set_offline(False)
    expect(page.locator("#live")).to_contain_text("Pago registrado")
    _settled(page)
    expect(page.locator("#row-12 .field-error")).to_have_count(0)
    assert shares.get(membership__number=12).shares == 5
    assert MeetingItem.objects.filter(loan=owed, meeting__number=3).count() == 1
    # A second tap on «Reintentar» now has nothing left to send.
    assert page.locator("button.retry").count() == 0


def test_back_after_the_close_and_closing_again_changes_nothing(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    caja, _owed, _approved = _caja_of_40()
    page = _meeting_opened(browser, live_server.url, caja)
    page.get_by_test_id("usual").click()
    expect(page.get_by_test_id("sheet-confirmed")).to_be_visible()
    expected = page.get_by_test_id("expected-cash").inner_text().replace(",", "")
    page.fill("input[name=counted_cash]", expected)
    page.get_by_role("button", name="Cerrar la reunión").click()
    expect(page.locator(".msg.success")).to_contain_text("Reunión cerrada")
    meeting = Meeting.objects.get(caja=caja, number=3)
    entries = meeting.journal_entries.count()
    page.go_back()
    page.wait_for_load_state()
    close = page.get_by_role("button", name="Cerrar la reunión")
    if close.count():  # the browser showed the page as it was before the close
        page.fill("input[name=counted_cash]", expected)
        close.click()
        expect(page.locator(".msg").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    _no_error_page(page)
    # Either the closed meeting (the browser fetched it again) or, after a second «Cerrar»,
    # the caja page saying the meeting is closed and nothing was repeated.
    expect(page.locator("h1")).to_contain_text(re.compile("Caja|Reunión n.º 3"))
    assert meeting.journal_entries.count() == entries
    assert Meeting.objects.filter(caja=caja).count() == 3
    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []
