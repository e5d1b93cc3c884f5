"""Family knowledge that the live corpus (tests/corpus/) cannot reach: libraries not installed here,
and the exact shape of errorguard's own verdicts."""

from __future__ import annotations

import ssl
import subprocess
from datetime import timedelta

import pytest

from airflow_errorguard.breaker import CircuitBreaker, MemoryCircuitStorage
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorAction, ErrorCategory
from airflow_errorguard.exceptions import (
    CircuitOpenError,
    ErrorGuardAlert,
    ErrorGuardBudgetExceeded,
    ErrorGuardReschedule,
    ErrorGuardStorageError,
)

pytestmark = pytest.mark.unit

T, D, C, S = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION, ErrorCategory.SYSTEM


def test_mysql_connector_keeps_the_server_error_number_in_errno(classifier: Classifier) -> None:
    # mysql-connector-python is not installed here: a class with its module path and shape.
    error_class = type("ProgrammingError", (Exception,), {"__module__": "mysql.connector.errors"})
    exc = error_class("1146 (42S02): Table 'shop.orders' doesn't exist")
    exc.errno = 1146
    result = classifier.classify(exc)
    assert (result.category, result.rule) == (C, "builtin:mysql:1146")
    assert "errno" not in result.signals


def test_an_ssl_errors_errno_is_not_an_os_errno(classifier: Classifier) -> None:
    exc = ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac")
    result = classifier.classify(exc)
    assert result.category is T  # errno 1 is SSL_ERROR_SSL, not EPERM
    assert "errno" not in result.signals


def test_an_oserror_without_errno_is_not_the_operating_systems(classifier: Classifier) -> None:
    assert classifier.classify(OSError("Invalid data stream")).category is D
    assert classifier.classify(OSError(28, "No space left on device")).category is S


def test_errorguards_own_exceptions(classifier: Classifier) -> None:
    breaker = CircuitBreaker(Circuit("crm_api"), MemoryCircuitStorage())
    breaker.force_open(actor="test")
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    opened = classifier.classify(info.value)
    assert opened.category is T and "circuit breaker is open" in opened.reason
    budget = classifier.classify(ErrorGuardBudgetExceeded("12 of 100 quarantined", summary={}))
    assert (budget.category, budget.action) == (D, ErrorAction.ALERT)
    assert classifier.classify(ErrorGuardStorageError("timed out", transient=True)).category is T
    assert classifier.classify(ErrorGuardStorageError("rejected")).category is S
    assert (
        classifier.classify(
            ErrorGuardReschedule(timedelta(seconds=40), record_key="7", reason="HTTP 429")
        ).category
        is T
    )
    alert = ErrorGuardAlert("record 7: bad credentials", record_key="7", category="configuration")
    assert classifier.classify(alert).category is C


@pytest.mark.parametrize("returncode", [-3, -1, 131, 129])
def test_deaths_by_sigquit_and_sighup_are_system(classifier: Classifier, returncode: int) -> None:
    result = classifier.classify(subprocess.CalledProcessError(returncode, ["tool"]))
    assert (result.category, result.rule) == (S, f"builtin:exit:{returncode}")


def test_tls_spoken_to_a_plain_port_is_configuration(classifier: Classifier) -> None:
    # OpenSSL's reason when the peer answers the ClientHello in plain text: a setting, never transient.
    exc = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
    assert classifier.classify(exc).category is C
    assert classifier.classify(ConnectionError("SSL handshake failed: WRONG_VERSION_NUMBER")).category is C
