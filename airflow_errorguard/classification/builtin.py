"""Matching of one exception against the built-in knowledge tables."""

from __future__ import annotations

import errno as errno_module
from dataclasses import dataclass
from typing import Any

from airflow_errorguard.classification import knowledge_codes as codes
from airflow_errorguard.classification import knowledge_protocols as protocols
from airflow_errorguard.classification import message_scan
from airflow_errorguard.classification.knowledge_messages import MESSAGES
from airflow_errorguard.classification.knowledge_names import name_entry
from airflow_errorguard.classification.knowledge_oracle import oracle_entry
from airflow_errorguard.classification.knowledge_types import DBAPI, TYPES
from airflow_errorguard.classification.model import ErrorAction, ErrorCategory
from airflow_errorguard.classification.signals import LinkFacts, type_paths

#: Messages are read only when no code or class gives at least this confidence: message patterns
#: refine broad classes (``OperationalError``, ``Exception`` subclasses), never a specific signal.
MESSAGE_SCAN_BELOW = 0.8


@dataclass
class Candidate:
    """A possible verdict on one exception of a chain, before the chain's verdicts are compared."""

    category: ErrorCategory
    confidence: float
    rule: str
    reason: str
    facts: LinkFacts
    action: Any = None
    backoff: Any = None
    max_retries: int | None = None


_TYPE_CACHE: dict[type, tuple[str, codes.Entry] | None] = {}


def _type_entry(cls: type) -> tuple[str, codes.Entry] | None:
    """Most specific listed class of *cls*'s MRO, or a DB-API name; cached per class."""
    if cls in _TYPE_CACHE:
        return _TYPE_CACHE[cls]
    found = None
    paths = type_paths(cls)
    for path in paths:
        entry = TYPES.get(path)
        if entry is not None:
            found = (path, entry)
            break
        name = path.rsplit(".", 1)[-1]
        if name in DBAPI and any(p.endswith(("DatabaseError", "DBAPIError")) for p in paths):
            found = (f"dbapi:{name}", DBAPI[name])
            break
    found = found or name_entry(paths)  # a class nothing lists: the words of its name
    if len(_TYPE_CACHE) < 4096:
        _TYPE_CACHE[cls] = found
    return found


_LABELS: dict[ErrorCategory, str] = {category: category.value for category in ErrorCategory}


def _candidate(facts: LinkFacts, entry: codes.Entry, rule: str, subject: str) -> Candidate:
    category, confidence, text = entry
    reason = f"{subject} {text}; {_LABELS[category]}"  # not the enum's slow __format__
    return Candidate(category, confidence, f"builtin:{rule}", reason, facts)


