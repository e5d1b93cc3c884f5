"""A test auth manager: SimpleAuthManager users, with per-DAG rights read from ``EG_TEST_DAG_RIGHTS``.

``EG_TEST_DAG_RIGHTS`` is JSON ``{"alice": {"dag_a": ["GET", "PUT"]}, "bob": {"*": ["GET"]}}``;
``"*"`` grants every DAG. Users not in the mapping keep SimpleAuthManager's role-based rights.
Configured with ``AIRFLOW__CORE__AUTH_MANAGER=tests.ui.per_dag_auth_manager.PerDagAuthManager``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

RIGHTS_ENV = "EG_TEST_DAG_RIGHTS"


def _rights(user: Any) -> dict[str, list[str]] | None:
    mapping = json.loads(os.environ.get(RIGHTS_ENV) or "{}")
    found = mapping.get(user.get_name())
    return None if found is None else dict(found)


class PerDagAuthManager(SimpleAuthManager):
    """SimpleAuthManager whose DAG rights come from a mapping per user and DAG."""

    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        rights = _rights(user)
        if rights is None:
            return super().is_authorized_dag(
                method=method, user=user, access_entity=access_entity, details=details
            )
        dag_id = getattr(details, "id", None)
        allowed = rights.get("*", [])
        if dag_id is not None:
            allowed = [*allowed, *rights.get(dag_id, [])]
        return method in allowed
