"""JSON API of the circuits: state for any signed-in user, manual control for admins."""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from airflow_errorguard.manage import circuits as ops
from airflow_errorguard.ui import access
from airflow_errorguard.ui.csrf import require_same_origin_json
from airflow_errorguard.ui.hook import get_hook

router = APIRouter(prefix="/api/circuits", tags=["circuits"])


class CircuitActionBody(BaseModel):
    note: str | None = Field(default=None, max_length=4000)


def _event(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "reason": e.reason,
        "actor": e.actor,
        "dag_id": e.dag_id,
        "task_id": e.task_id,
        "failure_rate": e.failure_rate,
        "calls_in_window": e.calls_in_window,
        "next_probe_at": e.next_probe_at.isoformat() if e.next_probe_at else None,
        "created_at": e.created_at.isoformat(),
    }


@router.get("")
def list_circuits(user: GetUserDep) -> dict[str, Any]:
    """Every circuit with its state and window counters."""
    views = ops.circuit_views(get_hook().circuits)
    return {"circuits": [v.as_dict() for v in views], "can_control": access.is_admin(user)}


@router.get("/{name}")
def get_circuit(name: str, user: GetUserDep) -> dict[str, Any]:
    """One circuit and its last transitions."""
    storage = get_hook().circuits
    view = ops.circuit_view(storage, name)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No circuit named {name!r}")
    return {**view.as_dict(), "events": [_event(e) for e in ops.circuit_events(storage, name)]}


@router.post("/{name}/{action}", dependencies=[Depends(require_same_origin_json)])
def control(name: str, action: str, body: CircuitActionBody, user: GetUserDep) -> dict[str, Any]:
    """``force_open``, ``force_close``, ``reset`` or ``disable`` (admins; audited)."""
    access.require_admin(user)
    try:
        snap = ops.control(get_hook().circuits, name, action, actor=access.user_name(user), note=body.note)
    except LookupError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except ValueError as err:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(err)) from err
    return {"name": snap.name, "state": snap.state.value}
