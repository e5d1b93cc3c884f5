"""
Who may see and change what: thin wrappers around Airflow's auth manager.

Reads need ``GET`` on a record's DAG, changes need ``PUT``; lists are restricted to the DAGs the
user may read (:class:`DagScope`). Manual circuit control needs the right to edit Airflow's
configuration (Admin in the FAB auth manager, Op/Admin in the simple one).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import HTTPException, status

Method = Literal["GET", "PUT"]


@dataclass(frozen=True)
class DagScope:
    """The DAGs a user may act on: ``dag_ids=None`` means every DAG."""

    dag_ids: frozenset[str] | None

    def allows(self, dag_id: str) -> bool:
        return self.dag_ids is None or dag_id in self.dag_ids

    @property
    def filter(self) -> Collection[str] | None:
        """What to pass as ``dag_ids`` to the repositories."""
        return self.dag_ids


def _auth_manager() -> Any:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def user_name(user: Any) -> str:
    """The name written to audit rows."""
    try:
        return str(user.get_name())
    except Exception:
        return str(user.get_id())


def dag_scope(user: Any, method: Method = "GET") -> DagScope:
    """The DAGs *user* may read (``GET``) or edit (``PUT``)."""
    manager = _auth_manager()
    if manager.is_authorized_dag(method=method, user=user):  # no details: every DAG
        return DagScope(None)
    return DagScope(frozenset(manager.get_authorized_dag_ids(user=user, method=method)))


def can_access_dag(user: Any, dag_id: str, method: Method) -> bool:
    """Whether *user* may read (``GET``) or edit (``PUT``) *dag_id*."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
    from airflow.models.dag import DagModel

    manager = _auth_manager()
    team_name = DagModel.get_team_name(dag_id)
    return bool(
        manager.is_authorized_dag(
            method=method, user=user, details=DagDetails(id=dag_id, team_name=team_name)
        )
    )


def require_dag(user: Any, dag_id: str, method: Method) -> None:
    """Raise 403 unless *user* may read/edit *dag_id*."""
    if not can_access_dag(user, dag_id, method):
        verb = "read" if method == "GET" else "change"
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"You may not {verb} records of DAG {dag_id!r}")


def is_admin(user: Any) -> bool:
    """Whether *user* may control circuits by hand (may edit Airflow's configuration)."""
    return bool(_auth_manager().is_authorized_configuration(method="PUT", user=user))


def require_admin(user: Any) -> None:
    """Raise 403 unless :func:`is_admin`."""
    if not is_admin(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Controlling circuits needs admin rights")


def login_url() -> str:
    """Where to send an anonymous browser."""
    try:
        return str(_auth_manager().get_url_login())
    except Exception:
        return "/auth/login"
