"""
Misconfiguration anywhere in a chain: TLS verification failures (untrusted, expired or wrong-host
certificates, TLS spoken to a plain port) and unknown host names. A wrapper's transient look must not
hide them: retrying a misconfiguration forever is the worst outcome (see the classifier's rule 4).
"""

from __future__ import annotations

import re

from airflow_errorguard.classification.builtin import Candidate
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.signals import LinkFacts

_UNKNOWN_HOST_HINTS = (
    "ame or service not known",
    "servname",
    "esolve host",
    "ranslate host",
    "ddress associated",
)
_UNKNOWN_HOST_ERRNOS = frozenset({-2, -5})  # EAI_NONAME, EAI_NODATA


def unknown_host_coded(errno: int | None, paths: tuple[str, ...]) -> bool:
    """Whether an exception's *errno* and class *paths* say a host name does not exist (``EAI_NONAME``)."""
    return errno in _UNKNOWN_HOST_ERRNOS and "socket.gaierror" in paths


def unknown_host_said(message: str) -> bool:
    """Whether *message* says a host name does not exist."""
    for hint in _UNKNOWN_HOST_HINTS:  # noqa: SIM110 (a loop, not any(): runs on every transient verdict)
        if hint in message:
            return True
    return False


def unknown_host(facts: LinkFacts) -> Candidate | None:
    """A configuration verdict when *facts* says a host name does not exist (not a temporary failure)."""
    if not unknown_host_coded(facts.errno, facts.paths) and not unknown_host_said(facts.message):
        return None
    return Candidate(
        ErrorCategory.CONFIGURATION,
        0.92,
        "builtin:unknown-host",
        f"{facts.type_name} says the host name does not resolve (EAI_NONAME): check the connection's "
        "host; configuration",
        facts,
    )


_TLS_VERIFICATION_TYPES = frozenset(
    {
        "ssl.SSLCertVerificationError",
        "aiohttp.client_exceptions.ClientConnectorCertificateError",
    }
)
_TLS_VERIFICATION_MESSAGE = re.compile(
    r"certificate verify failed|hostname mismatch|doesn't match|certificate has expired|"
    r"self[- ]signed certificate|unable to get local issuer certificate",
    re.IGNORECASE,
)


#: The server refuses the TLS the client insists on (or the reverse): a setting, like a bad certificate.
_TLS_MODE_MESSAGE = re.compile(
    r"rejected ssl upgrade|does not support ssl|ssl was required|ssl is not enabled on the server|"
    # OpenSSL's reason code when the peer answers a ClientHello with plain text (gRPC core reports
    # it only inside an UNAVAILABLE status): TLS spoken to a plain-text port.
    r"wrong[_ ]version[_ ]number",
    re.IGNORECASE,
)


def tls_verification_type(paths: tuple[str, ...]) -> bool:
    """Whether an exception's class *paths* make it a TLS verification failure whatever its message."""
    return not _TLS_VERIFICATION_TYPES.isdisjoint(paths)


def tls_problem_said(paths: tuple[str, ...], message: str) -> str | None:
    """``"verification"`` when an exception's *message* (its class *paths* given) says a TLS certificate
    or host-name verification failed, ``"mode"`` when server and client disagree on using TLS."""
    if "SSL" in message and _TLS_MODE_MESSAGE.search(message) is not None:
        return "mode"
    if "ertif" not in message and "ERTIF" not in message and "ostname" not in message:
        return None  # the cheap test first: this runs on every chain not already configuration
    found = _TLS_VERIFICATION_MESSAGE.search(message)
    if found is None:
        return None
    # "doesn't match" is a TLS verdict only on a TLS exception (urllib3's CertificateError).
    if found.group(0).lower() == "doesn't match" and not any(
        "SSL" in path or "Certificate" in path for path in paths
    ):
        return None
    return "verification"


def tls_verification(facts: LinkFacts) -> Candidate | None:
    """A configuration verdict when *facts* is a TLS certificate or host-name verification failure,
    or a server and client that disagree on whether to use TLS."""
    problem = (
        "verification" if tls_verification_type(facts.paths) else tls_problem_said(facts.paths, facts.message)
    )
    if problem is None:
        return None
    if problem == "mode":
        return Candidate(
            ErrorCategory.CONFIGURATION,
            0.95,
            "builtin:tls-mode",
            f"{facts.type_name} says the server and the client disagree on TLS (the sslmode or "
            "ssl setting): retrying cannot fix it; configuration",
            facts,
        )
    return Candidate(
        ErrorCategory.CONFIGURATION,
        0.97,
        "builtin:tls-verification",
        f"{facts.type_name} is a TLS certificate verification failure (untrusted, expired or for "
        "another host name): retrying cannot fix it; configuration",
        facts,
    )


__all__ = [
    "tls_problem_said",
    "tls_verification",
    "tls_verification_type",
    "unknown_host",
    "unknown_host_coded",
    "unknown_host_said",
]
