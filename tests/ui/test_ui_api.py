"""The JSON API against a real ``airflow api-server``: authentication, per-DAG rights, escaping, CSRF."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.ui.conftest import ALPHA, BETA, XSS, UiServer

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def get(ui: UiServer, path: str, user: str | None = None, **params: object) -> httpx.Response:
    headers = ui.headers(user) if user else {}
    return ui.server.client.get(path, headers=headers, params=params)  # type: ignore[arg-type]


def post(
    ui: UiServer, path: str, user: str | None, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    all_headers = {**(ui.headers(user) if user else {}), **(headers or {})}
    return ui.server.client.post(path, json=body, headers=all_headers)


@pytest.mark.parametrize(
    "path",
    [
        "/errorguard/api/quarantine",
        "/errorguard/api/quarantine/counts",
        "/errorguard/api/quarantine/1",
        "/errorguard/api/quarantine/export.csv",
        "/errorguard/api/quarantine/export.jsonl",
        "/errorguard/quarantine",
        "/errorguard/quarantine/1",
        "/errorguard/static/errorguard.js",
    ],
)
def test_anonymous_is_rejected(ui_server: UiServer, path: str) -> None:
    response = get(ui_server, path)
    assert response.status_code == 401, response.text
    assert "order" not in response.text


def test_anonymous_action_is_rejected(ui_server: UiServer) -> None:
    row = ui_server.ids[ALPHA][0]
    response = post(ui_server, f"/errorguard/api/quarantine/{row}/release", None, {})
    assert response.status_code == 401


def test_a_forged_token_is_rejected(ui_server: UiServer) -> None:
    response = ui_server.server.client.get(
        "/errorguard/api/quarantine", headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code in (401, 403)
    assert "items" not in response.text


def test_lists_show_only_readable_dags(ui_server: UiServer) -> None:
    admin = get(ui_server, "/errorguard/api/quarantine", "admin", limit=500).json()["items"]
    alice = get(ui_server, "/errorguard/api/quarantine", "alice", limit=500).json()["items"]
    bob = get(ui_server, "/errorguard/api/quarantine", "bob", limit=500).json()["items"]
    assert {r["dag_id"] for r in admin} == {ALPHA, BETA}
    assert {r["dag_id"] for r in alice} == {ALPHA}
    assert {r["dag_id"] for r in bob} == {BETA}
    assert len(alice) == len(ui_server.ids[ALPHA])
    # Asking for the other DAG explicitly returns nothing rather than its rows.
    assert get(ui_server, "/errorguard/api/quarantine", "alice", dag_id=BETA).json()["items"] == []
    counts = get(ui_server, "/errorguard/api/quarantine/counts", "alice").json()
    assert sum(counts["status"].values()) == len(ui_server.ids[ALPHA])


def test_records_of_other_dags_are_forbidden(ui_server: UiServer) -> None:
    beta_row = ui_server.ids[BETA][0]
    assert get(ui_server, f"/errorguard/api/quarantine/{beta_row}", "alice").status_code == 403
    assert get(ui_server, f"/errorguard/quarantine/{beta_row}", "alice").status_code == 403
    assert get(ui_server, f"/errorguard/api/quarantine/{beta_row}", "bob").status_code == 200
    assert get(ui_server, "/errorguard/api/quarantine/987654321", "admin").status_code == 404


def test_actions_need_edit_rights(ui_server: UiServer) -> None:
    beta_row = ui_server.ids[BETA][1]
    # bob may read BETA but not change it; alice may not even read it.
    assert post(ui_server, f"/errorguard/api/quarantine/{beta_row}/release", "bob", {}).status_code == 403
    assert post(ui_server, f"/errorguard/api/quarantine/{beta_row}/release", "alice", {}).status_code == 403
    detail = get(ui_server, f"/errorguard/api/quarantine/{beta_row}", "admin").json()
    assert detail["status"] == "quarantined"
    assert detail["audit"] == []


def test_release_and_discard_write_audit_rows_with_the_user(ui_server: UiServer) -> None:
    row = ui_server.ids[ALPHA][1]
    released = post(ui_server, f"/errorguard/api/quarantine/{row}/release", "alice", {"note": "fixed"})
    assert released.status_code == 200, released.text
    assert released.json()["changed"] == [row]
    missing_note = post(ui_server, f"/errorguard/api/quarantine/{row}/discard", "alice", {"note": "  "})
    assert missing_note.status_code == 400
    discarded = post(ui_server, f"/errorguard/api/quarantine/{row}/discard", "alice", {"note": "duplicate"})
    assert discarded.status_code == 200, discarded.text
    detail = get(ui_server, f"/errorguard/api/quarantine/{row}", "alice").json()
    assert detail["status"] == "discarded"
    assert detail["resolved_by"] == "alice"
    assert [(e["action"], e["actor"], e["note"]) for e in detail["audit"]] == [
        ("discard", "alice", "duplicate"),
        ("release", "alice", "fixed"),
    ]


def test_get_never_changes_state(ui_server: UiServer) -> None:
    row = ui_server.ids[ALPHA][2]
    response = get(ui_server, f"/errorguard/api/quarantine/{row}/release", "admin")
    assert response.status_code == 405
    assert get(ui_server, f"/errorguard/api/quarantine/{row}", "admin").json()["status"] == "quarantined"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ],
)
def test_cross_site_posts_are_rejected(ui_server: UiServer, headers: dict[str, str]) -> None:
    row = ui_server.ids[ALPHA][3]
    response = post(ui_server, f"/errorguard/api/quarantine/{row}/release", "admin", {}, headers)
    assert response.status_code == 403, response.text
    assert get(ui_server, f"/errorguard/api/quarantine/{row}", "admin").json()["status"] == "quarantined"


def test_form_posts_are_rejected(ui_server: UiServer) -> None:
    row = ui_server.ids[ALPHA][3]
    response = ui_server.server.client.post(
        f"/errorguard/api/quarantine/{row}/release",
        data={"note": "x"},
        headers={**ui_server.headers("admin"), "Origin": ui_server.base_url},
    )
    assert response.status_code == 415
    same_origin = post(
        ui_server,
        f"/errorguard/api/quarantine/{row}/requarantine",
        "admin",
        {},
        {"Origin": ui_server.base_url, "Sec-Fetch-Site": "same-origin"},
    )
    assert same_origin.status_code == 200  # a same-origin JSON POST passes the check (no-op here)


def test_xss_payload_is_rendered_as_text(ui_server: UiServer) -> None:
    items = get(ui_server, "/errorguard/api/quarantine", "admin", fingerprint="fp-xss").json()["items"]
    assert len(items) == 2
    row = items[0]["id"]
    page = get(ui_server, f"/errorguard/quarantine/{row}", "admin")
    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;script&gt;alert(" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    listing = get(ui_server, "/errorguard/quarantine", "admin", fingerprint="fp-xss")
    assert XSS not in listing.text and "&lt;script&gt;" in listing.text
    api = get(ui_server, f"/errorguard/api/quarantine/{row}", "admin").json()
    assert api["payload"] == {"comment": XSS}  # JSON keeps the data; only HTML escapes it


@pytest.mark.parametrize(
    "value",
    ["' OR '1'='1", "x'; DROP TABLE errorguard_quarantine; --", "%", "_", "\\", '" OR 1=1 --'],
)
def test_sql_injection_in_filters_is_harmless(ui_server: UiServer, value: str) -> None:
    for key in ("dag_id", "run_id", "category", "fingerprint", "q"):
        params = {key: value, **({"task_id": value} if key == "dag_id" else {})}
        response = get(ui_server, "/errorguard/api/quarantine", "admin", **params)
        if key == "fingerprint":  # a fingerprint that matches nothing is rejected, naming it
            assert response.status_code == 400, response.text
            assert "no quarantined record" in response.text
            continue
        assert response.status_code == 200, (key, response.text)
        assert response.json()["items"] == [], (key, value)
    assert get(ui_server, "/errorguard/quarantine", "admin", q=value).status_code == 200
    total = get(ui_server, "/errorguard/api/quarantine/counts", "admin").json()["status"]
    assert sum(total.values()) == sum(len(v) for v in ui_server.ids.values())  # the table is intact


def test_filters_and_keyset_pagination(ui_server: UiServer) -> None:
    data = get(ui_server, "/errorguard/api/quarantine", "admin", dag_id=BETA, category="data").json()
    assert data["items"] and all(r["error_category"] == "data" for r in data["items"])
    text = get(ui_server, "/errorguard/api/quarantine", "admin", q="ORDER 3").json()["items"]
    assert {r["record_key"] for r in text} == {f"{ALPHA}-3", f"{BETA}-3"}
    seen: list[int] = []
    after: int | None = None
    while True:
        params: dict[str, object] = {"limit": 3, "dag_id": BETA}
        if after:
            params["after"] = after
        page = get(ui_server, "/errorguard/api/quarantine", "bob", **params).json()
        seen.extend(r["id"] for r in page["items"])
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == sorted(ui_server.ids[BETA], reverse=True)
    assert get(ui_server, "/errorguard/api/quarantine", "admin", status="bogus").status_code == 400
    assert get(ui_server, "/errorguard/api/quarantine", "admin", task_id="load").status_code == 400


def test_bulk_action_needs_the_confirmed_count(ui_server: UiServer) -> None:
    flt = {"dag_id": BETA, "fingerprint": f"fp-{BETA}-2", "status": "quarantined"}
    preview = post(
        ui_server, "/errorguard/api/quarantine/bulk/preview", "admin", {"action": "release", "filter": flt}
    )
    assert preview.status_code == 200, preview.text
    count = preview.json()["count"]
    assert count >= 2
    # bob may read BETA but not change it: nothing for him to act on.
    bob = post(
        ui_server, "/errorguard/api/quarantine/bulk/preview", "bob", {"action": "release", "filter": flt}
    )
    assert bob.json()["count"] == 0
    wrong = post(
        ui_server,
        "/errorguard/api/quarantine/bulk",
        "admin",
        {"action": "release", "filter": flt, "expected_count": count + 1},
    )
    assert wrong.status_code == 409
    unconfirmed = post(
        ui_server, "/errorguard/api/quarantine/bulk", "admin", {"action": "release", "filter": flt}
    )
    assert unconfirmed.status_code == 400
    done = post(
        ui_server,
        "/errorguard/api/quarantine/bulk",
        "admin",
        {"action": "release", "filter": flt, "expected_count": count},
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"changed": count, "skipped": 0}
    after = get(ui_server, "/errorguard/api/quarantine", "admin", **{**flt, "status": "released"}).json()
    assert len(after["items"]) == count
    assert (
        post(
            ui_server, "/errorguard/api/quarantine/bulk/preview", "admin", {"action": "release", "filter": {}}
        ).json()["count"]
        > 0
    )
    everything = post(
        ui_server,
        "/errorguard/api/quarantine/bulk",
        "admin",
        {"action": "release", "filter": {}, "expected_count": 1},
    )
    assert everything.status_code == 400  # a bulk action needs a filter


def test_exports_stream_only_readable_rows(ui_server: UiServer) -> None:
    response = get(ui_server, "/errorguard/api/quarantine/export.csv", "alice")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(ui_server.ids[ALPHA])
    assert {r["dag_id"] for r in rows} == {ALPHA}
    assert json.loads(rows[-1]["payload"])["dag"] == ALPHA
    lines = get(
        ui_server, "/errorguard/api/quarantine/export.jsonl", "bob", category="data"
    ).text.splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(r["dag_id"] == BETA and r["error_category"] == "data" for r in records)
    assert all("payload" in r and "traceback" in r for r in records)


def test_short_fingerprints_resolve_or_are_rejected(ui_server: UiServer) -> None:
    """The 8-character form the docs show: a unique prefix works, an ambiguous/unknown one says so."""
    from sqlalchemy import delete

    from airflow_errorguard.storage.identity import TaskIdentity
    from airflow_errorguard.storage.quarantine import QuarantineRepository
    from airflow_errorguard.storage.quarantine_types import QuarantineItem
    from airflow_errorguard.storage.tables import quarantine_table

    db = ui_server.database()
    identity = TaskIdentity(dag_id=ALPHA, task_id="fp_probe", run_id="manual__fp", try_number=1)
    fingerprints = ["5eed0a1b2c3d4e5f", "5eed0a1bffff0000", "77aa11bb22cc33dd"]
    QuarantineRepository(db).add(
        identity,
        [
            QuarantineItem(record_key=f"k{i}", payload={}, error_category="data", fingerprint=fp)
            for i, fp in enumerate([*fingerprints, fingerprints[2]])
        ],
    )
    try:
        listed = get(ui_server, "/errorguard/api/quarantine", "alice", fingerprint="77aa11bb")
        assert listed.status_code == 200, listed.text
        assert [r["fingerprint"] for r in listed.json()["items"]] == [fingerprints[2]] * 2
        preview = post(
            ui_server,
            "/errorguard/api/quarantine/bulk/preview",
            "alice",
            {"action": "discard", "filter": {"fingerprint": "77aa11bb"}},
        )
        assert preview.json() == {
            "count": 2,
            "filter": {"fingerprint": fingerprints[2]},
            "action": "discard",
        }
        ambiguous = get(ui_server, "/errorguard/api/quarantine", "alice", fingerprint="5eed0a1b")
        assert ambiguous.status_code == 400 and "ambiguous" in ambiguous.text
        assert fingerprints[0] in ambiguous.text and fingerprints[1] in ambiguous.text
        unknown = post(
            ui_server,
            "/errorguard/api/quarantine/bulk/preview",
            "alice",
            {"action": "discard", "filter": {"fingerprint": "0badc0de"}},
        )
        assert unknown.status_code == 400 and "no quarantined record" in unknown.text
        # bob cannot read ALPHA: its fingerprints do not resolve for him.
        assert get(ui_server, "/errorguard/api/quarantine", "bob", fingerprint="77aa11bb").status_code == 400
        page = get(ui_server, "/errorguard/quarantine", "alice", fingerprint="5eed0a1b")
        assert page.status_code == 400 and "ambiguous" in page.text
        page = get(ui_server, "/errorguard/quarantine", "alice", fingerprint="77aa11bb")
        assert page.status_code == 200 and fingerprints[2] in page.text
    finally:
        with db.transaction("removing the probe rows") as conn:
            conn.execute(delete(quarantine_table).where(quarantine_table.c.task_id == "fp_probe"))
        db.engine.dispose()


def test_orphans_are_visible_to_admins_and_purged_on_request(ui_server: UiServer) -> None:
    """The seeded rows belong to runs that do not exist in this metadata DB: orphans, all of them."""
    assert get(ui_server, "/errorguard/api/orphans", "alice").status_code == 403
    listed = get(ui_server, "/errorguard/api/orphans", "admin", limit=5)
    assert listed.status_code == 200, listed.text
    data = listed.json()
    total = sum(len(v) for v in ui_server.ids.values())
    assert sum(data["counts"]["quarantine"].values()) >= total  # every seeded row, whatever its status
    assert len(data["quarantine"]) == 5 and {r["dag_id"] for r in data["quarantine"]} <= {ALPHA, BETA}
    origin = {"Origin": ui_server.base_url, "Sec-Fetch-Site": "same-origin"}
    assert post(ui_server, "/errorguard/api/orphans/purge", "alice", {}, origin).status_code == 403
    # Nothing is a year old: a purge with that cutoff deletes nothing and leaves the rows for others.
    kept = post(ui_server, "/errorguard/api/orphans/purge", "admin", {"older_than_days": 365}, origin)
    assert kept.status_code == 200, kept.text
    assert kept.json() == {"deleted": {"quarantine": {}, "checkpoints": 0}}
