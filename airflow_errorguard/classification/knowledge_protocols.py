"""
Built-in knowledge of protocol reply codes: SMTP replies (``smtplib``), FTP replies (``ftplib``),
POP3 and IMAP response codes (``poplib``, ``imaplib``), AMQP 0-9-1 reply codes (pika, py-amqp,
kombu), Redis error prefixes (redis-py) and process exit statuses
(``subprocess.CalledProcessError``, negative for a signal). Each entry is
``code: (category, confidence, explanation)``.
"""

from __future__ import annotations

import signal

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T

#: SMTP reply codes (RFC 5321 and the enhanced codes servers use with them).
SMTP_REPLY: dict[int, Entry] = {
    432: (C, 0.85, "means a password transition is needed (RFC 4954): an operator must act"),
    421: (T, 0.95, "means the service is not available now (try later)"),
    450: (T, 0.95, "means the mailbox is temporarily unavailable"),
    451: (T, 0.95, "is a local error at the server (try later)"),
    452: (T, 0.9, "means the server has insufficient storage or too many recipients for now"),
    454: (T, 0.85, "means TLS or authentication is temporarily unavailable"),
    500: (C, 0.85, "means the command was not recognised (client and server disagree)"),
    501: (C, 0.85, "means a command's parameters are rejected (client configuration)"),
    502: (C, 0.85, "means the command is not implemented"),
    503: (C, 0.85, "means commands were sent in the wrong order (often: authentication needed)"),
    504: (C, 0.85, "means a command parameter is not implemented"),
    521: (C, 0.9, "means the host does not accept mail"),
    530: (C, 0.95, "means authentication is required"),
    534: (C, 0.95, "means the authentication mechanism is too weak"),
    535: (C, 0.97, "means the credentials were rejected"),
    538: (C, 0.95, "means encryption is required for this authentication"),
    550: (D, 0.8, "means the mailbox is unavailable (unknown address, or policy)"),
    551: (C, 0.9, "means the user is not local / relaying is denied"),
    552: (D, 0.8, "means the message exceeds a storage or size limit"),
    553: (C, 0.8, "means the mailbox name or sender is not allowed"),
    554: (C, 0.8, "means the transaction failed permanently (policy or rejected host)"),
    555: (C, 0.85, "means MAIL/RCPT parameters are not recognised"),
    # smtplib's code for a reply that does not start with a number: the port speaks another protocol.
    -1: (C, 0.75, "means the server's reply is not SMTP (the port is another service's)"),
}
#: Fallback by the reply's first digit.
SMTP_CLASS: dict[int, Entry] = {
    4: (T, 0.85, "is a temporary failure (try later)"),
    5: (C, 0.7, "is a permanent failure"),
}

#: FTP reply codes (RFC 959, RFC 2228), from the text ftplib's ``error_perm``/``error_temp`` carry.
FTP_REPLY: dict[int, Entry] = {
    421: (T, 0.95, "means the service is not available now (try later)"),
    425: (T, 0.9, "means the data connection could not be opened"),
    426: (T, 0.9, "means the connection closed and the transfer was aborted"),
    430: (C, 0.95, "means the user name or password is invalid"),
    434: (T, 0.8, "means the requested host is unavailable"),
    450: (T, 0.9, "means the file is unavailable now (busy)"),
    451: (T, 0.9, "is a local error at the server (try later)"),
    452: (T, 0.85, "means the server has insufficient storage for now"),
    500: (C, 0.85, "means the command was not recognised"),
    501: (C, 0.8, "means a command's arguments are rejected (a path or name the client built)"),
    502: (C, 0.85, "means the command is not implemented"),
    503: (C, 0.85, "means commands were sent in the wrong order"),
    504: (C, 0.85, "means a command parameter is not implemented"),
    530: (C, 0.97, "means the login was refused (credentials) or is required"),
    532: (C, 0.9, "means an account is needed to store files"),
    533: (C, 0.9, "means the command needs a protected (TLS) connection"),
    534: (C, 0.9, "means the security policy refuses the request (TLS settings)"),
    550: (C, 0.75, "means the file or directory is unavailable (not found or no access: a wrong path)"),
    551: (D, 0.7, "means the page type is unknown"),
    552: (S, 0.85, "means the server's storage allocation is exceeded"),
    553: (C, 0.8, "means the file name is not allowed"),
}
#: Fallback by the reply's first digit.
FTP_CLASS: dict[int, Entry] = {
    4: (T, 0.85, "is a temporary failure (try later)"),
    5: (C, 0.7, "is a permanent failure"),
}

