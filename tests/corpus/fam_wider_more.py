"""A second wave of unseen clients: clickhouse-connect against a server answering ClickHouse's real
error texts and ``X-ClickHouse-Exception-Code`` header, opensearch-py against OpenSearch error
bodies, and asyncssh against an in-process asyncssh server (authentication, host keys, channels)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import asyncssh
import clickhouse_connect
from opensearchpy import OpenSearch

from tests.corpus.fam_wider_http import answering, es_error
from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import FullBacklog, RawServer, serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port


def build(family: Family, closing: list[Any]) -> None:
    logging.getLogger("asyncssh").setLevel(logging.CRITICAL)
    http = serve(closing, ScriptedHTTP())
    _clickhouse_cases(family, http)
    _opensearch_cases(family, http)
    _asyncssh_cases(family, closing)


# -- clickhouse-connect --------------------------------------------------------------------------


def _ch(status: int, code: int, name: str, text: str) -> Reply:
    body = f"Code: {code}. DB::Exception: {text}. ({name}) (version 24.8.4.13 (official build))\n"
    return Reply(status, body, {"X-ClickHouse-Exception-Code": str(code), "Content-Type": "text/plain"})


def _clickhouse_cases(family: Family, http: ScriptedHTTP) -> None:
    def query(port: int) -> Callable[[], Any]:
        def run() -> None:
            client = clickhouse_connect.get_client(
                host="127.0.0.1",
                port=port,
                username="etl",
                connect_timeout=3,
                send_receive_timeout=3,
                query_retries=0,
                autogenerate_session_id=False,
            )
            client.query("SELECT customer_id, sum(qty) FROM orders GROUP BY customer_id")

        return run

    for name, reply, accept, why in (
        ("no-table", _ch(404, 60, "UNKNOWN_TABLE", "Table default.orders does not exist"), C, "60"),
        ("no-column", _ch(404, 47, "UNKNOWN_IDENTIFIER", "Missing columns: 'customer_id'"), C, "47"),
        ("syntax", _ch(400, 62, "SYNTAX_ERROR", "Syntax error: failed at position 1"), C, "62 syntax"),
        ("no-database", _ch(404, 81, "UNKNOWN_DATABASE", "Database sales does not exist"), C, "81"),
        ("auth", _ch(516, 516, "AUTHENTICATION_FAILED", "etl: Authentication failed"), C, "516 auth"),
        ("denied", _ch(403, 497, "ACCESS_DENIED", "etl: Not enough privileges"), C, "497 grants"),
        ("memory", _ch(500, 241, "MEMORY_LIMIT_EXCEEDED", "Memory limit (total) exceeded"), {T, S}, "241"),
        ("too-many", _ch(500, 202, "TOO_MANY_SIMULTANEOUS_QUERIES", "Too many queries"), T, "202"),
        ("timeout", _ch(500, 159, "TIMEOUT_EXCEEDED", "Timeout exceeded: elapsed 30 seconds"), T, "159"),
        ("parts", _ch(500, 252, "TOO_MANY_PARTS", "Too many parts (300). Merges are slower"), T, "252"),
        ("parse", _ch(400, 27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "Cannot parse input"), D, "27 bad row"),
        ("datetime", _ch(400, 41, "CANNOT_PARSE_DATETIME", "Cannot parse datetime"), D, "41 bad value"),
        ("type", _ch(400, 53, "TYPE_MISMATCH", "Type mismatch in IN or VALUES section"), {D, C}, "53"),
        ("readonly", _ch(500, 242, "TABLE_IS_READ_ONLY", "Table is in readonly mode"), {T, S}, "242 keeper"),
        ("keeper", _ch(500, 999, "KEEPER_EXCEPTION", "Coordination::Exception: Connection loss"), T, "999"),
    ):
        family.add(
            f"clickhouse-{name}", answering(http, reply, query(http.port)), accept, f"ClickHouse {why}"
        )
    family.add("clickhouse-refused", query(free_port()), T, "ClickHouse: connection refused")


# -- opensearch-py -------------------------------------------------------------------------------


def _os(status: int, kind: str, reason: str) -> Reply:
    return es_error(status, kind, reason, headers=None)


def _opensearch_cases(family: Family, http: ScriptedHTTP) -> None:
    client = OpenSearch([http.url("")], max_retries=0, retry_on_timeout=False, timeout=5)
    search = lambda: client.search(index="orders", body={"query": {"match_all": {}}})  # noqa: E731
    for name, reply, accept, why in (
        ("index-missing", _os(404, "index_not_found_exception", "no such index [orders]"), C, "no index"),
        (
            "rejected",
            _os(429, "rejected_execution_exception", "rejected execution of coordinating"),
            T,
            "429",
        ),
        ("mapping", _os(400, "mapper_parsing_exception", "failed to parse field [qty]"), D, "a bad document"),
        (
            "forbidden",
            _os(403, "security_exception", "no permissions for [indices:data/read/search]"),
            C,
            "403",
        ),
        ("query", _os(400, "parsing_exception", "unknown query [mtch]"), {C, D}, "400 malformed query"),
    ):
        family.add(f"opensearch-{name}", answering(http, reply, search), accept, f"opensearch-py: {why}")
    refused = OpenSearch([f"http://127.0.0.1:{free_port()}"], max_retries=0, timeout=3)
    family.add("opensearch-refused", refused.info, T, "opensearch-py: connection refused")


# -- asyncssh ------------------------------------------------------------------------------------


class _Server(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == "etl" and password == "secret"

    def session_requested(self) -> bool:
        return False


class AsyncSSHServer:
    """An asyncssh server on its own event loop thread: password auth for ``etl``, no sessions."""

    def __init__(self) -> None:
        self.key = asyncssh.generate_private_key("ssh-ed25519")
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def start() -> Any:
            return await asyncssh.create_server(_Server, "127.0.0.1", 0, server_host_keys=[self.key])

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = int(self.server.sockets[0].getsockname()[1])

    def close(self) -> None:
        self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)


def _asyncssh_cases(family: Family, closing: list[Any]) -> None:
    server = serve(closing, AsyncSSHServer())
    other = asyncssh.generate_private_key("ssh-ed25519")
    trusted = asyncssh.import_known_hosts(f"[127.0.0.1]:{server.port} {other.export_public_key().decode()}")
    http = serve(closing, RawServer(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    backlog = serve(closing, FullBacklog())

    def ssh(port: int, password: str = "secret", known: Any = None, command: str | None = None) -> Any:
        async def go() -> None:
            async with asyncssh.connect(
                "127.0.0.1",
                port,
                username="etl",
                password=password,
                known_hosts=known,
                connect_timeout=3,
                login_timeout=3,
                client_keys=None,
                agent_path=None,
            ) as conn:
                if command is not None:
                    await conn.run(command, check=True)

        return lambda: asyncio.run(go())

    for name, run, accept, why in (
        ("auth-failed", ssh(server.port, password="wrong"), C, "PermissionDenied: wrong password"),
        ("host-key", ssh(server.port, known=trusted), C, "HostKeyNotVerifiable: the host key changed"),
        ("refused", ssh(free_port()), T, "nothing listens (sshd down)"),
        ("not-ssh", ssh(http.port), {T, C}, "the port speaks HTTP, not SSH"),
        ("connect-timeout", ssh(backlog.port), T, "the TCP connect timed out"),
        ("session-refused", ssh(server.port, command="ls"), C, "ChannelOpenError: sessions prohibited"),
    ):
        family.add(f"asyncssh-{name}", run, accept, f"asyncssh: {why}")
