"""The repository queries the UI and the CLI add: DAG scope, message search, (capped) counts."""

from __future__ import annotations

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem
from tests.cli.test_cli_quarantine import seed


def test_dag_scope_and_message_search(cli_db: Database) -> None:
    seed(cli_db)
    repo = QuarantineRepository(cli_db)
    assert {r.dag_id for r in repo.page(None, limit=100, dag_ids={"dag_a"}).items} == {"dag_a"}
    assert repo.page(None, limit=100, dag_ids=set()).items == []  # no readable DAG: nothing
    assert repo.count(QuarantineFilter(dag_id="dag_b"), dag_ids={"dag_a"}) == 0
    hits = repo.page(None, limit=100, message_contains="BAD VALUE 3").items
    assert sorted(r.record_key for r in hits) == ["dag_a-3", "dag_b-3"]
    repo.add(
        TaskIdentity(dag_id="dag_c", task_id="t", run_id="r"),
        [QuarantineItem(record_key="pct", error_message="100% off_sale")],
    )
    # LIKE wildcards in the search text are literal characters.
    assert [r.record_key for r in repo.page(None, limit=100, message_contains="0% o").items] == ["pct"]
    assert repo.page(None, limit=100, message_contains="_").items[0].record_key == "pct"
    assert repo.count(message_contains="%") == 1


def test_counts_exact_and_capped(cli_db: Database) -> None:
    seed(cli_db)
    repo = QuarantineRepository(cli_db)
    assert repo.count_by("status") == {"quarantined": 12}
    assert repo.count_by("error_category", QuarantineFilter(dag_id="dag_a")) == {"data": 3, "transient": 3}
    by_status, by_category, capped = repo.newest_counts(cap=100)
    assert (by_status, by_category, capped) == ({"quarantined": 12}, {"data": 6, "transient": 6}, False)
    by_status, _, capped = repo.newest_counts(QuarantineFilter(dag_id="dag_b"), cap=4)
    assert capped is True and by_status == {"quarantined": 5}  # the newest cap + 1 rows
