"""Circuits and incidents pages/API on the real api-server: visibility, admin-only control, audit."""

from __future__ import annotations

import pytest

from tests.ui.conftest import ALPHA, BETA, CIRCUIT, UiServer
from tests.ui.test_ui_api import get, post

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


@pytest.mark.parametrize(
    "path", ["/errorguard/api/circuits", "/errorguard/circuits", "/errorguard/api/incidents"]
)
def test_anonymous_is_rejected(ui_server: UiServer, path: str) -> None:
    assert get(ui_server, path).status_code == 401


def test_circuits_are_listed_with_window_counters(ui_server: UiServer) -> None:
    data = get(ui_server, "/errorguard/api/circuits", "alice").json()
    assert data["can_control"] is False
    (circuit,) = [c for c in data["circuits"] if c["name"] == CIRCUIT]
    assert circuit["state"] == "closed"
    assert (circuit["window_calls"], circuit["window_failures"]) == (2, 1)
    page = get(ui_server, "/errorguard/circuits", "alice")
    assert page.status_code == 200 and CIRCUIT in page.text
    detail = get(ui_server, f"/errorguard/circuits/{CIRCUIT}", "admin")
    assert "refused &lt;b&gt;x&lt;/b&gt;" in detail.text
    assert get(ui_server, "/errorguard/api/circuits/nope", "admin").status_code == 404


def test_only_admins_control_circuits_and_it_is_audited(ui_server: UiServer) -> None:
    denied = post(ui_server, f"/errorguard/api/circuits/{CIRCUIT}/force_open", "alice", {"note": "x"})
    assert denied.status_code == 403
    assert get(ui_server, f"/errorguard/api/circuits/{CIRCUIT}", "admin").json()["state"] == "closed"
    cross = post(
        ui_server,
        f"/errorguard/api/circuits/{CIRCUIT}/force_open",
        "admin",
        {},
        {"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    opened = post(
        ui_server, f"/errorguard/api/circuits/{CIRCUIT}/force_open", "admin", {"note": "maintenance"}
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["state"] == "forced_open"
    detail = get(ui_server, f"/errorguard/api/circuits/{CIRCUIT}", "admin").json()
    assert detail["events"][0]["actor"] == "admin"
    rows = ui_server.env.query(
        "SELECT actor, action, note FROM errorguard_audit WHERE entity = 'circuit' AND entity_id = :name",
        name=CIRCUIT,
    )
    assert {"actor": "admin", "action": "force_open", "note": "maintenance"} in rows
    assert post(ui_server, f"/errorguard/api/circuits/{CIRCUIT}/explode", "admin", {}).status_code == 400
    reset = post(ui_server, f"/errorguard/api/circuits/{CIRCUIT}/reset", "admin", {})
    assert reset.status_code == 200 and reset.json()["state"] == "closed"


def test_incidents_are_filtered_by_dag_rights(ui_server: UiServer) -> None:
    admin = get(ui_server, "/errorguard/api/incidents", "admin", hours=24).json()
    assert {i["dag_id"] for i in admin["incidents"]} == {ALPHA, BETA}
    assert {p["fingerprint"] for p in admin["patterns"]} >= {f"fp-{ALPHA}-1", f"fp-{BETA}-1"}
    assert {b["dag_id"] for b in admin["budgets"]} == {ALPHA, BETA}
    alice = get(ui_server, "/errorguard/api/incidents", "alice").json()
    assert {i["dag_id"] for i in alice["incidents"]} == {ALPHA}
    assert alice["patterns"] == [] and alice["patterns_need_dag"] is True
    scoped = get(ui_server, "/errorguard/api/incidents", "alice", dag_id=ALPHA).json()
    assert {p["fingerprint"] for p in scoped["patterns"]} == {f"fp-{ALPHA}-1"}
    assert get(ui_server, "/errorguard/api/incidents", "alice", dag_id=BETA).json()["patterns"] == []
    page = get(ui_server, "/errorguard/incidents", "alice", dag_id=ALPHA)
    assert page.status_code == 200 and f"fp-{ALPHA}-1" in page.text and f"inc-{BETA}" not in page.text
    assert get(ui_server, "/errorguard/api/incidents", "admin", hours="x").status_code == 400
