"""A Retry-After above the threshold is not slept: the batch so far commits, the run asks for a reschedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pytest
import requests

from airflow_errorguard.exceptions import ErrorGuardConfigError, ErrorGuardReschedule
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore

pytestmark = pytest.mark.unit


class RateLimited(BaseHTTPRequestHandler):
    """429 with ``Retry-After: <wait>`` for /limited, 200 otherwise."""

    wait = "40"

    def do_GET(self) -> None:
        limited = self.path.startswith("/limited")
        self.send_response(429 if limited else 200)
        if limited:
            self.send_header("Retry-After", self.wait)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RateLimited)
    Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def run(server: str, limited: set[int], store: MemoryGuardStore, **options: Any) -> dict[str, Any]:
    slept: list[float] = []
    written: list[int] = []

    def call(n: int) -> int:
        path = "/limited" if n in limited else "/ok"
        requests.get(f"{server}{path}?n={n}", timeout=5).raise_for_status()
        return n

    summary = GuardedRun(
        call, store, GuardOptions(batch_size=10, **options), sink=written.extend, sleep=slept.append
    ).run(lambda position: range(position, 30))
    summary["slept"], summary["written"] = slept, written
    return summary


def test_a_long_retry_after_commits_the_batch_so_far_and_asks_for_a_reschedule(server: str) -> None:
    store = MemoryGuardStore()
    with pytest.raises(ErrorGuardReschedule, match=r"record 14: HTTP 429 .* asked to wait 40s") as raised:
        run(server, {14}, store)
    assert raised.value.wait == timedelta(seconds=40) and raised.value.record_key == "14"
    assert store.progress.position == 14, "records 10-13 committed, record 14 not consumed"
    assert store.commits == 2 and not store.items

    summary = run(server, set(), store)  # the rate limit is over: resume at record 14
    assert summary["resumed_from"] == 14 and summary["written"] == list(range(14, 30))
    assert summary["processed"] == 30 and summary["slept"] == []


def test_a_short_retry_after_is_slept_in_process(server: str) -> None:
    RateLimited.wait = "2"
    try:
        with pytest.raises(requests.HTTPError):
            run(server, {3}, MemoryGuardStore())
    finally:
        RateLimited.wait = "40"


def test_the_threshold_is_configurable_and_can_be_turned_off(server: str) -> None:
    with pytest.raises(requests.HTTPError):  # slept (capped by max_delay), then Airflow's retry
        run(server, {3}, MemoryGuardStore(), reschedule_waits_over=None)
    with pytest.raises(ErrorGuardConfigError, match="reschedule_waits_over must be a timedelta"):
        GuardOptions(reschedule_waits_over=30)  # type: ignore[arg-type]
