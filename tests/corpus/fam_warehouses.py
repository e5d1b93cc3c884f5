"""Data-platform and warehouse clients never tested before: redshift_connector against the real
PostgreSQL (it speaks the PostgreSQL wire protocol; a loopback proxy drops the Redshift-only start-up
parameters a plain PostgreSQL refuses), snowflake-connector-python against a scripted Snowflake REST
server (its real login and query error bodies), clickhouse-driver over the native TCP protocol (a
scripted server answering the handshake with ClickHouse's Exception packet), databricks-sql-connector
against a scripted TLS server, cassandra-driver, vertica-python, and the ``hdfs`` WebHDFS client
against WebHDFS ``RemoteException`` bodies. Wave 22 (issue 13), measured before any knowledge
change."""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import socketserver
import struct
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clickhouse_driver
import hdfs
import redshift_connector
import snowflake.connector
import vertica_python
from cassandra.cluster import Cluster
from databricks import sql as databricks_sql

from tests.corpus.fam_postgres import admin_connection
from tests.corpus.model import C, D, Family, S, ServiceMissing, T
from tests.corpus.rawservers import SilentPort, TCPPeer, serve
from tests.corpus.servers import Certificates, Reply, ScriptedHTTP, free_port

NEEDS_TMP = True

_JSON = {"Content-Type": "application/json"}
#: The machine's MariaDB: a live service that is not Cassandra.
_MARIADB_PORT = 3306


# -- redshift_connector against the real PostgreSQL ------------------------------------------------


class StartupProxy(TCPPeer):
    """Forwards to PostgreSQL, keeping only the start-up parameters PostgreSQL knows (``user``,
    ``database``, ``application_name``) and reporting ``server_version`` without the distribution's
    suffix (redshift_connector parses it as a bare version): every other byte is PostgreSQL's own."""

    KEEP = (b"user", b"database", b"application_name")

    def __init__(self, port: int) -> None:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                client = self.request
                try:
                    length = struct.unpack("!i", _read(client, 4))[0]
                    body = _read(client, length - 4)
                    upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
                except OSError:
                    return
                upstream.settimeout(None)
                upstream.sendall(owner.rewrite(body))
                threading.Thread(target=_pipe_messages, args=(upstream, client), daemon=True).start()
                _pipe(client, upstream)

        super().__init__(Handler)

    def rewrite(self, body: bytes) -> bytes:
        version, fields = body[:4], body[4:].split(b"\x00")
        pairs = [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2) if fields[i]]
        kept = b"".join(k + b"\x00" + v + b"\x00" for k, v in pairs if k in self.KEEP) + b"\x00"
        return struct.pack("!i", len(kept) + 8) + version + kept


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def _pipe_messages(source: socket.socket, target: socket.socket) -> None:
    """Copies PostgreSQL's messages, trimming ``server_version`` (``15.20 (Debian ...)`` -> ``15.20``)."""
    try:
        while True:
            head = _read(source, 5)
            body = _read(source, struct.unpack("!i", head[1:])[0] - 4)
            if head[:1] == b"S" and body.startswith(b"server_version\x00"):
                value = body.split(b"\x00")[1].split(b" ")[0]
                body = b"server_version\x00" + value + b"\x00"
                head = b"S" + struct.pack("!i", len(body) + 4)
            target.sendall(head + body)
    except OSError:
        pass
    finally:
        _close(source, target)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        _close(source, target)


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _redshift(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    closing.append(admin.close)
    suffix = secrets.token_hex(4)
    dbname, role = f"errorguard_rs_{suffix}", f"errorguard_rs_{suffix}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE ROLE "{role}" LOGIN')
        cur.execute(f'CREATE DATABASE "{dbname}" OWNER "{role}"')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            cur.execute(f'DROP ROLE IF EXISTS "{role}"')

    closing.append(drop)
    proxy = serve(closing, StartupProxy(server["port"]))

    def connect(port: int = proxy.port, **options: Any) -> Any:
        keywords: dict[str, Any] = {"host": "127.0.0.1", "user": role, "password": "corpus"}
        keywords.update(database=dbname, ssl=False, timeout=5)
        keywords.update(options)
        return redshift_connector.connect(port=port, **keywords)

    rs = "redshift_connector"
    family.add(
        "redshift-not-redshift",
        lambda: connect(port=server["port"]),
        C,
        f"{rs}: the host is a plain PostgreSQL, which refuses Redshift's start-up parameters (42704)",
    )
    family.add("redshift-no-database", lambda: connect(database=f"nodb_{suffix}"), C, f"{rs}: 3D000")
    family.add("redshift-no-role", lambda: connect(user=f"norole_{suffix}"), C, f"{rs}: 28000 no such user")
    family.add(
        "redshift-ssl-refused",
        lambda: connect(port=server["port"], ssl=True),
        C,
        f"{rs}: ssl=True (the default) against a server without TLS",
    )
    family.add("redshift-refused", lambda: connect(port=free_port()), T, f"{rs}: nothing listens")
    _redshift_statements(family, closing, connect, port=server["port"], role=role, dbname=dbname)


def _redshift_statements(
    family: Family, closing: list[Any], connect: Callable[..., Any], *, port: int, role: str, dbname: str
) -> None:
    """Statement errors over one session, PostgreSQL's own SQLSTATEs through redshift_connector."""
    conn = connect()
    closing.append(conn.close)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL)")
    cur.execute("INSERT INTO orders VALUES (1, 2)")

    def run(sql: str) -> Callable[[], Any]:
        return lambda: cur.execute(sql)

    def locked() -> None:
        import psycopg2

        holder = psycopg2.connect(host="127.0.0.1", port=port, user=role, dbname=dbname)
        try:
            with holder.cursor() as hold:
                hold.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
                cur.execute("SET lock_timeout = '100ms'")
                try:
                    cur.execute("SELECT * FROM orders")
                finally:
                    cur.execute("SET lock_timeout = 0")
        finally:
            holder.close()

    def statement_timeout() -> None:
        cur.execute("SET statement_timeout = '50ms'")
        try:
            cur.execute("SELECT pg_sleep(1)")
        finally:
            cur.execute("SET statement_timeout = 0")

    rs = "redshift_connector"
    for name, sql, accept, why in (
        ("no-table", "SELECT * FROM shipments", C, "42P01 the table does not exist"),
        ("syntax", "SELEC id FROM orders", C, "42601 syntax error"),
        ("unique", "INSERT INTO orders VALUES (1, 3)", D, "23505 a duplicate key in the rows"),
        ("division", "SELECT qty / 0 FROM orders", D, "22012 division by zero in the data"),
    ):
        family.add(f"redshift-{name}", run(sql), accept, f"{rs}: {why}")
    family.add("redshift-lock-timeout", locked, T, f"{rs}: 55P03 lock_timeout behind another session")
    family.add("redshift-statement-timeout", statement_timeout, T, f"{rs}: 57014 statement_timeout")


