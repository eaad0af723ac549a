"""The API's interactive docs in real Chromium: Swagger UI loads from this site only, under the
site's Content-Security-Policy, with no violation, and lists the operations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def test_the_docs_page_runs_under_the_sites_policy(live_server, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(f"{live_server.url}/api/v1/docs")
        page.wait_for_selector("#operations-meetings-meeting_close", timeout=20_000)
        assert page.locator(".opblock").count() >= 18
    finally:
        page.close()
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    assert problems == []
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests)
