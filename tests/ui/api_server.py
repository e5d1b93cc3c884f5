"""Only ``airflow api-server`` on loopback (no scheduler): enough to serve the UI plugin."""

from __future__ import annotations

from tests.harness.real_airflow import RealAirflow


class ApiServer(RealAirflow):
    """:class:`RealAirflow` reduced to the api-server; ready when its health endpoint answers 200
    (no scheduler or dag-processor to wait for)."""

    PROCESSES = (("api-server", ("api-server",)),)

    def token_for(self, username: str, password: str) -> str:
        """A JWT from ``POST /auth/token`` for any configured user."""
        response = self.client.post("/auth/token", json={"username": username, "password": password})
        if response.status_code != 201:
            raise AssertionError(f"POST /auth/token as {username} -> {response.status_code}: {response.text}")
        return str(response.json()["access_token"])