# -- snowflake-connector-python against a scripted Snowflake -----------------------------------------


class SnowflakeServer(ScriptedHTTP):
    """Answers the login with :attr:`login` and a query with :attr:`next`; anything else (telemetry,
    heartbeat, logout) with a plain success."""

    def __init__(self) -> None:
        super().__init__()
        self.login = _snowflake_ok_login()
        owner = self
        handler = self.server.RequestHandlerClass
        answer = handler._answer  # type: ignore[attr-defined]

        def routed(request: Any) -> None:
            if request.path.startswith("/session/v1/login-request"):
                saved, owner.next = owner.next, owner.login
                try:
                    answer(request)
                finally:
                    owner.next = saved
            elif request.path.startswith("/queries/v1/query-request"):
                answer(request)
            else:
                saved, owner.next = owner.next, Reply(200, {"success": True, "data": None})
                try:
                    answer(request)
                finally:
                    owner.next = saved

        for verb in ("do_GET", "do_POST", "do_DELETE"):
            setattr(handler, verb, routed)


def _snowflake_ok_login() -> Reply:
    data = {
        "token": "corpus-token",
        "masterToken": "corpus-master",
        "validityInSeconds": 3600,
        "masterValidityInSeconds": 14400,
        "sessionId": 1,
        "parameters": [],
        "sessionInfo": {"databaseName": "SALES", "schemaName": "PUBLIC", "warehouseName": "ETL"},
    }
    return Reply(200, {"data": data, "code": None, "message": None, "success": True}, _JSON)


def _snowflake_failure(code: str, message: str) -> Reply:
    body = {"data": {"nextAction": None}, "code": code, "message": message, "success": False}
    return Reply(200, body, _JSON)


def _snowflake_query_error(code: str, sqlstate: str, message: str) -> Reply:
    data = {"internalError": False, "errorCode": code, "sqlState": sqlstate, "queryId": "01b2-corpus"}
    return Reply(200, {"data": data, "code": code, "message": message, "success": False}, _JSON)


