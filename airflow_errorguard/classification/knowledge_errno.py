"""
Built-in knowledge of operating-system error numbers (``errno``) and name-resolution codes
(``socket.gaierror``).
"""

from __future__ import annotations

import errno as E

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T


def _errnos(names: str, entry: Entry) -> dict[int, Entry]:
    return {getattr(E, name): entry for name in names.split() if hasattr(E, name)}


ERRNO: dict[int, Entry] = {
    **_errnos(
        "ECONNRESET ECONNREFUSED ECONNABORTED ETIMEDOUT EHOSTUNREACH ENETUNREACH ENETDOWN ENETRESET "
        "EPIPE EAGAIN EWOULDBLOCK EINTR EBUSY EHOSTDOWN EINPROGRESS EALREADY ESHUTDOWN ENOTCONN "
        "ETXTBSY ESTALE",
        (T, 0.9, "is a transient network or resource condition"),
    ),
    **_errnos("EACCES EPERM", (C, 0.9, "means permission denied (check file modes, roles, credentials)")),
    **_errnos(
        "ENOENT ENOTDIR EISDIR ENXIO ENODEV EADDRNOTAVAIL EAFNOSUPPORT EPROTONOSUPPORT",
        (C, 0.8, "means a path or address does not exist (wrong setting, or the input has not arrived)"),
    ),
    **_errnos("EADDRINUSE", (T, 0.7, "means the address is in use")),
    **_errnos(
        "ENOSPC EDQUOT EMFILE ENFILE ENOMEM EROFS EIO EFBIG EMLINK ENOBUFS",
        (S, 0.95, "means the host ran out of a resource (disk, memory, file handles) or has failing I/O"),
    ),
    **_errnos("EEXIST ENOTEMPTY", (D, 0.6, "means the target already exists or is not empty")),
    **_errnos(
        "ELOOP ENAMETOOLONG EXDEV",
        (C, 0.8, "means a configured path is unusable (a symlink loop, a name too long, across devices)"),
    ),
    **_errnos("EOPNOTSUPP ENOTSUP", (C, 0.7, "means the operation is not supported here")),
    **_errnos("EDEADLK ETIME EPROTO", (T, 0.8, "is a transient lock, timer or protocol condition")),
    **_errnos("ENOLCK", (S, 0.8, "means the host ran out of locks")),
    **_errnos("ENOEXEC ELIBBAD", (C, 0.85, "means the file is not an executable for this platform")),
    **_errnos("E2BIG", (C, 0.7, "means the argument list is too long")),
    **_errnos("EINVAL", (D, 0.5, "means an invalid argument was passed")),
}
#: socket.gaierror codes (negative): name resolution.
GAI_ERRNO: dict[int, Entry] = {
    -3: (T, 0.9, "is a temporary failure in name resolution"),
    -4: (T, 0.7, "is a non-recoverable failure in name resolution"),
    -2: (C, 0.75, "means the host name is not known (check the connection's host)"),
    -5: (C, 0.75, "means the host has no address"),
    -8: (C, 0.8, "means the service name is not known"),
}
