"""MQTT protocol choice: v5 against production brokers (Mosquitto, EMQX); 3.1.1 against the demo's amqtt.

paho's v5 client keeps a persistent session with ``clean_start=False`` + a session expiry; a 3.1.1 client
does the same with ``clean_session=False``. Shared subscriptions (``$share/…``) exist only in v5.
"""

from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

Protocol = Literal["5", "3.1.1"]
PROTOCOLS: tuple[str, ...] = ("5", "3.1.1")


def check(protocol: str) -> Protocol:
    if protocol not in PROTOCOLS:
        raise ValueError(f"mqtt protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    return protocol  # type: ignore[return-value]


def new_client(client_id: str, protocol: Protocol, persistent: bool, manual_ack: bool = False) -> mqtt.Client:
    """``manual_ack``: PUBACK only when the caller calls ``client.ack(mid, qos)`` (after it stored the message)."""
    if protocol == "5":
        return mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack
        )
    return mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=not persistent,
        manual_ack=manual_ack,
    )


def connect_options(protocol: Protocol, persistent: bool, session_expiry: int = 0) -> dict[str, Any]:
    """Keyword arguments for ``connect_async`` that give the wanted session persistence."""
    if protocol != "5":
        return {}
    options: dict[str, Any] = {"clean_start": not persistent}
    if persistent and session_expiry:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry
        options["properties"] = props
    return options


def end_session_properties() -> Properties:
    """DISCONNECT properties that end a persistent v5 session now (session expiry 0): the broker drops it."""
    props = Properties(PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = 0
    return props