#: POP3 extended response codes (RFC 2449, RFC 3206): ``-ERR [AUTH] ...``.
POP3_CODE: dict[str, Entry] = {
    "AUTH": (C, 0.97, "means the credentials were rejected"),
    "SYS/TEMP": (T, 0.95, "is a temporary problem at the server"),
    "SYS/PERM": (S, 0.8, "is a permanent problem at the server"),
    "IN-USE": (T, 0.9, "means the mailbox is locked by another session"),
    "LOGIN-DELAY": (T, 0.9, "means logins come too often (try later)"),
}

#: IMAP response codes (RFC 5530, RFC 3501): ``NO [UNAVAILABLE] ...``; ``BAD`` without a code.
IMAP_CODE: dict[str, Entry] = {
    "UNAVAILABLE": (T, 0.95, "means a subsystem is down (try later)"),
    "INUSE": (T, 0.9, "means the mailbox is in use by another session"),
    "LIMIT": (T, 0.8, "means a server limit was hit"),
    "SERVERBUG": (T, 0.7, "is a server error"),
    "EXPUNGEISSUED": (T, 0.6, "means messages were expunged meanwhile"),
    "AUTHENTICATIONFAILED": (C, 0.97, "means the credentials were rejected"),
    "AUTHORIZATIONFAILED": (C, 0.95, "means the user may not act as the given identity"),
    "EXPIRED": (C, 0.95, "means the credentials expired"),
    "PRIVACYREQUIRED": (C, 0.95, "means the server requires TLS for this"),
    "CONTACTADMIN": (C, 0.9, "means the account needs an administrator"),
    "NOPERM": (C, 0.95, "means the user lacks permission"),
    "NONEXISTENT": (C, 0.9, "means the mailbox does not exist"),
    "TRYCREATE": (C, 0.85, "means the target mailbox does not exist"),
    "CLIENTBUG": (C, 0.8, "means the client sent something the server considers a bug"),
    "CANNOT": (C, 0.7, "means the operation cannot be done on this server"),
    "ALREADYEXISTS": (D, 0.7, "means the mailbox already exists"),
    "OVERQUOTA": (S, 0.85, "means the mailbox is over its quota"),
    "CORRUPTION": (S, 0.85, "means the server found corrupt data"),
    "BAD": (C, 0.85, "means the server rejected the command as malformed"),
}

#: AMQP 0-9-1 reply codes (``reply_code``), as RabbitMQ sends them.
AMQP_REPLY: dict[int, Entry] = {
    311: (D, 0.8, "(content too large)"),
    312: (C, 0.8, "(no route: the exchange has no binding for the message)"),
    313: (T, 0.7, "(no consumers)"),
    320: (T, 0.95, "(connection forced: the broker closed the connection, e.g. on restart)"),
    402: (C, 0.9, "(invalid path: the vhost is wrong)"),
    403: (C, 0.95, "(access refused: credentials or permissions)"),
    404: (C, 0.9, "(not found: the queue or exchange is not declared)"),
    405: (T, 0.8, "(resource locked: an exclusive queue held by another connection)"),
    406: (C, 0.9, "(precondition failed: arguments disagree with the declared entity, or a bad ack)"),
    501: (T, 0.7, "(frame error)"),
    502: (C, 0.8, "(syntax error in a frame)"),
    503: (C, 0.85, "(command invalid in this state)"),
    504: (C, 0.8, "(channel error)"),
    505: (T, 0.6, "(unexpected frame)"),
    506: (T, 0.85, "(resource error: the broker is out of resources)"),
    530: (C, 0.95, "(not allowed: the vhost does not exist or is not permitted)"),
    540: (C, 0.9, "(not implemented)"),
    541: (T, 0.85, "(internal error in the broker)"),
}