def _snowflake(family: Family, closing: list[Any]) -> None:
    server = serve(closing, SnowflakeServer())

    def connect(port: int = server.port) -> Any:
        return snowflake.connector.connect(
            account="corpus",
            user="etl",
            password="corpus",
            host="127.0.0.1",
            port=port,
            protocol="http",
            login_timeout=2,
            network_timeout=2,
            ocsp_fail_open=True,
            enable_server_session_keep_alive_auto_detection=False,
        )

    def login(reply: Reply) -> Callable[[], Any]:
        def run() -> None:
            server.login = reply
            try:
                connect()
            finally:
                server.login = _snowflake_ok_login()

        return run

    sf = "Snowflake"
    for name, reply, accept, why in (
        (
            "bad-password",
            _snowflake_failure("390100", "Incorrect username or password was specified."),
            C,
            "390100 wrong user or password",
        ),
        (
            "oauth-expired",
            _snowflake_failure("390318", "OAuth access token expired. [1172527951366]"),
            C,
            "390318 the configured OAuth token expired: a new one is needed",
        ),
        (
            "user-locked",
            _snowflake_failure("390102", "User temporarily locked. Contact your local system administrator."),
            C,
            "390102 the user is locked out",
        ),
        ("login-403", Reply(403, b"Forbidden"), C, "HTTP 403 on login (a network policy refuses the client)"),
        ("login-404", Reply(404, b"Not Found"), C, "HTTP 404 on login (a wrong account URL)"),
        ("login-503", Reply(503, b"Service Unavailable"), T, "HTTP 503 until the login timeout"),
    ):
        family.add(f"snowflake-{name}", login(reply), accept, f"{sf}: {why}")
    family.add("snowflake-refused", lambda: connect(free_port()), T, f"{sf}: nothing listens")
    silent = serve(closing, SilentPort())
    family.add("snowflake-silent", lambda: connect(silent.port), T, f"{sf}: the server never answers")

    conn = connect()
    closing.append(conn.close)
    cursor = conn.cursor()

    def query(reply: Reply) -> Callable[[], Any]:
        def run() -> None:
            server.next = reply
            cursor.execute("SELECT customer_id, sum(qty) FROM orders GROUP BY 1")

        return run

    for name, reply, accept, why in (
        (
            "no-object",
            _snowflake_query_error(
                "002003", "42S02", "SQL compilation error:\nObject 'ORDERS' does not exist or not authorized."
            ),
            C,
            "002003 the table does not exist (or no grant)",
        ),
        (
            "syntax",
            _snowflake_query_error(
                "001003",
                "42000",
                "SQL compilation error:\nsyntax error line 1 at position 0 unexpected 'SELEC'.",
            ),
            C,
            "001003 a syntax error",
        ),
        (
            "numeric",
            _snowflake_query_error("100038", "22018", "Numeric value 'abc' is not recognized"),
            D,
            "100038 a value in the rows does not convert",
        ),
        (
            "timeout",
            _snowflake_query_error(
                "000630", "57014", "Statement reached its statement or warehouse timeout of 60 second(s)"
            ),
            T,
            "000630 the statement timeout (a busy warehouse)",
        ),
        (
            "warehouse-suspended",
            _snowflake_query_error("000606", "57P03", "No active warehouse selected in the current session."),
            C,
            "000606 no usable warehouse configured for the session",
        ),
    ):
        family.add(f"snowflake-query-{name}", query(reply), accept, f"{sf}: {why}")


# -- clickhouse-driver over the native protocol ------------------------------------------------------


def _varint(number: int) -> bytes:
    out = b""
    while True:
        byte = number & 0x7F
        number >>= 7
        out += bytes([byte | (0x80 if number else 0)])
        if not number:
            return out


def _string(text: str) -> bytes:
    raw = text.encode()
    return _varint(len(raw)) + raw


def _native_exception(code: int, name: str, message: str) -> bytes:
    """ClickHouse's native Exception packet (packet type 2): code, name, message, stack, no nested."""
    text = f"DB::Exception: {message}. ({name}) (version 24.8.4.13 (official build))"
    return (
        _varint(2)
        + struct.pack("<i", code)
        + _string("DB::Exception")
        + _string(text)
        + _string("")
        + b"\x00"
    )


