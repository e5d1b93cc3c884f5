"""MQTT with paho-mqtt: the Mosquitto broker on 127.0.0.1:1883 (anonymous), a refused port, and a
scripted broker answering CONNECT with each refusal code of MQTT 3.1.1 and 5 (paho raises
``MQTTException`` with the code's reason text); the client's own argument checks."""

from __future__ import annotations

import socket
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt import publish, subscribe

from tests.corpus.brokerservers import ScriptedBroker, mqtt_connack
from tests.corpus.model import C, D, Family, S, ServiceMissing, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import free_port

BROKER = ("127.0.0.1", 1883)


def _client() -> Any:
    try:  # paho-mqtt 2 wants the callback API version; 1.x has no such argument
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)  # type: ignore[attr-defined]
    except AttributeError:
        return mqtt.Client()


def build(family: Family, closing: list[Any]) -> None:
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError as exc:
        raise ServiceMissing("Mosquitto at 127.0.0.1:1883", exc) from exc
    connected = _client()
    connected.connect(*BROKER, keepalive=5)
    closing.append(connected.disconnect)
    refused = free_port()
    for name, run, accept, why in (
        ("refused", lambda: _client().connect("127.0.0.1", refused, 5), T, "nothing listens (broker down)"),
        (
            "publish-refused",
            lambda: publish.single("t", "x", hostname="127.0.0.1", port=refused),
            T,
            "publish.single against a broker that is down",
        ),
        ("publish-wildcard", lambda: connected.publish("orders/+/new", "x"), C, "a topic with a wildcard"),
        ("publish-qos", lambda: connected.publish("orders", "x", qos=3), C, "QoS 3 does not exist"),
        (
            "subscribe-filter",
            lambda: connected.subscribe("orders/#/new"),
            C,
            "an invalid subscription filter",
        ),
        ("subscribe-qos", lambda: subscribe.simple("t", qos=7, port=refused), C, "qos out of range"),
        (
            "payload-type",
            lambda: connected.publish("orders", object()),
            D,
            "a payload of an unsupported type",
        ),
        (
            "not-connected",
            lambda: _client().publish("orders", "x", qos=1).wait_for_publish(0.2),
            T,
            "publishing before the connection is up (or after it dropped)",
        ),
    ):
        family.add(name, run, accept, why)
    for code, v5, accept, why in (
        (1, False, C, "unacceptable protocol version"),
        (2, False, C, "client identifier rejected"),
        (3, False, T, "server unavailable"),
        (4, False, C, "bad user name or password"),
        (5, False, C, "not authorised"),
        (0x86, True, C, "MQTT 5: bad user name or password"),
        (0x87, True, C, "MQTT 5: not authorized"),
        (0x88, True, T, "MQTT 5: server unavailable"),
        (0x89, True, T, "MQTT 5: server busy"),
        (0x8A, True, C, "MQTT 5: banned"),
        (0x8C, True, C, "MQTT 5: bad authentication method"),
        (0x97, True, {T, S}, "MQTT 5: quota exceeded"),
        (0x9F, True, T, "MQTT 5: connection rate exceeded"),
    ):
        broker = serve(closing, ScriptedBroker(mqtt_connack(code, v5=v5)))
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        family.add(
            f"connack-{code:#x}",
            lambda p=broker.port, proto=protocol: publish.single(
                "t", "x", hostname="127.0.0.1", port=p, protocol=proto
            ),
            accept,
            why,
        )
