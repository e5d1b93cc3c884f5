"""
Queues and caches through the clients Celery and pipelines use beside the ``redis`` and ``amqp``
families: kombu on its Redis transport, Celery results and publishing, redis-py errors raised before
or around a command (bad values, URLs, database index, Lua scripts, locks, sentinels), pika
publishing with confirms to a missing exchange and a missing queue.
"""

from __future__ import annotations

import os
from typing import Any

import kombu
import redis
import redis.sentinel
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.corpus.model import C, D, Family, ServiceMissing, T, U
from tests.corpus.servers import free_port

REDIS_PORT = int(os.environ.get("ERRORGUARD_TEST_REDIS_PORT", "6379"))
REDIS = f"redis://127.0.0.1:{REDIS_PORT}"


def build(family: Family, closing: list[Any]) -> None:  # noqa: PLR0915 (one statement per case)
    shared = redis.Redis.from_url(REDIS + "/0", socket_timeout=5)
    closing.append(shared.close)
    try:
        shared.ping()
    except redis.ConnectionError as exc:
        raise ServiceMissing(f"Redis at {REDIS}", exc) from exc
    key = "errorguard-corpus13:" + os.urandom(4).hex()
    closing.append(lambda: shared.delete(key, key + ":n"))
    shared.set(key + ":n", "x")
    closed = free_port()
    # -- redis-py before and around a command ------------------------------------------------------
    family.add(
        "redis-data-error", lambda: shared.set(key, {"a": 1}), D, "DataError: a dict is not a Redis value"
    )
    family.add(
        "redis-bad-url", lambda: redis.Redis.from_url("htp://127.0.0.1:6379"), C, "a URL with a bad scheme"
    )
    family.add(
        "redis-db-out-of-range",
        lambda: redis.Redis.from_url(REDIS + "/99").ping(),
        C,
        "ERR DB index is out of range: the URL names a database that does not exist",
    )
    family.add(
        "redis-lua-runtime",
        lambda: shared.eval("return redis.call('INCR', KEYS[1])", 1, key + ":n"),
        {D, C},
        "the script failed on the stored value (not an integer)",
    )
    family.add(
        "redis-lua-syntax", lambda: shared.eval("return (", 0), C, "a Lua syntax error in the script (code)"
    )

    def lock_released_twice() -> None:
        lock = shared.lock(key + ":lock", timeout=5)
        lock.acquire()
        lock.release()
        lock.release()

    family.add(
        "redis-lock-release", lock_released_twice, {C, U}, "LockError: releasing an unlocked lock (a defect)"
    )

    def sentinel_down() -> None:
        sentinel = redis.sentinel.Sentinel(
            [("127.0.0.1", closed)], socket_timeout=0.5, sentinel_kwargs={"retry": Retry(NoBackoff(), 0)}
        )
        sentinel.master_for("mymaster").ping()

    family.add(
        "redis-sentinel-down",
        sentinel_down,
        {T, C},
        "MasterNotFoundError: no sentinel answers (down, or the sentinel address is wrong)",
    )
    family.add(
        "redis-blocking-timeout",
        lambda: redis.Redis(port=REDIS_PORT, socket_timeout=0.1, retry=Retry(NoBackoff(), 0)).blpop(
            [key + ":empty"], timeout=1
        ),
        T,
        "socket timeout while a blocking pop waits",
    )

    # -- kombu on Redis ------------------------------------------------------------------------
    def kombu_publish(url: str) -> Any:
        def go() -> None:
            with kombu.Connection(url, connect_timeout=1, transport_options={"max_retries": 0}) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
                conn.SimpleQueue("corpus13").put({"x": 1})

        return go

    family.add(
        "kombu-redis-refused",
        kombu_publish(f"redis://127.0.0.1:{closed}/0"),
        T,
        "the broker refuses connections",
    )
    family.add(
        "kombu-unknown-transport", kombu_publish("rabbit-mq://127.0.0.1/"), C, "no such transport: a URL typo"
    )

    def kombu_get_empty() -> None:
        with kombu.Connection(REDIS + "/0") as conn:
            queue = conn.SimpleQueue("corpus13-empty-" + os.urandom(3).hex())
            try:
                queue.get(timeout=0.1)
            finally:
                queue.close()

    family.add(
        "kombu-queue-empty", kombu_get_empty, {T, U}, "queue.Empty: nothing arrived within the timeout"
    )
    # -- Celery --------------------------------------------------------------------------------
    from celery import Celery

    app = Celery("corpus13", broker=REDIS + "/0", backend=REDIS + "/0")
    app.conf.broker_connection_retry_on_startup = False
    app.conf.broker_connection_max_retries = 0

    family.add(
        "celery-result-timeout",
        lambda: app.AsyncResult("corpus13-" + os.urandom(4).hex()).get(timeout=0.2),
        T,
        "celery TimeoutError: no worker answered in time",
    )
    down = Celery("corpus13-down", broker=f"redis://127.0.0.1:{closed}/0")
    down.conf.broker_connection_max_retries = 0
    down.conf.broker_transport_options = {"max_retries": 0}
    family.add(
        "celery-send-broker-down",
        lambda: down.send_task("etl.load", args=[1], retry=False),
        T,
        "publishing with the broker down",
    )
    family.add(
        "celery-not-registered",
        lambda: app.tasks["etl.no_such_task"],
        C,
        "NotRegistered: the task name is not known to this app",
    )
