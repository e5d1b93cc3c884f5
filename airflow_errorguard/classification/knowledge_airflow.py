"""
Built-in knowledge of Airflow's own exceptions and of what its providers raise with nothing but a
message: classes by dotted path (never imported), merged into :data:`~.knowledge_types.TYPES`, and
message patterns, appended to :data:`~.knowledge_messages.MESSAGES`.

Providers raise a bare ``AirflowException`` for most failures (``SQLCheckOperator``'s "Test
failed.", ``BashOperator``'s exit code, ``HttpHook``'s "404:Not Found" over the requests error it
handled); where the chain holds the library's own error, that decides. The patterns here are the
providers' own fixed wording, for failures whose message is all there is.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T


def _many(paths: str, entry: Entry) -> dict[str, Entry]:
    return dict.fromkeys(paths.split(), entry)


AIRFLOW_TYPES: dict[str, Entry] = {
    **_many(
        "airflow.sdk.exceptions.AirflowTaskTimeout airflow.exceptions.AirflowTaskTimeout",
        (T, 0.9, "means the task hit its execution_timeout"),
    ),
    **_many(
        "airflow.sdk.exceptions.AirflowTaskTerminated airflow.exceptions.AirflowTaskTerminated",
        (S, 0.9, "means the task process was terminated"),
    ),
    **_many(
        "airflow.sdk.exceptions.AirflowNotFoundException airflow.exceptions.AirflowNotFoundException",
        (C, 0.95, "means an Airflow connection or object is not defined"),
    ),
    "airflow.sdk.exceptions.ParamValidationError": (
        C,
        0.95,
        "means a Dag param failed its schema (the run was triggered with a bad param)",
    ),
    **_many(
        "airflow.sdk.exceptions.DuplicateTaskIdFound airflow.sdk.exceptions.AirflowDagCycleException",
        (C, 0.95, "means the Dag is defined wrongly"),
    ),
    "airflow.sdk.exceptions.AirflowFailException": (
        C,
        0.8,
        "means the task's code asked to fail without retrying",
    ),
    **_many(
        "airflow.sdk.exceptions.AirflowSecretsBackendAccessDenied "
        "airflow.exceptions.AirflowConfigException airflow._shared.configuration.exceptions."
        "AirflowConfigException airflow.sdk._shared.configuration.exceptions.AirflowConfigException "
        "airflow.exceptions.AirflowOptionalProviderFeatureException "
        "airflow.sdk.exceptions.AirflowOptionalProviderFeatureException",
        (C, 0.9, "means Airflow is misconfigured for this task"),
    ),
    "airflow.sdk.exceptions.AirflowSensorTimeout": (T, 0.6, "means a sensor timed out"),
    **_many(
        "airflow.sdk.exceptions.AirflowTimetableInvalid airflow.exceptions.AirflowTimetableInvalid",
        (C, 0.9, "means the Dag's schedule (a cron expression or timetable) is invalid"),
    ),
}

#: Message patterns of Airflow providers (lower case, searched with the others; see
#: :mod:`.knowledge_messages`).
AIRFLOW_MESSAGES: tuple[tuple[str, Entry], ...] = (
    (
        # common-sql's check operators (SQLCheckOperator, SQLValueCheckOperator, SQLColumnCheck...,
        # SQLTableCheck..., SQLThresholdCheck..., SQLIntervalCheck...): a data-quality check failed.
        r"^test failed\.\s|the following query returned zero rows|the following tests have failed|"
        r"^threshold check: .{0,200}? failed|is not within thresholds",
        (D, 0.88, "says a data-quality check on the data failed"),
    ),
    (
        # BashOperator / SSHOperator exit codes 126 and 127: the shell could not find or run it.
        r"non-zero exit code 12[67]\b|exit status = 12[67]\b",
        (C, 0.85, "says the command was not found or is not executable (exit code 126/127)"),
    ),
    (
        r"can not find the cwd|the cwd .{0,200}? must be a directory",
        (C, 0.9, "says the task's working directory does not exist"),
    ),
    (
        # common-sql given a connection whose hook is not a DbApiHook; a hook rejecting an extra
        # outside its allowed values (PostgresHook's cursor=).
        r", but its provider does not support it|invalid cursor passed|\bvalid options are\b",
        (C, 0.88, "says the connection's type or an extra does not fit the hook"),
    ),
    (
        # DbApiHook.insert_rows(replace=True) without target_fields.
        r"upsert syntax requires column names",
        (C, 0.85, "says the hook was called without a setting it needs (target_fields)"),
    ),
)
