"""
Codes that protocol clients keep in their own places, read for :class:`~.signals.LinkFacts`:
SMTP replies (``smtp_code``, ``recipients``), AMQP ``reply_code``, Redis error prefixes
(``status_code`` or the reply's first word), FTP replies (the three digits ftplib's errors start
with), POP3 and IMAP response codes (``[AUTH]``, ``[UNAVAILABLE]``...), process ``returncode``,
and PostgreSQL fields in an ``args[0]`` dict (pg8000); and which family a class belongs to, by
the packages of its MRO. Services' own codes are read by :mod:`.service_codes`.

Every read is guarded: a hostile exception cannot break classification.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from airflow_errorguard.classification.safe_read import safe_getattr

#: Top-level package -> protocol family whose codes are read.
_FAMILIES = {
    "smtplib": "smtp",
    "aiosmtplib": "smtp",
    "pika": "amqp",
    "amqp": "amqp",
    "kombu": "amqp",
    "redis": "redis",
    "grpc": "grpc",
    "subprocess": "exit",
    "google": "google",
    "azure": "azure",
    "ftplib": "ftp",
    "poplib": "pop3",
    "imaplib": "imap",
    "elasticsearch": "elasticsearch",
    "opensearchpy": "elasticsearch",
    "kubernetes": "kubernetes",
    "kubernetes_asyncio": "kubernetes",
    "slack_sdk": "slack",
    "openai": "openai",
    "anthropic": "openai",
    "notion_client": "notion",
    "trino": "trino",
    "websockets": "websocket",
    "paramiko": "ssh",
    "asyncssh": "ssh",
    "clickhouse_connect": "clickhouse",
    "clickhouse_driver": "clickhouse",
    "snowflake": "snowflake",
    "hdfs": "hadoop",
    "databricks": "databricks",
    "cassandra": "cassandra",
    "kafka": "kafka",
    "aiokafka": "kafka",
    "nats": "nats",
    "minio": "minio",
    "oracledb": "oracle",
    "cx_Oracle": "oracle",
    "oauthlib": "oauth",
    "requests_oauthlib": "oauth",
    "authlib": "oauth",
}
_REDIS_WORD = re.compile(r"([A-Z]{2,20})(?:\s|$)")
#: An Oracle code at the start of a message: ``ORA-01017: invalid username/password``.
_ORACLE_CODE = re.compile(r"((?:ORA|DPY|DPI|TNS)-[0-9]{4,5})(?::|\s|$)")
_FTP_REPLY = re.compile(r"\s*([1-5][0-9][0-9])(?:[\s-]|$)")
#: A bracketed response code (POP3 RFC 2449/3206, IMAP RFC 5530): ``-ERR [SYS/TEMP] ...``.
_BRACKET_CODE = re.compile(r"\[([A-Z][A-Z/-]{1,30})[\] ]")
_IMAP_STATUS = re.compile(r"\b(BAD|NO)\b")


def protocol_family(paths: tuple[str, ...]) -> str | None:
    """The protocol family of a class, from the packages of its MRO (``None`` for most classes)."""
    for path in paths:
        family = _FAMILIES.get(path.split(".", 1)[0])
        if family is not None:
            return family
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _smtp_code(get: Callable[[str], Any]) -> int | None:
    code = _int(get("smtp_code"))  # smtplib
    if code is None:
        code = _int(get("code"))  # aiosmtplib
    if code is not None:
        return code
    # SMTPRecipientsRefused: smtplib {address: (code, message)}, aiosmtplib [SMTPRecipientRefused]
    recipients = get("recipients")
    if isinstance(recipients, dict):
        replies = [reply[0] for reply in list(recipients.values())[:50] if isinstance(reply, tuple) and reply]
    elif isinstance(recipients, list):
        replies = [safe_getattr(reply, "code") for reply in recipients[:50]]
    else:
        return None
    codes = [reply for reply in replies if _int(reply) is not None]
    if not codes:
        return None
    permanent = [code for code in codes if not 400 <= code < 500]
    return permanent[0] if permanent else codes[0]  # one permanent refusal decides


def protocol_code(family: str | None, get: Callable[[str], Any], message: Callable[[], str]) -> str | None:
    """``smtp:550``, ``amqp:404``, ``redis:BUSY``, ``ftp:530``, ``imap:UNAVAILABLE`` or ``exit:-9``."""
    if family == "smtp":
        code = _smtp_code(get)
        return f"smtp:{code}" if code is not None else None
    if family == "amqp":
        code = _int(get("reply_code"))
        return f"amqp:{code}" if code is not None else None
    if family == "exit":
        code = _int(get("returncode"))
        return f"exit:{code}" if code is not None else None
    if family == "redis":
        status = get("status_code")
        if isinstance(status, str) and status.isupper() and status != "ERR":
            return f"redis:{status}"
        found = _REDIS_WORD.match(message())
        return f"redis:{found.group(1)}" if found else None
    if family == "ftp":  # error_perm('530 Login incorrect.'), error_temp('421 ...')
        found = _FTP_REPLY.match(message())
        return f"ftp:{found.group(1)}" if found else None
    if family in ("pop3", "imap"):
        text = message()
        found = _BRACKET_CODE.search(text)
        if found is not None:
            return f"{family}:{found.group(1)}"
        status = _IMAP_STATUS.search(text) if family == "imap" else None
        return f"imap:{status.group(1)}" if status else None
    return None


def oracle_code(args: Any, message: Callable[[], str]) -> str | None:
    """``oracle:ORA-01017`` or ``oracle:DPY-6005``: the ``full_code`` of python-oracledb's and
    cx_Oracle's error object in ``args[0]``, else the code a message starts with."""
    error = args[0] if isinstance(args, tuple) and args else None
    code = safe_getattr(error, "full_code") if error is not None and not isinstance(error, str) else None
    if not (isinstance(code, str) and code):
        found = _ORACLE_CODE.match(message())
        code = found.group(1) if found else None
    return f"oracle:{code}" if code else None


def args_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error-response dict in ``args[0]`` (pg8000: ``{"C": "23505", ...}``)."""
    return sqlstate_of_args(safe_getattr(exc, "args"))


def sqlstate_of_args(args: Any) -> str | None:
    """:func:`args_sqlstate` of an exception whose ``args`` were read already (``None``: unreadable)."""
    if not (isinstance(args, tuple) and args and type(args[0]) is dict):
        return None
    fields = args[0]
    code = fields.get("C")
    if isinstance(code, str) and len(code) == 5 and "M" in fields:
        return code.upper()
    return None
