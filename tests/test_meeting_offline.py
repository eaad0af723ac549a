"""The meeting with no signal, in real headless Chromium at 360 px (docs/offline.md).

Alice, treasurer of a caja of 40 (``caja_of_40``), opens meeting #3 with signal; the hall then
loses it. Everything she records waits on the phone (IndexedDB), the service worker opens the
screen again when she reloads, and when the signal is back the changes go to the server in
order, each once, and the close she prepared is posted once. Rosa, the secretary, records on a
second phone; their edits merge line by line, and the same field changed to two values is
shown to choose.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from cajas.core.money import decimal_string
from cajas.ledger.verify import verify_caja
from cajas.meetings.models import (
    Attendance,
    ItemKind,
    Meeting,
    MeetingChange,
    MeetingItem,
    MeetingStatus,
)
from cajas.org.models import Caja
from tests.factories import caja_of_40
from tests.helpers import PHONE, SHOTS, HallSignal, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(live_server):  # type: ignore[no-untyped-def]
    """The hall's signal between Alice's phone and the server."""
    signal = HallSignal(live_server.url)
    yield signal
    signal.close()


def _signal_lost(page: Page, hall: HallSignal) -> None:
    hall.lost()
    page.context.set_offline(True)


def _signal_back(page: Page, hall: HallSignal) -> None:
    hall.back()
    page.context.set_offline(False)


def _phone(browser: Browser, base: str, username: str, **context: Any) -> Page:
    page = browser.new_context(viewport=PHONE, **context).new_page()
    log_in(page, base, username)
    return page


def _open_meeting(page: Page, base: str, caja: Caja) -> None:
    page.goto(f"{base}/cajas/{caja.pk}/")
    page.get_by_role("button", name="Abrir una reunión").click()
    expect(page.locator("h1")).to_contain_text("Reunión n.º 3")
    _ready(page)


def _ready(page: Page) -> None:
    expect(page.locator("#meeting-app")).to_have_attribute("data-ready", "1")


def _kept_for_offline(page: Page) -> None:
    """The service worker runs the page and has kept the screen, as after opening it once."""
    for _ in range(200):
        kept = page.evaluate(
            "navigator.serviceWorker.controller ? caches.open('cajas-pages')"
            ".then(c => c.match(location.pathname, {ignoreVary: true})).then(r => !!r) : false"
        )
        if kept:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the meeting screen was not kept for offline use")


def _synced(page: Page) -> None:
    status = page.get_by_test_id("sync-status")
    expect(status).to_have_text("Todo sincronizado hace un momento", timeout=10_000)


def _meeting(caja: Caja) -> Meeting:
    return Meeting.objects.get(caja=caja, number=3)


def _line(caja: Caja, member: int) -> tuple[str, bool, int]:
    attendance = Attendance.objects.get(meeting=_meeting(caja), membership__number=member)
    shares = MeetingItem.objects.filter(
        meeting=_meeting(caja), membership__number=member, kind=ItemKind.SHARES
    ).first()
    return attendance.status, attendance.late, shares.shares if shares else 0


def test_a_whole_meeting_recorded_offline_is_posted_once_when_the_signal_returns(
    hall: HallSignal,
    browser: Browser,
) -> None:
    caja, owed, _approved = caja_of_40()
    page = _phone(browser, hall.url, "alice")
    _open_meeting(page, hall.url, caja)
    _kept_for_offline(page)
    expected = page.get_by_test_id("expected-cash").inner_text().replace(",", "")

    _signal_lost(page, hall)
    page.locator("select[name=status_10]").select_option("absent")
    page.locator("#row-11 input[name=late_11]").check()
    page.locator("select[name=shares_12]").select_option("5")
    page.locator("form[data-repay='1']").get_by_role("button", name="Registrar el pago").click()
    page.get_by_test_id("usual").click()
    page.fill("input[name=counted_cash]", expected)
    page.get_by_role("button", name="Cerrar la reunión").click()
    status = page.get_by_test_id("sync-status")
    expect(status).to_have_text("Sin conexión · 6 cambios guardados en este teléfono")
    expect(page.get_by_test_id("unsent-close")).to_contain_text(f"efectivo contado {expected}")
    page.screenshot(path=str(SHOTS / "meeting-offline-close-prepared.png"), full_page=False)

    for _ in range(2):  # the treasurer reloads; the worker opens the screen from the phone
        page.reload()
        _ready(page)
        expect(status).to_have_text("Sin conexión · 6 cambios guardados en este teléfono")
        expect(page.locator("select[name=status_10]")).to_have_value("absent")
        expect(page.locator("input[name=late_11]")).to_be_checked()
        expect(page.locator("select[name=shares_12]")).to_have_value("5")
        expect(page.locator("#row-12 .unsent-note")).to_contain_text("En este teléfono")
    meeting = _meeting(caja)
    assert meeting.status == MeetingStatus.OPEN
    assert MeetingChange.objects.count() == 0  # nothing reached the server
    assert _line(caja, 12) == ("present", False, 1)

    _signal_back(page, hall)
    expect(page.locator(".msg").first).to_contain_text("Reunión cerrada", timeout=15_000)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert meeting.counted_cash_cents is not None
    assert decimal_string(meeting.counted_cash_cents) == expected
    assert _line(caja, 10)[0] == "absent"
    assert _line(caja, 11)[1] is True
    assert _line(caja, 12)[2] == 5
    assert _line(caja, 13) == ("present", False, 2)  # untouched: as proposed
    repayments = MeetingItem.objects.filter(meeting=meeting, loan=owed)
    assert repayments.count() == 1
    assert MeetingChange.objects.filter(meeting=meeting).count() == 6
    assert MeetingChange.objects.filter(meeting=meeting, kind="close").count() == 1
    assert verify_caja(Caja.objects.get(pk=caja.pk)) == []


def test_a_sync_cut_off_halfway_is_sent_again_and_applied_once(
    live_server,  # type: ignore[no-untyped-def]
    browser: Browser,
) -> None:
    """The server applies the changes but its answer never reaches the phone (the signal
    drops in the middle); the phone sends them again with the same keys."""
    caja, owed, _approved = caja_of_40()
    page = _phone(browser, live_server.url, "alice", service_workers="block")
    _open_meeting(page, live_server.url, caja)
    cut = {"answers lost": 0}

    def drop_the_answer(route: Route) -> None:
        if cut["answers lost"] == 0:
            route.fetch()  # the server receives and applies them…
            cut["answers lost"] += 1
            route.abort("connectionfailed")  # …and the answer is lost on the way back
        else:
            route.continue_()

    page.context.set_offline(True)
    page.locator("select[name=shares_12]").select_option("5")
    page.locator("form[data-repay='1']").get_by_role("button", name="Registrar el pago").click()
    page.locator("select[name=status_20]").select_option("excused")
    status = page.get_by_test_id("sync-status")
    expect(status).to_have_text("Sin conexión · 3 cambios guardados en este teléfono")
    page.route("**/changes", drop_the_answer)
    page.context.set_offline(False)  # the three go at once; the answer is lost
    for _ in range(200):
        if cut["answers lost"]:
            break
        page.wait_for_timeout(50)
    expect(status).to_have_text("Sin conexión · 3 cambios guardados en este teléfono")
    expect(page.get_by_role("button", name="Enviar ahora")).to_be_visible()
    assert MeetingChange.objects.count() == 3  # applied, but the phone does not know it
    page.get_by_role("button", name="Enviar ahora").click()
    _synced(page)
    assert MeetingChange.objects.count() == 3
    assert MeetingItem.objects.filter(meeting=_meeting(caja), loan=owed).count() == 1
    assert _line(caja, 12)[2] == 5
    assert _line(caja, 20)[0] == "excused"


def test_two_phones_merge_line_by_line_and_a_real_conflict_is_chosen(
    live_server,  # type: ignore[no-untyped-def]
    hall: HallSignal,
    browser: Browser,
) -> None:
    """Rosa's phone reaches the server through the hall's signal; Alice's has its own."""
    caja, _owed, _approved = caja_of_40()
    alice = _phone(browser, live_server.url, "alice")
    _open_meeting(alice, live_server.url, caja)
    rosa = _phone(browser, hall.url, "rosa")
    rosa.goto(f"{hall.url}/cajas/{caja.pk}/meetings/3/")
    _ready(rosa)

    _signal_lost(rosa, hall)  # Rosa records without signal, seeing shares 1 for member 12
    rosa.locator("select[name=status_13]").select_option("absent")
    rosa.locator("select[name=shares_12]").select_option("4")
    alice.locator("select[name=shares_12]").select_option("5")
    alice.locator("#row-14 input[name=late_14]").check()
    _synced(alice)

    _signal_back(rosa, hall)
    conflict = rosa.locator("#row-12 .conflict")
    expect(conflict).to_contain_text("Acciones: otro teléfono anotó 5; este, 4.")
    expect(rosa.get_by_test_id("sync-status")).to_contain_text("1 por decidir")
    conflict.scroll_into_view_if_needed()
    rosa.screenshot(path=str(SHOTS / "meeting-two-phones-conflict.png"), full_page=False)
    assert _line(caja, 13)[0] == "absent"  # her other line merged
    assert _line(caja, 12)[2] == 5  # the conflict waits: nothing overwritten
    expect(rosa.locator("input[name=late_14]")).to_be_checked()  # Alice's line reached her

    conflict.get_by_role("button", name="Dejar 4").click()
    _synced(rosa)
    expect(rosa.locator("#row-12 .conflict")).to_have_count(0)
    assert _line(caja, 12)[2] == 4

    # Alice's next change brings her Rosa's lines.
    alice.locator("select[name=shares_15]").select_option("3")
    _synced(alice)
    expect(alice.locator("select[name=status_13]")).to_have_value("absent")
    expect(alice.locator("select[name=shares_12]")).to_have_value("4")
