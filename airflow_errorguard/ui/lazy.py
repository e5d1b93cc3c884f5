"""An ASGI app that builds the real errorguard app on its first request."""

from __future__ import annotations

import threading
from typing import Any

ASGIApp = Any


class LazyApp:
    """
    ASGI wrapper around :func:`~airflow_errorguard.ui.app.create_app`, called on first use.

    The plugin module is imported by every Airflow process (scheduler, workers, CLI); building the
    FastAPI app, its templates and the storage only where a request arrives keeps that import cheap.
    """

    def __init__(self) -> None:
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    def build(self) -> ASGIApp:
        """The real app (created once)."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from airflow_errorguard.ui.app import create_app

                    self._app = create_app()
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.build()(scope, receive, send)