#: Redis error prefixes (the first word of the server's error reply).
REDIS_PREFIX: dict[str, Entry] = {
    "BUSY": (T, 0.95, "(a script or module command is running; retry when it ends)"),
    "LOADING": (T, 0.95, "(the server is loading its dataset)"),
    "MASTERDOWN": (T, 0.95, "(the replica lost its master)"),
    "TRYAGAIN": (T, 0.95, "(the cluster is resharding the slot)"),
    "MOVED": (T, 0.9, "(the slot moved to another cluster node)"),
    "ASK": (T, 0.9, "(the slot is migrating to another node)"),
    "CLUSTERDOWN": (T, 0.95, "(the cluster is down or failing over)"),
    "READONLY": (T, 0.85, "(writing to a replica: a failover demoted this node, or the wrong endpoint)"),
    "NOREPLICAS": (T, 0.9, "(not enough replicas acknowledged the write)"),
    "UNBLOCKED": (T, 0.8, "(the blocked client was unblocked)"),
    "OOM": (S, 0.9, "(the server reached maxmemory)"),
    "MISCONF": (S, 0.9, "(the server cannot persist to disk and refuses writes)"),
    "NOAUTH": (C, 0.97, "(authentication required)"),
    "WRONGPASS": (C, 0.97, "(wrong username or password)"),
    "NOPERM": (C, 0.97, "(the ACL user lacks the permission)"),
    "CROSSSLOT": (C, 0.9, "(keys of one command hash to different slots: a code error)"),
    "WRONGTYPE": (D, 0.85, "(the key holds a value of another type)"),
    "NOSCRIPT": (C, 0.7, "(the script is not loaded on this server)"),
    "EXECABORT": (D, 0.7, "(the transaction was discarded after an earlier error)"),
    "NOGROUP": (C, 0.85, "(the stream's consumer group does not exist)"),
    "BUSYGROUP": (D, 0.7, "(the consumer group already exists)"),
    "DENIED": (C, 0.9, "(the server runs in protected mode)"),
    "NOTBUSY": (T, 0.6, "(no script is running)"),
    "NOPROTO": (C, 0.9, "(the client asked for a protocol version the server does not speak)"),
}


def _signal_entries() -> dict[int, Entry]:
    """Exit statuses of a process killed by a signal: ``-N`` (Python) and ``128+N`` (a shell)."""
    found: dict[int, Entry] = {}
    for name, confidence, meaning in (
        ("SIGKILL", 0.92, "was killed by SIGKILL (the kernel's OOM killer sends it)"),
        ("SIGSEGV", 0.9, "crashed (segmentation fault)"),
        ("SIGBUS", 0.9, "crashed (bus error)"),
        ("SIGABRT", 0.85, "aborted"),
        ("SIGILL", 0.85, "crashed (illegal instruction)"),
        ("SIGFPE", 0.85, "crashed (floating-point exception)"),
        ("SIGTERM", 0.8, "was terminated from outside"),
        ("SIGINT", 0.8, "was interrupted"),
        ("SIGXCPU", 0.9, "exceeded its CPU time limit"),
        ("SIGXFSZ", 0.9, "exceeded its file size limit"),
        ("SIGQUIT", 0.85, "quit with a core dump"),
        ("SIGHUP", 0.75, "lost its terminal or session (hung up)"),
    ):
        number = getattr(signal, name, None)
        if number is None:  # pragma: no cover - every POSIX system has them
            continue
        entry = (S, confidence, f"means the process {meaning} ({name})")
        found[-int(number)] = entry
        found[128 + int(number)] = (S, confidence - 0.05, f"means a shell's child {meaning} ({name})")
    return found


#: Process exit statuses (``returncode``).
EXIT_STATUS: dict[int, Entry] = {
    **_signal_entries(),
    126: (C, 0.85, "means the command is not executable (permissions)"),
    127: (C, 0.9, "means the command was not found (not installed, or not on PATH)"),
}
