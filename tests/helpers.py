"""Helpers shared by tests: running a whole meeting through the services."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page

from cajas.access.second_factor import second_factor_required
from cajas.core.money import decimal_string
from cajas.meetings.close import meeting_close
from cajas.meetings.items import item_record
from cajas.meetings.models import Meeting
from cajas.meetings.opening import meeting_open
from cajas.meetings.selectors import meeting_expected_cash
from cajas.meetings.sheet import SheetRow, meeting_sheet_save
from cajas.org.models import Caja

# Where browser tests leave their screenshots, to look at.
SHOTS = Path(os.environ.get("CAJAS_SCREENSHOTS", "var/screenshots"))


def run_meeting(
    caja: Caja,
    day: dt.date,
    rows: Sequence[SheetRow],
    *,
    expenses: Sequence[str] = (),
    cash_delta_cents: int = 0,
) -> Meeting:
    meeting = meeting_open(caja_id=caja.pk, date=day, opened_by="tesorera")
    meeting_sheet_save(meeting_id=meeting.pk, rows=rows)
    for amount in expenses:
        item_record(meeting_id=meeting.pk, kind="expense", amount=amount, description="útiles")
    counted = max(meeting_expected_cash(meeting=meeting) + cash_delta_cents, 0)
    return meeting_close(
        meeting_id=meeting.pk,
        counted_cash=decimal_string(counted),
        closed_by="tesorera",
    )


# Browser tests: Debian's Chromium driven by Playwright at a phone's width (docs/domain.md §12).
CHROMIUM = os.environ.get("CAJAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


def phone_of(user: AbstractBaseUser) -> TOTPDevice:
    """The user's enrolled phone (a confirmed TOTP device), made if missing; its last code
    forgotten so that a test may log in again within the same 30 seconds."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    return device


def totp_code(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def force_login(client: Client, user: AbstractBaseUser) -> Client:
    """``client.force_login`` plus, for staff (and anyone with the second factor on), the
    second factor as a person completes it: an enrolled phone, verified in this session."""
    client.force_login(user)
    if second_factor_required(user=user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = phone_of(user).persistent_id
        session.save()
    return client


def log_in(page: Page, base: str, username: str) -> None:
    """Log in through the login page; staff then type the code of their (enrolled) phone."""
    from django.contrib.auth.models import User

    user = User.objects.get(username=username)
    needs_code = second_factor_required(user=user)
    device = phone_of(user) if needs_code else None
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secreto-123")
    page.click("button.primary")
    if device is not None:
        page.wait_for_url("**/accounts/two-factor/verify/**")
        page.fill("input[name=token]", totp_code(device))
        page.click("button.primary")


class HallSignal:
    """The community hall's signal between the phone and the server: a TCP relay in front of
    the test server that can be cut and restored. Cut, every connection the browser holds is
    closed and new ones are refused, for the page and for its service worker alike (the
    browser's own offline switch does not reach the worker's requests)."""

    def __init__(self, server_url: str) -> None:
        import socket
        import threading
        from urllib.parse import urlsplit

        target = urlsplit(server_url)
        self._target = (target.hostname or "localhost", target.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://localhost:{self._listener.getsockname()[1]}"
        self._cut = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            if self._cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: Any, sink: Any) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                self._close(s)

    def _close(self, sock: Any) -> None:
        import socket

        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def lost(self) -> None:
        self._cut = True
        with self._lock:
            held = list(self._open)
        for sock in held:
            self._close(sock)

    def back(self) -> None:
        self._cut = False

    def close(self) -> None:
        self.lost()
        self._listener.close()
