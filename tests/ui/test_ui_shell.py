"""
errorguard inside the Airflow shell, driven as a user would in headless Chromium: the theme follows
Airflow's, links leave the sandboxed frame, buttons call only their own API, and every page (with
its pictures) renders in light and dark without console errors or failing requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ui.browser import chromium_page, screenshot_dir
from tests.ui.conftest import ALPHA, LONG_KEY, LONG_TAIL, RECOVERED, UiServer
from tests.ui.test_ui_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.airflow]
FRAME = "iframe[title=errorguard]"


@contextmanager
def watched(page: Any) -> Iterator[dict[str, list[str]]]:
    """Console errors, failed requests and every POST the page makes while the block runs."""
    seen: dict[str, list[str]] = {"console": [], "failed": [], "posts": []}
    page.on("console", lambda m: m.type == "error" and seen["console"].append(m.text))
    page.on(
        "requestfailed",
        lambda r: (
            "/errorguard/" in r.url
            and r.failure != "net::ERR_ABORTED"  # cut short by the test navigating on
            and seen["failed"].append(f"{r.method} {r.url} {r.failure}")
        ),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400 and "/errorguard/" in r.url and seen["failed"].append(f"{r.status} {r.url}")
        ),
    )
    page.on("request", lambda r: r.method == "POST" and seen["posts"].append(r.url))
    yield seen


def open_plugin(page: Any, base_url: str, path: str) -> Any:
    """The shell's errorguard page showing *path* (synced into the frame by Airflow's plugin route)."""
    page.goto(f"{base_url}/plugin/errorguard/errorguard{path}")
    frame = page.frame_locator(FRAME)
    frame.locator("main").wait_for()
    return frame


def frame_theme(page: Any) -> str:
    inner = page.locator(FRAME).element_handle().content_frame()
    return str(inner.evaluate("document.documentElement.dataset.theme"))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_in_the_shell_follows_airflows_theme(
    ui_server: UiServer, theme: str, tmp_path: Path
) -> None:
    shots = screenshot_dir() / theme
    shots.mkdir(exist_ok=True)
    # The browser's own preference is the opposite: the frame must follow Airflow's choice, not it.
    with chromium_page(dark=theme == "light") as page, watched(page) as seen:
        login(page, ui_server.base_url, "admin")
        page.evaluate(f"localStorage.setItem('theme', '{theme}')")
        incident = _first_incident(ui_server)
        pages = {
            "quarantine": ("/quarantine", "table.eg-table"),
            "record": (f"/quarantine/{ui_server.ids[ALPHA][0]}", "pre.eg-payload"),
            "circuits": ("/circuits", "svg.eg-timeline rect.eg-band"),
            "circuit": (f"/circuits/{RECOVERED}", "svg.eg-timeline path.eg-trip"),
            "incidents": ("/incidents?range=7d", "svg.eg-bars rect"),
            "incident": (f"/incidents/{incident}", "svg.eg-incident-timeline .eg-marker-first"),
        }
        for name, (path, must_have) in pages.items():
            frame = open_plugin(page, ui_server.base_url, path)
            frame.locator(must_have).first.wait_for()
            assert frame_theme(page) == theme, name
            background = frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
            assert (background == "rgb(15, 20, 25)") == (theme == "dark"), (name, background)
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        # Switching Airflow's theme while the page is open: the frame follows at once.
        other = "light" if theme == "dark" else "dark"
        page.evaluate(f"document.documentElement.classList.replace('{theme}', '{other}')")
        expect(page.frame_locator(FRAME).locator("html")).to_have_attribute("data-theme", other)
    assert seen["console"] == [] and seen["failed"] == [], seen


def _first_incident(ui_server: UiServer) -> int:
    data = ui_server.server.client.get(
        "/errorguard/api/incidents", headers=ui_server.headers("admin"), params={"dag_id": ALPHA}
    ).json()
    return int(next(i["id"] for i in data["incidents"] if i["dag_id"] == ALPHA and i["notify_count"]))


def test_open_in_airflow_leaves_the_sandboxed_frame(ui_server: UiServer) -> None:
    with chromium_page() as page:
        login(page, ui_server.base_url, "admin")
        frame = open_plugin(page, ui_server.base_url, f"/quarantine/{ui_server.ids[ALPHA][1]}")
        sandbox = page.locator(FRAME).get_attribute("sandbox") or ""
        assert (
            "allow-top-navigation" not in sandbox and "allow-popups" not in sandbox
        )  # why a plain link fails
        frame.get_by_role("link", name="task instance").click()
        page.wait_for_url(f"**/dags/{ALPHA}/runs/manual__2026-11-23/tasks/load")
        page.screenshot(path=str(screenshot_dir() / "shell-task-instance.png"))
        expect(page.locator(FRAME)).to_have_count(0)  # the shell itself shows the task instance now
        page.go_back()
        page.wait_for_url("**/plugin/errorguard/**")
        page.frame_locator(FRAME).get_by_role("link", name="log of try 1").click()
        page.wait_for_url(re.compile(rf"/dags/{ALPHA}/runs/manual__2026-11-23/tasks/load\?try_number=1$"))


def test_circuit_buttons_call_only_the_circuit_api(ui_server: UiServer) -> None:
    with chromium_page() as page, watched(page) as seen:
        login(page, ui_server.base_url, "admin")
        frame = open_plugin(page, ui_server.base_url, f"/circuits/{RECOVERED}")
        frame.get_by_label("Note").fill("browser test")
        frame.get_by_role("button", name="force open").click()
        expect(frame.locator("h1 .eg-badge")).to_have_text("forced_open")
        expect(frame.locator("dd.eg-next-probe")).to_contain_text("forced open, held until")
        frame.get_by_role("button", name="force close").click()
        expect(frame.locator("h1 .eg-badge")).to_have_text("closed")
    posts = [p.split("/errorguard/", 1)[1] for p in seen["posts"] if "/errorguard/" in p]
    assert posts == [f"api/circuits/{RECOVERED}/force_open", f"api/circuits/{RECOVERED}/force_close"]
    assert seen["failed"] == [] and seen["console"] == []


def test_circuit_pages_say_what_the_state_means(ui_server: UiServer) -> None:
    with chromium_page() as page:
        login(page, ui_server.base_url, "admin")
        frame = open_plugin(page, ui_server.base_url, "/circuits")
        row = frame.locator("table.eg-circuits tr", has=frame.get_by_role("link", name=RECOVERED, exact=True))
        expect(row.locator(".eg-last-error")).to_have_text("—")  # closed: no stale error
        expect(row.locator(".eg-opened")).to_contain_text("last opened")
        expect(row.locator(".eg-next-probe")).to_contain_text("closed, calls go through")
        frame.get_by_role("link", name=RECOVERED, exact=True).click()
        frame.get_by_role("heading", name="Last transitions").wait_for()
        by = frame.locator("table.eg-transitions td.eg-by")
        tripped = by.filter(has_text=f"{ALPHA}.load").first
        expect(tripped).to_have_text(f"{ALPHA}.load")  # the task once, linked to its instance
        assert (
            tripped.get_by_role("link")
            .get_attribute("href")
            .endswith(f"/dags/{ALPHA}/runs/manual__2026-11-23/tasks/load")
        )
        expect(frame.locator("dt", has_text="Last failure (before it closed)")).to_be_visible()


def test_incidents_link_to_what_exists(ui_server: UiServer) -> None:
    with chromium_page() as page, watched(page) as seen:
        login(page, ui_server.base_url, "admin")
        frame = open_plugin(page, ui_server.base_url, f"/incidents?dag_id={ALPHA}")
        patterns = frame.locator("table.eg-patterns tbody tr")
        expect(patterns.first.locator("svg.eg-sparkline polyline")).to_have_count(1)
        expect(frame.locator(".eg-budget-help")).to_contain_text("task failures a DAG may have")
        incident = frame.locator("table.eg-incidents tbody tr").filter(has_text=ALPHA).first
        sent = int(incident.locator(".eg-alerts-sent").inner_text())
        suppressed = int(incident.locator(".eg-suppressed").inner_text())
        assert sent >= 1 and suppressed >= 3
        link = frame.locator("a.eg-quarantined-link").first
        expected = int(link.inner_text().split()[0])
        link.click()
        frame.get_by_role("heading", name="Quarantine").wait_for()
        expect(frame.locator("table.eg-table tbody tr")).to_have_count(expected)
    assert seen["failed"] == [] and seen["console"] == []


def test_quarantine_errors_filters_release_and_task_tab(ui_server: UiServer) -> None:
    with chromium_page() as page, watched(page) as seen:
        login(page, ui_server.base_url, "alice")
        frame = open_plugin(page, ui_server.base_url, f"/quarantine?dag_id={ALPHA}")
        row = frame.locator("table.eg-table tbody tr", has=frame.get_by_role("link", name=LONG_KEY))
        summary = row.locator("td.eg-error summary")
        expect(summary).to_have_text(f"ParserError: {LONG_TAIL}")  # the line that says what is wrong
        summary.click()
        expect(row.locator("td.eg-error pre")).to_contain_text("while loading batch 7")
        expect(frame.locator("select[name=category] option")).to_contain_text(["data", "transient"])
        frame.locator("select[name=category]").select_option("transient")
        frame.get_by_role("button", name="Filter").click()
        expect(frame.locator("table.eg-table tbody td:nth-child(7)").first).to_have_text("transient")

        frame = open_plugin(page, ui_server.base_url, f"/quarantine/{ui_server.ids[ALPHA][4]}")
        frame.get_by_role("button", name="Release for replay").click()
        step = frame.locator("section.eg-next-step")
        expect(step).to_contain_text("Released for replay")
        expect(step).to_contain_text("QuarantineReplayOperator")

        page.goto(
            f"{ui_server.base_url}/errorguard/quarantine?dag_id={ALPHA}&run_id=manual__2026-11-23"
            "&task_id=load&view=ti"
        )
        expect(page.locator("h1")).to_have_text("Quarantined records of this task instance")
        assert page.locator("header.eg-header").count() == 0 and page.locator("form.eg-filters").count() == 0
    assert seen["failed"] == [] and seen["console"] == []
    plugin = ui_server.server.client.get("/api/v2/plugins", headers=ui_server.headers("admin")).json()
    hrefs = [v["href"] for p in plugin["plugins"] for v in p.get("external_views", [])]
    assert any(h.endswith("&view=ti") for h in hrefs)
