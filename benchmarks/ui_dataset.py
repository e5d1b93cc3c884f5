"""
The dataset ``bench_ui.py`` serves: set-based ``INSERT ... SELECT generate_series`` statements for
PostgreSQL, one per table, all spread over the same seconds before ``now()`` (row *g* is
``rows - g`` seconds old: 1M rows cover the last 11.6 days).

- quarantine and error events: *rows* each, 50 DAGs, 5 tasks, 6 categories, 200 fingerprints
  (hex, like real ones: :func:`fingerprint`);
- incidents: one per fingerprint (every 4th resolved), seen over the last 10 days, 3 tasks each;
- circuits: 50, in every state, with *rows* transitions between them;
- Airflow's ``dag_run`` / ``task_instance``: *rows* task instances (20 per run), 5 of the DAGs
  with a ``QuarantineReplayOperator`` task;
- the hourly rollups of both, as migrations ``c41d7e5a9f12`` and ``e52b8c7d1a34`` backfill them
  on an upgrade (every finished hour counted, per category and per fingerprint;
  :mod:`airflow_errorguard.storage.rollup`), set-based, with a first ``generation`` as migration
  ``9a6c2e4f7b18`` gives the backfilled state rows.
"""

from __future__ import annotations

import hashlib

from airflow_errorguard.storage.rollup import GRACE


def fingerprint(n: int) -> str:
    """The *n*-th fingerprint of the dataset, 16 hex digits like errorguard's (``left(md5(...), 16)``)."""
    return hashlib.md5(f"fp-{n}".encode()).hexdigest()[:16]


QUARANTINE = """
INSERT INTO errorguard_error_signature (
    signature_key, error_category, error_type, fingerprint, reason, traceback, message_at_end, created_at,
    last_used_at)
SELECT left(md5('sig-' || s), 16),
       (ARRAY['data','transient','system','auth','resource','unknown'])[1 + s %% 6],
       'builtins.ValueError', left(md5('fp-' || s), 16), 'the record failed validation',
       'Traceback (most recent call last):\n  File "etl.py", line 1\nValueError: ', true, now(), now()
FROM generate_series(0, 199) AS s;
INSERT INTO errorguard_quarantine (
    dag_id, task_id, run_id, map_index, try_number, record_key, payload, payload_bytes,
    payload_truncated, error_category, error_message, fingerprint, signature_key,
    status, created_at, updated_at)
SELECT 'dag_' || (g %% 50), 'task_' || (g %% 5), 'run_' || (g / 5000), -1, 1, 'order-' || g,
       '{"order": ' || g || ', "amount": "12.50", "email": "user' || g || '@example.com"}', 80, false,
       (ARRAY['data','transient','system','auth','resource','unknown'])[1 + g %% 6],
       'bad amount in order ' || g,
       left(md5('fp-' || (g %% 200)), 16), left(md5('sig-' || (g %% 200)), 16),
       (ARRAY['quarantined','quarantined','quarantined','released','replayed','discarded'])[1 + (g / 7) %% 6],
       now() - make_interval(secs => %(rows)s - g), now() - make_interval(secs => %(rows)s - g)
FROM generate_series(1, %(rows)s) AS g
"""

ERROR_EVENTS = """
INSERT INTO errorguard_error_event (
    dag_id, task_id, run_id, map_index, try_number, max_tries, error_category, action, decision,
    fingerprint, exception_type, exception_message, reason, rule, confidence, created_at)
SELECT 'dag_' || (g %% 50), 'task_' || (g %% 5), 'run_' || (g / 5000), -1, 1, 3,
       (ARRAY['data','transient','system','auth','resource','unknown'])[1 + g %% 6],
       'retry', 'retry', left(md5('fp-' || (g %% 200)), 16), 'builtins.ValueError',
       'bad amount in order ' || g,
       'classified by rule', 'builtin', 0.9, now() - make_interval(secs => %(rows)s - g)
FROM generate_series(1, %(rows)s) AS g
"""

INCIDENTS = """
INSERT INTO errorguard_incident (
    incident_key, fingerprint, dag_id, task_id, run_id, error_category, reason, status,
    first_seen_at, last_seen_at, occurrences, notified_occurrences, last_notified_at, notify_count,
    suppressed_count, resolved_at, version)
SELECT 'fp-' || i || '@dag_' || (i %% 50), left(md5('fp-' || i), 16), 'dag_' || (i %% 50),
       'task_' || (i %% 5),
       'run_1', (ARRAY['data','transient','system','auth','resource','unknown'])[1 + i %% 6],
       'a burst of failures', CASE WHEN i %% 4 = 0 THEN 'resolved' ELSE 'open' END,
       now() - interval '10 days', now() - make_interval(mins => i), 5000, 10,
       now() - interval '9 days', 3, 4990,
       CASE WHEN i %% 4 = 0 THEN now() - make_interval(mins => i) END, 1
FROM generate_series(0, 199) AS i;
INSERT INTO errorguard_incident_task (incident_id, dag_id, task_id, failing, last_failed_at)
SELECT id, dag_id, 'task_' || k, k = 0, now() - make_interval(mins => k)
FROM errorguard_incident, generate_series(0, 2) AS k
"""

