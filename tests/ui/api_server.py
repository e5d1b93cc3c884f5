"""Only ``airflow api-server`` on loopback (no scheduler): enough to serve the UI plugin."""

from __future__ import annotations

import time

import httpx

from tests.harness.real_airflow import RealAirflow


class ApiServer(RealAirflow):
    """:class:`RealAirflow` reduced to the api-server; ready when its health endpoint answers 200."""

    PROCESSES = (("api-server", ("api-server",)),)

    def _wait_healthy(self, deadline: float) -> None:
        last: object = None
        while True:
            self._check_alive()
            try:
                response = self.client.get("/api/v2/monitor/health")
                last = (response.status_code, response.text[:300])
                if response.status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"api-server at {self.base_url} not ready after {self.startup_timeout}s; last: {last}\n"
                    + self.process_logs()
                )
            time.sleep(0.5)

    def token_for(self, username: str, password: str) -> str:
        """A JWT from ``POST /auth/token`` for any configured user."""
        response = self.client.post("/auth/token", json={"username": username, "password": password})
        if response.status_code != 201:
            raise AssertionError(f"POST /auth/token as {username} -> {response.status_code}: {response.text}")
        return str(response.json()["access_token"])
