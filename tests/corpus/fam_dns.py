"""dnspython against an in-process DNS server on loopback (UDP and TCP) answering each query name
with a scripted response code: NXDOMAIN, NOERROR without an answer, SERVFAIL, REFUSED, silence,
truncated and malformed replies; and the name and configuration errors the resolver raises itself."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.resolver

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import free_port

NEEDS_TMP = True


class ScriptedDNS:
    """A UDP DNS server: the first label of the query name says what to answer (``nxdomain``...)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            reply = self._answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _answer(self, data: bytes) -> bytes | None:
        query = dns.message.from_wire(data)
        label = query.question[0].name.labels[0].decode()
        if label == "silent":
            return None
        if label == "garbage":
            return data[:2] + b"\x81"
        response = dns.message.make_response(query)
        codes = {"nxdomain": dns.rcode.NXDOMAIN, "servfail": dns.rcode.SERVFAIL, "refused": dns.rcode.REFUSED}
        response.set_rcode(codes.get(label, dns.rcode.NOERROR))
        if label == "mismatch":
            response.id = (query.id + 1) % 65536
        return response.to_wire()

    def close(self) -> None:
        self.stopped = True
        self.sock.close()


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    server = serve(closing, ScriptedDNS())
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = server.port
    resolver.lifetime = 0.3
    resolver.timeout = 0.3
    resolver.retry_servfail = False

    def resolve(name: str, rdtype: str = "A") -> Callable[[], Any]:
        return lambda: resolver.resolve(name, rdtype, tcp=False)

    family.add(
        "nxdomain", resolve("nxdomain.warehouse.internal."), C, "NXDOMAIN: the host name does not exist"
    )
    family.add(
        "no-answer", resolve("empty.warehouse.internal.", "AAAA"), C, "the name has no record of that type"
    )
    family.add("servfail", resolve("servfail.warehouse.internal."), T, "SERVFAIL: the resolver failed")
    family.add("refused", resolve("refused.warehouse.internal."), {T, C}, "REFUSED by the only name server")
    family.add("timeout", resolve("silent.warehouse.internal."), T, "no answer before the lifetime")
    family.add("garbage", resolve("garbage.warehouse.internal."), {T, S}, "an unparsable reply")

    query = dns.message.make_query("mismatch.warehouse.internal.", "A")
    family.add(
        "id-mismatch",
        lambda: dns.query.udp(query, "127.0.0.1", port=server.port, timeout=0.3),
        T,
        "the reply's id does not match: a spoofed or stray packet",
    )
    family.add(
        "short-header",
        lambda: dns.message.from_wire(b"\x12\x34\x81"),
        {T, S, D},
        "a reply shorter than a DNS header",
    )
    family.add(
        "tcp-refused",
        lambda: dns.query.tcp(query, "127.0.0.1", port=free_port(), timeout=1),
        T,
        "no DNS server listens on TCP",
    )
    family.add(
        "label-too-long", lambda: dns.name.from_text("x" * 64 + ".example."), {C, D}, "a label over 63"
    )
    family.add("empty-label", lambda: dns.name.from_text("db..example."), {C, D}, "an empty label in a name")
    family.add("rdtype", lambda: resolver.resolve("db.example.", "AAAAX"), C, "an unknown record type")
    empty = tmp / "resolv.conf"
    empty.write_text("# no nameserver lines\n")
    family.add(
        "no-nameservers-conf",
        lambda: dns.resolver.Resolver(filename=str(empty)),
        C,
        "resolv.conf lists no name server",
    )
    family.add(
        "missing-conf",
        lambda: dns.resolver.Resolver(filename=str(tmp / "no-resolv.conf")),
        C,
        "the resolver configuration file does not exist",
    )
