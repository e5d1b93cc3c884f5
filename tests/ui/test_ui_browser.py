"""Headless Chromium against the real api-server: log in, open errorguard from the nav, work a record."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ui.browser import chromium_page, screenshot_dir
from tests.ui.conftest import ALPHA, CIRCUIT, UiServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.airflow]


def login(page: Any, base_url: str, user: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", user)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)


def test_work_the_quarantine_in_the_airflow_ui(ui_server: UiServer) -> None:
    shots = screenshot_dir()
    with chromium_page() as page:
        login(page, ui_server.base_url, "alice")
        page.goto(f"{ui_server.base_url}/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / "01-airflow-home.png"))
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name="errorguard").click()
        page.wait_for_url("**/plugin/errorguard**")
        frame = page.frame_locator("iframe[title=errorguard]")
        frame.get_by_role("heading", name="Quarantine").wait_for()
        page.screenshot(path=str(shots / "02-quarantine-in-airflow.png"))

        frame.get_by_label("Message contains").fill("order 4")
        frame.get_by_role("button", name="Filter").click()
        frame.get_by_role("link", name=f"{ALPHA}-4").wait_for()
        page.screenshot(path=str(shots / "03-filtered.png"))
        frame.get_by_role("link", name=f"{ALPHA}-4").click()
        frame.get_by_role("heading", name="Payload").wait_for()
        page.screenshot(path=str(shots / "04-record.png"))

        frame.get_by_label("Note").fill("fixed upstream")
        frame.get_by_role("button", name="Release for replay").click()
        history = frame.locator("table.eg-audit")
        history.get_by_role("cell", name="release", exact=True).wait_for()
        assert history.get_by_role("cell", name="alice", exact=True).is_visible()
        assert history.get_by_role("cell", name="fixed upstream", exact=True).is_visible()
        assert frame.locator("h1 .eg-badge").inner_text() == "released"
        page.screenshot(path=str(shots / "05-released-with-audit.png"))
    assert (shots / "05-released-with-audit.png").stat().st_size > 0


def test_dark_mode_and_xss_page(ui_server: UiServer) -> None:
    shots = screenshot_dir()
    with chromium_page(dark=True) as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, ui_server.base_url, "admin")
        page.goto(f"{ui_server.base_url}/errorguard/quarantine?fingerprint=fp-xss")
        page.get_by_role("heading", name="Quarantine").wait_for()
        page.screenshot(path=str(shots / "06-dark-list.png"), full_page=True)
        page.locator("table.eg-table a").first.click()
        page.get_by_role("heading", name="Payload").wait_for()
        assert "<script>alert('eg-xss')</script>" in page.locator("pre.eg-payload").inner_text()
        page.screenshot(path=str(shots / "07-dark-xss-as-text.png"), full_page=True)
        assert dialogs == []
        page.get_by_role("link", name="Circuits").click()
        page.get_by_role("link", name=CIRCUIT).click()
        page.get_by_role("heading", name="Last transitions").wait_for()
        page.screenshot(path=str(shots / "09-dark-circuit.png"), full_page=True)
        page.get_by_role("link", name="Incidents").click()
        page.get_by_role("heading", name="Top fingerprints (last 24 h)").wait_for()
        page.screenshot(path=str(shots / "10-dark-incidents.png"), full_page=True)


def test_bulk_discard_with_confirmation(ui_server: UiServer) -> None:
    shots = screenshot_dir()
    with chromium_page() as page:
        login(page, ui_server.base_url, "admin")
        page.goto(
            f"{ui_server.base_url}/errorguard/quarantine?dag_id={ALPHA}&fingerprint=fp-{ALPHA}-0&status=quarantined"
        )
        rows = page.locator("table.eg-table tbody tr").count()
        assert rows >= 1
        page.locator(".eg-bulk-action").select_option("discard")
        page.get_by_role("button", name="Preview…").click()
        message = page.locator(".eg-bulk-message")
        message.wait_for()
        assert message.inner_text().startswith(f"{rows} record(s)")
        page.get_by_role("button", name="Confirm").click()
        result = page.locator(".eg-bulk-result")
        expect(result).to_contain_text("needs a note")  # discarding without a note is refused
        page.locator(".eg-bulk-note").fill("test data from the seed")
        page.get_by_role("button", name="Preview…").click()
        page.get_by_role("button", name="Confirm").click()
        expect(result).to_contain_text(f"{rows} changed, 0 skipped")
        page.screenshot(path=str(shots / "08-bulk-discard.png"))
        page.reload()
        page.get_by_role("heading", name="No records match these filters").wait_for()
