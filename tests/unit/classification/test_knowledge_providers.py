"""What providers raise with nothing but a message (knowledge_providers): their own wording is
configuration, a class or code in the chain still decides first, and wording that merely resembles
it (a record's value, a data error) is not caught."""

from __future__ import annotations

import smtplib
import subprocess

import pytest

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory

pytestmark = pytest.mark.unit

C, D, T = ErrorCategory.CONFIGURATION, ErrorCategory.DATA, ErrorCategory.TRANSIENT


class AirflowException(Exception):
    """Stands in for ``airflow.exceptions.AirflowException`` (matched by message, not by class)."""


@pytest.mark.parametrize(
    "exc",
    [
        AirflowException("Key must have BEGIN and END header/footer on separate lines."),
        AirflowException("Private key provided cannot be read by paramiko. Ensure key provided is valid"),
        ValueError("Unsupported SSH host key algorithm 'ssh-foo'. Supported types are: ssh-rsa."),
        AirflowException("SSH operator error: SSH command not specified. Aborting."),
        AirflowException("You should provide `from_email` or define it in the connection."),
        AirflowException("SMTP connection is not found."),
        ValueError("Redis in cluster mode only supports database 0. Remove `db` from the connection extra."),
        AirflowException("`python_callable` param must be callable"),
        ValueError("Python Path '/opt/venv/bin/python' must exists"),
        ValueError("Python Path 'python3' must be an absolute path."),
        AirflowException("'branch_task_ids' must contain only valid task_ids. Invalid tasks found: {'x'}."),
        ValueError("Unsupported filesystem: 'foo'"),
        subprocess.CalledProcessError(
            2, ["uv", "venv", "--allow-existing", "--seed", "--python", "python3.99"]
        ),
        subprocess.CalledProcessError(1, ["uv", "pip", "install", "--python", "/tmp/v/bin/python", "x==1"]),
        subprocess.CalledProcessError(1, ["/tmp/v/bin/pip", "install", "-r", "/tmp/v/requirements.txt"]),
        smtplib.SMTPConnectError(-1, b"SSH-2.0-OpenSSH_9.6"),
    ],
    ids=lambda exc: f"{type(exc).__name__}:{str(exc)[:30]}",
)
def test_provider_wording_is_configuration(exc: BaseException) -> None:
    assert Classifier().classify(exc).category is C


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        # a task's own subprocess failing is not a venv build; its exit status alone says nothing
        (subprocess.CalledProcessError(1, ["/opt/venv/bin/python", "/tmp/script.py"]), None),
        # a record's value mentioning a branch is not the branch operator's wording
        (ValueError("invalid literal for int() with base 10: 'branch_task_ids'"), D),
        # a greeting with a reply code is read by its code, not as "not SMTP"
        (smtplib.SMTPConnectError(421, b"4.3.2 Service not available"), T),
    ],
)
def test_lookalikes_keep_their_own_verdict(exc: BaseException, category: ErrorCategory | None) -> None:
    got = Classifier().classify(exc).category
    if category is None:
        assert got is not C
    else:
        assert got is category