def _protocol_entry(kind: str, value: str) -> tuple[codes.Entry | None, str]:
    """The entry and a label for a ``kind:value`` driver or protocol code (SQLite, MySQL, SMTP...)."""
    number = int(value) if value.lstrip("-").isdigit() else None
    if kind == "sqlite":
        return codes.SQLITE.get(value) or codes.SQLITE.get("_".join(value.split("_")[:2])), f"SQLite {value}"
    if kind == "redis":
        return protocols.REDIS_PREFIX.get(value), f"Redis {value}"
    if kind == "oracle":
        return oracle_entry(value), value
    if kind == "pop3":
        return protocols.POP3_CODE.get(value), f"POP3 [{value}]"
    if kind == "imap":
        return protocols.IMAP_CODE.get(value), f"IMAP {value}"
    if number is None:
        return None, value
    if kind == "mysql":
        return codes.MYSQL.get(number) or _mysql_server_error(number), f"MySQL error {value}"
    if kind == "smtp":
        entry = protocols.SMTP_REPLY.get(number) or protocols.SMTP_CLASS.get(number // 100)
        return entry, f"SMTP reply {value}"
    if kind == "amqp":
        return protocols.AMQP_REPLY.get(number), f"AMQP reply {value}"
    if kind == "ftp":
        entry = protocols.FTP_REPLY.get(number) or protocols.FTP_CLASS.get(number // 100)
        return entry, f"FTP reply {value}"
    if kind == "exit":
        return protocols.EXIT_STATUS.get(number), f"exit status {value}"
    return None, value


def _mysql_server_error(number: int) -> codes.Entry | None:
    """An unlisted MySQL/MariaDB *server* error (1000-1999, 3000-4999) is about the statement or the
    session, never the link: the drivers raise it as ``OperationalError``, which says nothing, so it
    must not read as a connection failure (the client's own 2xxx link errors are all listed)."""
    if 1000 <= number < 2000 or 3000 <= number < 5000:
        return codes.MYSQL_SERVER_ERROR
    return None


def _code_candidates(facts: LinkFacts) -> list[Candidate]:
    found = []
    service_coded = False  # a recognised service or protocol code outranks the HTTP status it came with
    code = facts.cloud_code
    if code is not None and code in codes.CLOUD_CODE:
        service_coded = True
        found.append(
            _candidate(facts, codes.CLOUD_CODE[code], f"code:{code}", f"{facts.type_name} code {code}")
        )
    state = facts.sqlstate
    if state is not None:
        entry = codes.SQLSTATE.get(state) or codes.SQLSTATE_CLASS.get(state[:2])
        if entry is not None:
            found.append(_candidate(facts, entry, f"sqlstate:{state}", f"SQLSTATE {state}"))
    driver = facts.driver_code
    if driver is not None:
        kind, _, value = driver.partition(":")
        entry, label = _protocol_entry(kind, value)
        refused_sender = kind == "smtp" and "smtplib.SMTPSenderRefused" in facts.paths
        if entry is not None and refused_sender and entry[0] is ErrorCategory.DATA:
            entry = (ErrorCategory.CONFIGURATION, 0.85, "means the sender address is refused (a setting)")
        if entry is codes.MYSQL_SERVER_ERROR and found:
            entry = None  # an unlisted error number: the SQLSTATE the server sent decides
        if entry is not None:
            service_coded = True
            if kind == "mysql" and state is not None:
                # MySQL's SQLSTATE is coarse (42000 for a connection limit, 23000 for an ambiguous
                # column): the server's error number is the finer code.
                found = [c for c in found if not c.rule.startswith("builtin:sqlstate:")]
            found.append(_candidate(facts, entry, f"{kind}:{value}", f"{facts.type_name} ({label})"))
    status = facts.http_status
    if status is not None and not service_coded:
        entry = codes.HTTP_STATUS.get(status) or codes.HTTP_CLASS.get(status // 100)
        if entry is not None:
            host = facts.host
            subject = f"HTTP {status} from {host}" if host else f"HTTP {status}"
            found.append(_candidate(facts, entry, f"http:{status}", subject))
    number = facts.errno
    if number is not None:
        table = codes.GAI_ERRNO if number < 0 else codes.ERRNO
        entry = table.get(number)
        if entry is not None:
            name = errno_module.errorcode.get(number, str(number)) if number >= 0 else f"EAI {number}"
            found.append(_candidate(facts, entry, f"errno:{name}", f"{facts.type_name} ({name})"))
    if facts.connection_invalidated:  # SQLAlchemy DBAPIError
        found.append(
            Candidate(
                ErrorCategory.TRANSIENT,
                0.9,
                "builtin:sqlalchemy:connection_invalidated",
                f"{facts.type_name} invalidated the database connection (disconnect); transient",
                facts,
            )
        )
    return found


def _own_candidate(facts: LinkFacts, path: str) -> Candidate | None:
    """errorguard's own exceptions that carry their verdict: a storage error's ``transient`` flag, an
    alert's ``category``; ``ErrorGuardBudgetExceeded`` is data that alerts (retrying cannot help)."""
    name = path.rsplit(".", 1)[-1]
    own = dict(facts.own)  # read into the facts, so that the verdict cache keys on them
    if name == "ErrorGuardStorageError" and own.get("transient") is True:
        return Candidate(
            ErrorCategory.TRANSIENT,
            0.9,
            f"builtin:type:{path}",
            "ErrorGuardStorageError says errorguard's own storage failed transiently (lost connection, "
            "timeout, lock); transient",
            facts,
        )
    if name == "ErrorGuardAlert":
        category = own.get("category")
        if isinstance(category, str) and category in ErrorCategory._value2member_map_:
            return Candidate(
                ErrorCategory(category),
                0.95,
                f"builtin:type:{path}",
                f"ErrorGuardAlert carries the record's classification; {category}",
                facts,
            )
    if name == "ErrorGuardBudgetExceeded":
        category, confidence, text = TYPES[path]
        reason = f"{facts.type_name} {text}; {category}, alert"
        return Candidate(
            category, confidence, f"builtin:type:{path}", reason, facts, action=ErrorAction.ALERT
        )
    return None


_ARGUMENT_ERRORS = frozenset({"ValueError", "TypeError"})


def match_builtin(facts: LinkFacts) -> Candidate | None:
    """The strongest built-in verdict on the exception behind *facts* (codes, type, message)."""
    best = match_known(facts)
    if best is None or best.confidence < MESSAGE_SCAN_BELOW:
        return _by_message(facts, best)
    return best


def match_known(facts: LinkFacts) -> Candidate | None:
    """The strongest built-in verdict on *facts* by codes and class alone (the message unread)."""
    best: Candidate | None = None
    for candidate in _code_candidates(facts):
        if best is None or candidate.confidence > best.confidence:
            best = candidate
    typed = _type_entry(type(facts.exc))
    # A bare OSError without an errno is a library's protocol or format error, not the OS's.
    if typed is not None and not (typed[0] == "OSError" and facts.errno is None):
        path, entry = typed
        candidate = _candidate(facts, entry, f"type:{path}", facts.type_name)
        if path.startswith("airflow_errorguard."):
            candidate = _own_candidate(facts, path) or candidate
        if best is None or candidate.confidence > best.confidence:
            best = candidate
    return best


def _by_message(facts: LinkFacts, best: Candidate | None) -> Candidate | None:
    """*best* refined by a message pattern (read because no code or class is confident enough)."""
    found = message_match(facts.message, facts.paths)
    if found is None or (best is not None and found.confidence <= best.confidence):
        return best
    return found.candidate(facts)


@dataclass(frozen=True)
class MessageMatch:
    """The built-in message pattern an exception's message matched."""

    index: int
    category: ErrorCategory
    confidence: float
    text: str
    snippet: str

    def candidate(self, facts: LinkFacts) -> Candidate:
        """The verdict of this match on *facts*."""
        label = _LABELS[self.category]
        reason = f"{facts.type_name} message {self.text} ({self.snippet!r}); {label}"
        return Candidate(self.category, self.confidence, f"builtin:message:{self.index}", reason, facts)


def message_match(message: str, paths: tuple[str, ...]) -> MessageMatch | None:
    """The message pattern *message* matches, for an exception of class *paths*; ``None`` if none counts."""
    found = message_scan.search(message.lower())  # MESSAGE_REGEX's match, once per message shape
    if found is None:
        return None
    index, matched = found
    category, confidence, text = MESSAGES[index][1]
    # A ValueError or TypeError is an argument rejected before anything was attempted: its
    # "timeout" or "connection" is a setting being validated, never an outage.
    if category is ErrorCategory.TRANSIENT and not _ARGUMENT_ERRORS.isdisjoint(paths):
        return None
    return MessageMatch(index, category, confidence, text, matched[:60])