class NativeServer(TCPPeer):
    """Reads the client's Hello and answers with :attr:`payload` (an Exception packet), then hangs up."""

    def __init__(self) -> None:
        owner = self
        self.payload = b""

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(2)
                try:
                    self.request.recv(4096)
                    self.request.sendall(owner.payload)
                except OSError:
                    pass

        super().__init__(Handler)


def _clickhouse_native(family: Family, closing: list[Any], http: ScriptedHTTP) -> None:
    native = serve(closing, NativeServer())
    silent = serve(closing, SilentPort())

    def query(port: int) -> Callable[[], Any]:
        def run() -> None:
            client = clickhouse_driver.Client(
                "127.0.0.1",
                port=port,
                user="etl",
                connect_timeout=1,
                send_receive_timeout=1,
                sync_request_timeout=1,
            )
            client.execute("SELECT customer_id, sum(qty) FROM orders GROUP BY customer_id")

        return run

    def answering(payload: bytes) -> Callable[[], Any]:
        def run() -> None:
            native.payload = payload
            query(native.port)()

        return run

    ch = "clickhouse-driver"
    for name, code, kind, message, accept, why in (
        ("auth", 516, "AUTHENTICATION_FAILED", "etl: Authentication failed", C, "516 wrong password"),
        ("no-database", 81, "UNKNOWN_DATABASE", "Database sales does not exist", C, "81 no such database"),
        ("password-required", 194, "REQUIRED_PASSWORD", "etl: password required", C, "194 no password set"),
        ("memory", 241, "MEMORY_LIMIT_EXCEEDED", "Memory limit (total) exceeded", {T, S}, "241 memory"),
        ("too-many", 202, "TOO_MANY_SIMULTANEOUS_QUERIES", "Too many simultaneous queries", T, "202 busy"),
        ("parse", 27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "Cannot parse input", D, "27 a bad row"),
    ):
        family.add(
            f"clickhouse-native-{name}",
            answering(_native_exception(code, kind, message)),
            accept,
            f"{ch}: {why}",
        )
    family.add("clickhouse-native-refused", query(free_port()), T, f"{ch}: nothing listens")
    family.add("clickhouse-native-silent", query(silent.port), T, f"{ch}: the server never answers")
    family.add(
        "clickhouse-native-http-port",
        query(http.port),
        C,
        f"{ch}: the HTTP port (8123) configured where the native port (9000) belongs",
    )


# -- databricks-sql-connector against a scripted TLS server --------------------------------------------


def _databricks(family: Family, closing: list[Any], tmp: Path) -> None:
    (tmp / "warehouses-tls").mkdir()
    certificates = Certificates(tmp / "warehouses-tls")
    tls = serve(closing, ScriptedHTTP(certificates.server_context(certificates.good)))

    def connect(port: int = tls.port) -> Callable[[], Any]:
        def run() -> None:
            databricks_sql.connect(
                server_hostname="127.0.0.1",
                port=port,
                http_path="/sql/1.0/warehouses/corpus",
                access_token="dapi-corpus",
                _tls_no_verify=True,
                _retry_stop_after_attempts_count=1,
                _retry_stop_after_attempts_duration=2,
                _socket_timeout=2,
                enable_telemetry=False,
            )

        return run

    def answering(reply: Reply) -> Callable[[], Any]:
        def run() -> None:
            tls.next = reply
            connect()()

        return run

    db = "databricks-sql-connector"
    for name, reply, accept, why in (
        ("401", Reply(401, b"Invalid access token."), C, "401 the token is wrong"),
        ("403", Reply(403, b"Forbidden"), C, "403 the token lacks access to the warehouse"),
        ("404", Reply(404, b"Not Found"), C, "404 a wrong http_path"),
        ("429", Reply(429, b"Too Many Requests", {"Retry-After": "1"}), T, "429 with Retry-After"),
        ("503", Reply(503, b"warehouse is starting", {"Retry-After": "1"}), T, "503 the warehouse starts"),
    ):
        family.add(f"databricks-{name}", answering(reply), accept, f"{db}: {why}")
    family.add("databricks-refused", connect(free_port()), T, f"{db}: nothing listens")


# -- cassandra-driver, vertica-python ----------------------------------------------------------------


