"""
Redis: redis-py against the Redis on 127.0.0.1:6379, private ``redis-server`` processes (password,
ACL, a replica, a stale replica, a memory limit, a busy script) and a scripted RESP server for the
cluster and loading replies a single server cannot produce on demand.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from typing import Any

import redis
import redis.cluster
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.corpus.model import C, D, Family, S, ServiceMissing, T
from tests.corpus.servers import RedisServer, ScriptedRESP, free_port

SHARED_PORT = int(os.environ.get("ERRORGUARD_TEST_REDIS_PORT", "6379"))


def client(port: int, **kwargs: Any) -> redis.Redis:
    kwargs.setdefault("socket_timeout", 5)
    return redis.Redis("127.0.0.1", port, retry=Retry(NoBackoff(), 0), **kwargs)


def build(family: Family, closing: list[Any]) -> None:
    shared = client(SHARED_PORT)
    try:
        shared.ping()
    except redis.RedisError as exc:
        raise ServiceMissing(f"Redis at 127.0.0.1:{SHARED_PORT}", exc) from exc
    closing.append(shared.close)
    key = f"errorguard-corpus-{secrets.token_hex(4)}"
    shared.rpush(key, "x")
    closing.append(lambda: shared.delete(key))

    family.add("refused", lambda: client(free_port()).ping(), T, "connection refused: Redis down")
    family.add(
        "unknown-host",
        lambda: redis.Redis("no-such-host.invalid", SHARED_PORT, socket_timeout=5).ping(),
        C,
        "the host name does not resolve: the connection's host is wrong",
    )
    family.add(
        "read-timeout",
        lambda: client(SHARED_PORT, socket_timeout=0.1).blpop([f"{key}-empty"], timeout=2),
        T,
        "socket read timed out",
    )
    family.add(
        "wrongtype", lambda: shared.get(key), {D, C}, "WRONGTYPE: the key holds another type; not transient"
    )
    family.add(
        "unknown-command",
        lambda: shared.execute_command("NOSUCHCOMMAND", "x"),
        C,
        "unknown command: client and server disagree (version, module)",
    )
    family.add(
        "wrong-arity",
        lambda: shared.execute_command("SET", key),
        C,
        "wrong number of arguments: a code error",
    )
    family.add(
        "not-an-integer",
        lambda: (shared.set(f"{key}-n", "abc"), shared.incr(f"{key}-n")),
        D,
        "INCR on a value that is not an integer: the stored value is bad",
    )
    closing.append(lambda: shared.delete(f"{key}-n"))
    family.add(
        "syntax-error",
        lambda: shared.execute_command("SET", f"{key}-s", "v", "NOSUCHOPTION"),
        {C, D},
        "ERR syntax error: the command is malformed",
    )
    family.add(
        "nogroup",
        lambda: shared.xreadgroup("no-such-group", "worker", {f"{key}-stream": ">"}),
        C,
        "NOGROUP: the stream's consumer group was never created",
    )
    family.add(
        "cluster-client-on-single-node",
        lambda: redis.cluster.RedisCluster(host="127.0.0.1", port=SHARED_PORT, socket_timeout=5),
        C,
        "a cluster client against a server without cluster mode: the setting is wrong",
    )
    family.add(
        "noscript", lambda: shared.evalsha("0" * 40, 0), {C, T}, "NOSCRIPT: the script must be loaded first"
    )

    _secured_server_cases(family, closing)
    replica = RedisServer("--replicaof", "127.0.0.1", str(free_port()))
    closing.append(replica.close)
    family.add(
        "readonly-replica",
        lambda: client(replica.port).set("k", "v"),
        {C, T},
        "READONLY: writing to a replica (wrong endpoint, or a failover in progress)",
    )
    stale = RedisServer("--replicaof", "127.0.0.1", str(free_port()), "--replica-serve-stale-data", "no")
    closing.append(stale.close)
    family.add(
        "masterdown", lambda: client(stale.port).get("k"), T, "MASTERDOWN: the link with the master is down"
    )

    _scripted_cases(family, closing)


def _secured_server_cases(family: Family, closing: list[Any]) -> None:
    """A private server with a password and an ACL user, a busy script, then a memory limit."""
    secured = RedisServer("--requirepass", "s3cret")
    closing.append(secured.close)
    admin = client(secured.port, password="s3cret")
    closing.append(admin.close)
    admin.acl_setuser("reader", enabled=True, passwords=["+readerpw"], keys=["*"], commands=["+get", "+ping"])
    family.add("noauth", lambda: client(secured.port).get("k"), C, "NOAUTH: the connection has no password")
    family.add(
        "wrongpass",
        lambda: client(secured.port, password="wrong").ping(),
        C,
        "WRONGPASS: invalid username-password pair",
    )
    family.add(
        "noperm",
        lambda: client(secured.port, username="reader", password="readerpw").set("k", "v"),
        C,
        "NOPERM: the ACL user may not run this command",
    )

    # BUSY: a script loops past busy-reply-threshold while another client asks.
    admin.config_set("busy-reply-threshold", 50)
    looping = threading.Thread(
        target=lambda: _swallow(lambda: client(secured.port, password="s3cret").eval("while true do end", 0)),
        daemon=True,
    )
    looping.start()

    def while_busy() -> None:
        """GET until the looping script makes the server answer BUSY (it starts asynchronously)."""
        probe = client(secured.port, password="s3cret")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe.get("k")
            time.sleep(0.05)

    family.add("busy-script", while_busy, T, "BUSY: a script is running; retry when it ends")
    _swallow(lambda: client(secured.port, password="s3cret").script_kill())
    looping.join(5)

    # OOM: a memory limit just above what is used.
    used = int(admin.info("memory")["used_memory"])
    admin.config_set("maxmemory", used + 200_000)
    admin.config_set("maxmemory-policy", "noeviction")

    def fill() -> None:
        for i in range(1000):
            admin.set(f"fill-{i}", "x" * 100_000)

    family.add("oom", fill, {S, T}, "OOM: maxmemory reached (noeviction); the server is out of memory")
    admin.flushall()
    admin.config_set("maxmemory", 0)


def _scripted_cases(family: Family, closing: list[Any]) -> None:
    """Replies a single real server cannot give on demand (cluster, loading), from a scripted one."""
    scripted = ScriptedRESP()
    closing.append(scripted.close)
    for name, error, accept, why in (
        ("loading", "LOADING Redis is loading the dataset in memory", T, "LOADING: starting up"),
        ("tryagain", "TRYAGAIN Multiple keys request during rehashing of slot", T, "TRYAGAIN: resharding"),
        ("moved", "MOVED 3999 127.0.0.1:6381", T, "MOVED: the slot moved, a cluster client follows it"),
        ("ask", "ASK 3999 127.0.0.1:6381", T, "ASK: slot migrating"),
        ("clusterdown", "CLUSTERDOWN The cluster is down", T, "CLUSTERDOWN: the cluster is failing over"),
        ("crossslot", "CROSSSLOT Keys in request don't hash to the same slot", C, "CROSSSLOT: code bug"),
        ("max-clients", "ERR max number of clients reached", T, "max clients: retry later"),
        (
            "misconf",
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
            "persist to disk. Commands that may modify the data set are disabled",
            {S, T},
            "MISCONF: disk",
        ),
        ("noreplicas", "NOREPLICAS Not enough good replicas to write.", T, "NOREPLICAS: replicas lag"),
    ):
        scripted.error = error
        family.add(f"scripted-{name}", lambda: client(scripted.port, protocol=2).get("k"), accept, why)


def _swallow(action: Any) -> None:
    with contextlib.suppress(redis.RedisError):
        action()
