"""Library forks read as their originals (:mod:`.library_forks`), and Oracle codes read from the
error object in ``args[0]`` (:mod:`.knowledge_oracle`), including shapes the live corpus cannot
raise (cx_Oracle, a server ``ORA-`` code, an unlisted ``DPY-`` code)."""

from __future__ import annotations

import pytest

from airflow_errorguard.classification.class_plan import type_paths
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.library_forks import with_originals
from airflow_errorguard.classification.model import ErrorCategory

pytestmark = pytest.mark.unit

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


def _class(module: str, name: str, base: type = Exception) -> type:
    return type(name, (base,), {"__module__": module})


def test_a_forks_class_is_followed_by_its_originals_path() -> None:
    paths = ("valkey.exceptions.ResponseError", "valkey.exceptions.RedisError", "Exception")
    assert with_originals(paths) == (
        "valkey.exceptions.ResponseError",
        "redis.exceptions.ResponseError",
        "valkey.exceptions.RedisError",
        "redis.exceptions.RedisError",
        "Exception",
    )
    original = ("redis.exceptions.ResponseError", "Exception")
    assert with_originals(original) is original


def test_type_paths_keep_the_forks_own_class_first() -> None:
    cls = _class("aioredis.exceptions", "ResponseError")
    assert type_paths(cls)[:2] == ("aioredis.exceptions.ResponseError", "redis.exceptions.ResponseError")


def test_a_fork_reads_its_originals_protocol_codes(classifier: Classifier) -> None:
    # aioredis (not installed): the RESP error prefix is read as redis-py's would be.
    exc = _class("aioredis.exceptions", "ResponseError")("NOPERM this user has no permissions to run 'set'")
    result = classifier.classify(exc)
    assert (result.category, result.rule) == (C, "builtin:redis:NOPERM")


def test_a_fork_reads_its_originals_class_table(classifier: Classifier) -> None:
    exc = _class("aioredis.exceptions", "BusyLoadingError")("still loading")
    assert classifier.classify(exc).category is T


class _OracleError:
    """The shape of python-oracledb's and cx_Oracle's error object (``args[0]``)."""

    def __init__(self, full_code: str, message: str) -> None:
        self.full_code, self.message = full_code, message

    def __str__(self) -> str:
        return self.message


@pytest.mark.parametrize(
    ("module", "full_code", "category"),
    [
        ("oracledb.exceptions", "ORA-00001", D),
        ("oracledb.exceptions", "ORA-01017", C),
        ("oracledb.exceptions", "ORA-03113", T),
        ("cx_Oracle", "ORA-00942", C),
        ("oracledb.exceptions", "DPY-2999", C),  # unlisted: its thousands (ProgrammingError) decide
    ],
)
def test_oracle_codes_are_read_from_the_error_object(
    classifier: Classifier, module: str, full_code: str, category: ErrorCategory
) -> None:
    exc = _class(module, "DatabaseError")(_OracleError(full_code, f"{full_code}: scripted"))
    result = classifier.classify(exc)
    assert (result.category, result.rule) == (category, f"builtin:oracle:{full_code}")


def test_an_oracle_code_is_read_from_the_message_when_no_error_object(classifier: Classifier) -> None:
    exc = _class("cx_Oracle", "DatabaseError")("ORA-00060: deadlock detected while waiting for resource")
    result = classifier.classify(exc)
    assert (result.category, result.rule) == (T, "builtin:oracle:ORA-00060")
