"""Airflow's Redis provider as tasks use it, raised live: ``RedisHook`` (and its client) and
``RedisPublishOperator`` against the Redis on 127.0.0.1:6379 and a private password-protected
``redis-server``; connections from ``AIRFLOW_CONN_<ID>``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import redis
from airflow.providers.redis.hooks.redis import RedisHook
from airflow.providers.redis.operators.redis_publish import RedisPublishOperator

from tests.corpus.fam_providers import _connections
from tests.corpus.fam_redis import SHARED_PORT
from tests.corpus.model import C, D, Family, ServiceMissing, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import RedisServer, free_port


def build(family: Family, closing: list[Any]) -> None:
    logging.getLogger("airflow").setLevel(logging.CRITICAL)
    try:
        redis.Redis(port=SHARED_PORT, socket_timeout=2).ping()
    except redis.RedisError as exc:
        raise ServiceMissing("Redis", exc) from exc
    secured = serve(closing, RedisServer("--requirepass", "s3cret"))
    _connections(
        closing,
        eg_corpus_redis=json.dumps({"conn_type": "redis", "host": "127.0.0.1", "port": SHARED_PORT}),
        eg_corpus_redis_db=json.dumps(
            {"conn_type": "redis", "host": "127.0.0.1", "port": SHARED_PORT, "extra": {"db": 999}}
        ),
        eg_corpus_redis_auth=json.dumps(
            {"conn_type": "redis", "host": "127.0.0.1", "port": secured.port, "password": "wrong"}
        ),
        eg_corpus_redis_noauth=json.dumps({"conn_type": "redis", "host": "127.0.0.1", "port": secured.port}),
        eg_corpus_redis_down=json.dumps({"conn_type": "redis", "host": "127.0.0.1", "port": free_port()}),
        eg_corpus_redis_nohost=json.dumps(
            {"conn_type": "redis", "host": "no-such-host.errorguard.invalid", "port": SHARED_PORT}
        ),
        eg_corpus_redis_noport=json.dumps({"conn_type": "redis", "host": "127.0.0.1"}),
        eg_corpus_redis_cluster=json.dumps(
            {
                "conn_type": "redis",
                "host": "127.0.0.1",
                "port": SHARED_PORT,
                "extra": {"cluster": True, "db": 3},
            }
        ),
        eg_corpus_redis_user=json.dumps(
            {
                "conn_type": "redis",
                "host": "127.0.0.1",
                "port": SHARED_PORT,
                "login": "nobody",
                "password": "x",
            }
        ),
    )
    key = "errorguard:corpus:provredis:list"
    setup = redis.Redis(port=SHARED_PORT)
    setup.delete(key)
    setup.rpush(key, "a")
    closing.append(lambda: setup.delete(key))

    def call(conn: str, fn: Callable[[Any], Any] = lambda r: r.ping()) -> Callable[[], Any]:
        return lambda: fn(RedisHook(redis_conn_id=conn).get_conn())

    def publish(conn: str) -> Callable[[], Any]:
        task = RedisPublishOperator(task_id="notify", channel="events", message="hi", redis_conn_id=conn)
        return lambda: task.execute({})

    for name, run, accept, why in (
        ("hook-bad-db", call("eg_corpus_redis_db"), C, "extra db=999: 'DB index is out of range'"),
        ("hook-wrong-password", call("eg_corpus_redis_auth"), C, "the connection's password is wrong"),
        ("hook-no-password", call("eg_corpus_redis_noauth"), C, "the server requires a password: NOAUTH"),
        (
            "hook-unknown-user",
            call("eg_corpus_redis_user"),
            C,
            "login/password that the server does not know",
        ),
        ("hook-refused", call("eg_corpus_redis_down"), T, "nothing listens on the connection's port"),
        ("hook-unknown-host", call("eg_corpus_redis_nohost"), C, "the connection's host does not resolve"),
        (
            "hook-no-port",
            call("eg_corpus_redis_noport"),
            C,
            "a connection without a port: redis-py's TypeError",
        ),
        (
            "hook-cluster-db",
            call("eg_corpus_redis_cluster"),
            C,
            "extra cluster=true with db 3: the hook refuses",
        ),
        ("hook-no-conn-id", call("eg_corpus_redis_missing"), C, "AirflowNotFoundException: no such conn_id"),
        (
            "hook-wrongtype",
            call("eg_corpus_redis", lambda r: r.get(key)),
            {C, D},
            "WRONGTYPE: the key holds a list, the task reads a string",
        ),
        (
            "hook-bad-command",
            call("eg_corpus_redis", lambda r: r.execute_command("NOSUCHCOMMAND", "x")),
            C,
            "an unknown command: the task's code (or an older server)",
        ),
        (
            "hook-incr-text",
            call("eg_corpus_redis", lambda r: r.incr(key + ":text") if r.set(key + ":text", "abc") else None),
            D,
            "INCR on a value that is not an integer",
        ),
        ("publish-refused", publish("eg_corpus_redis_down"), T, "RedisPublishOperator: nothing listens"),
        ("publish-auth", publish("eg_corpus_redis_auth"), C, "RedisPublishOperator: wrong password"),
    ):
        family.add(name, run, accept, why)