def _cassandra_vertica(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    admin.close()
    try:
        socket.create_connection(("127.0.0.1", _MARIADB_PORT), timeout=3).close()
    except OSError as exc:
        raise ServiceMissing(f"MariaDB at 127.0.0.1:{_MARIADB_PORT}", exc) from exc

    def cassandra(port: int) -> Callable[[], Any]:
        def run() -> None:
            cluster = Cluster(["127.0.0.1"], port=port, connect_timeout=1, protocol_version=4)
            try:
                cluster.connect()
            finally:
                cluster.shutdown()

        return run

    family.add("cassandra-refused", cassandra(free_port()), T, "cassandra-driver: nothing listens")
    family.add(
        "cassandra-wrong-service",
        cassandra(_MARIADB_PORT),
        C,
        "cassandra-driver: the port is another service's (MariaDB greets first with its own protocol)",
    )

    def vertica(port: int) -> Callable[[], Any]:
        def run() -> None:
            vertica_python.connect(
                host="127.0.0.1", port=port, user="etl", database="sales", connection_timeout=1
            )

        return run

    family.add("vertica-refused", vertica(free_port()), T, "vertica-python: nothing listens")
    family.add(
        "vertica-wrong-service",
        vertica(server["port"]),
        C,
        "vertica-python: the port is a PostgreSQL, which refuses Vertica's protocol version",
    )


# -- hdfs (WebHDFS) ----------------------------------------------------------------------------------


def _remote(status: int, java_class: str, message: str) -> Reply:
    name = java_class.rsplit(".", 1)[-1]
    body = {"RemoteException": {"exception": name, "javaClassName": java_class, "message": message}}
    return Reply(status, body, _JSON)


def _hdfs(family: Family, http: ScriptedHTTP) -> None:
    client = hdfs.InsecureClient(http.url(""), user="etl", timeout=2)

    def answering(reply: Reply, call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> None:
            http.next = reply
            call()

        return run

    status = lambda: client.status("/data/orders/2026-12-01.parquet")  # noqa: E731
    write = lambda: client.write("/data/orders/2026-12-01.parquet", data=b"rows")  # noqa: E731
    for name, reply, call, accept, why in (
        (
            "not-found",
            _remote(
                404, "java.io.FileNotFoundException", "File does not exist: /data/orders/2026-12-01.parquet"
            ),
            status,
            {C, D},
            "the input file is missing",
        ),
        (
            "denied",
            _remote(
                403,
                "org.apache.hadoop.security.AccessControlException",
                'Permission denied: user=etl, access=WRITE, inode="/data/orders":hdfs:hdfs:drwxr-xr-x',
            ),
            write,
            C,
            "the user lacks the permission",
        ),
        (
            "exists",
            _remote(
                403,
                "org.apache.hadoop.fs.FileAlreadyExistsException",
                "/data/orders/2026-12-01.parquet for client 127.0.0.1 already exists",
            ),
            write,
            {C, D},
            "the target file exists and overwrite is off",
        ),
        (
            "safe-mode",
            _remote(
                403,
                "org.apache.hadoop.hdfs.server.namenode.SafeModeException",
                "Cannot create file /data/orders. Name node is in safe mode.",
            ),
            write,
            T,
            "the NameNode is in safe mode (starting up)",
        ),
        (
            "standby",
            _remote(
                403,
                "org.apache.hadoop.ipc.StandbyException",
                "Operation category READ is not supported in state standby",
            ),
            status,
            T,
            "the NameNode answering is the standby (a failover)",
        ),
        (
            "quota",
            _remote(
                403,
                "org.apache.hadoop.hdfs.protocol.DSQuotaExceededException",
                "The DiskSpace quota of /data is exceeded: quota = 1024 B but diskspace consumed = 2048 B",
            ),
            write,
            {S, C},
            "the directory's space quota is used up",
        ),
    ):
        family.add(f"hdfs-{name}", answering(reply, call), accept, f"hdfs: {why}")
    refused = hdfs.InsecureClient(f"http://127.0.0.1:{free_port()}", user="etl", timeout=2)
    family.add("hdfs-refused", lambda: refused.status("/data"), T, "hdfs: nothing listens")


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    for name in (
        "snowflake",
        "databricks",
        "cassandra",
        "vertica_python",
        "clickhouse_driver",
        "redshift_connector",
    ):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module="snowflake")
    warnings.filterwarnings("ignore", module="vertica_python")
    http = serve(closing, ScriptedHTTP())
    _redshift(family, closing)
    _snowflake(family, closing)
    _clickhouse_native(family, closing, http)
    _databricks(family, closing, tmp)
    _cassandra_vertica(family, closing)
    _hdfs(family, http)