CIRCUITS = """
INSERT INTO errorguard_circuit (
    name, state, window_state, consecutive_failures, opened_at, next_probe_at, trip_count,
    half_open_admitted, half_open_successes, total_calls, total_failures, total_rejected,
    last_error_type, last_error_message, version, created_at, updated_at)
SELECT 'circuit_' || i, (ARRAY['closed','closed','open','half_open','forced_open','disabled'])[1 + i %% 6],
       NULL, 0, now() - interval '1 minute', now() + interval '1 minute', %(rows)s / 100, 0, 0,
       1000000, 20000, 5000, 'requests.ConnectionError', 'connection refused', 1,
       now() - interval '30 days', now()
FROM generate_series(0, 49) AS i;
INSERT INTO errorguard_circuit_event (
    circuit_name, from_state, to_state, reason, actor, dag_id, task_id, run_id, map_index,
    failure_rate, calls_in_window, created_at)
SELECT 'circuit_' || (g %% 50),
       (ARRAY['closed','open','half_open','half_open'])[1 + (g / 50) %% 4],
       (ARRAY['open','half_open','closed','open'])[1 + (g / 50) %% 4],
       'failure rate over the threshold', 'errorguard', 'dag_' || (g %% 50), 'task_1', 'run_1', -1,
       0.5, 20, now() - make_interval(secs => %(rows)s - g)
FROM generate_series(1, %(rows)s) AS g
"""

TASK_INSTANCES = """
INSERT INTO dag_run (dag_id, run_id, run_type, run_after, state, clear_number, span_status)
SELECT 'dag_' || (r %% 50), 'run_' || r, 'scheduled', now() - make_interval(secs => %(rows)s - r * 20),
       'success', 0, 'ended'
FROM generate_series(0, %(rows)s / 20 - 1) AS r;
INSERT INTO task_instance (
    id, task_id, dag_id, run_id, map_index, try_number, max_tries, pool, pool_slots, state,
    operator, start_date, end_date, span_status)
SELECT gen_random_uuid(),
       CASE WHEN t = 19 AND r %% 10 = 0 THEN 'replay' ELSE 'task_' || t END,
       'dag_' || (r %% 50), 'run_' || r, -1, 1, 0, 'default_pool', 1, 'success',
       CASE WHEN t = 19 AND r %% 10 = 0 THEN 'QuarantineReplayOperator' ELSE 'PythonOperator' END,
       now() - make_interval(secs => %(rows)s - r * 20), now() - make_interval(secs => %(rows)s - r * 20),
       'ended'
FROM generate_series(0, %(rows)s / 20 - 1) AS r, generate_series(0, 19) AS t
"""

#: Whole hours since 1970-01-01 UTC (the rollup's ``hour``) of a timestamp, and the rollup's horizon.
_HOUR = "floor(extract(epoch FROM {}) / 3600)::integer"
_HORIZON = _HOUR.format(f"now() - interval '{GRACE.total_seconds():.0f} seconds'")
ROLLUP = "".join(
    f"""
INSERT INTO errorguard_hourly_count (source, hour, dag_id, category, count)
SELECT '{source}', {_HOUR.format("created_at")}, dag_id, error_category, count(*)
FROM {table} WHERE {_HOUR.format("created_at")} < {_HORIZON}
GROUP BY 2, 3, 4;
INSERT INTO errorguard_hourly_fingerprint (
    source, hour, dag_id, fingerprint, category, count, first_at, last_at, error_type)
SELECT '{source}', {_HOUR.format("created_at")}, dag_id, fingerprint, error_category, count(*),
       min(created_at), max(created_at), max({kind})
FROM {table} WHERE {_HOUR.format("created_at")} < {_HORIZON} AND fingerprint IS NOT NULL
GROUP BY 2, 3, 4, 5;
INSERT INTO errorguard_rollup_state (source, filled_from, filled_until, generation)
SELECT '{source}', to_timestamp(min(hour) * 3600), to_timestamp({_HORIZON} * 3600),
       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
FROM errorguard_hourly_count WHERE source = '{source}'
ON CONFLICT (source) DO UPDATE SET filled_from = excluded.filled_from, filled_until = excluded.filled_until,
    generation = excluded.generation;
"""
    for source, table, kind in (
        (
            "quarantine",
            # the type is on the rows' error signatures
            "(SELECT q.dag_id, q.fingerprint, q.error_category, q.created_at, s.error_type "
            "FROM errorguard_quarantine q LEFT JOIN errorguard_error_signature s "
            "ON s.signature_key = q.signature_key) AS quarantine",
            "error_type",
        ),
        ("event", "errorguard_error_event", "exception_type"),
    )
)

#: (what, SQL) in load order.
LOADS = (
    ("quarantine rows", QUARANTINE),
    ("error events", ERROR_EVENTS),
    ("their hourly rollup", ROLLUP),
    ("incidents", INCIDENTS),
    ("circuits and their transitions", CIRCUITS),
    ("Airflow task instances", TASK_INSTANCES),
)
TABLES = (
    "errorguard_quarantine",
    "errorguard_error_signature",
    "errorguard_error_event",
    "errorguard_hourly_count",
    "errorguard_hourly_fingerprint",
    "errorguard_incident",
    "errorguard_incident_task",
    "errorguard_circuit",
    "errorguard_circuit_event",
    "dag_run",
    "task_instance",
)
