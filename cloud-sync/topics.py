"""MQTT topic names under ``dozor/v1/{device_id}/`` (see docs/wire.md)."""

from dataclasses import dataclass

PREFIX = "dozor/v1"


def status(device_id: str) -> str:
    return f"{PREFIX}/{device_id}/status"


def telemetry(device_id: str) -> str:
    return f"{PREFIX}/{device_id}/telemetry"


def event(device_id: str, event_type: str) -> str:
    return f"{PREFIX}/{device_id}/event/{event_type}"


def command(device_id: str, name: str) -> str:
    return f"{PREFIX}/{device_id}/cmd/{name}"


def command_result(device_id: str, name: str) -> str:
    return f"{PREFIX}/{device_id}/cmd/{name}/result"


@dataclass(frozen=True)
class ParsedTopic:
    device_id: str
    kind: str  # status | telemetry | event | cmd | cmd_result
    name: str = ""  # event type or command name


def parse(topic: str) -> ParsedTopic | None:
    """Split a topic into its parts; None for anything outside ``dozor/v1/``."""
    parts = topic.split("/")
    if len(parts) < 3 or "/".join(parts[:2]) != PREFIX or not parts[2]:
        return None
    device_id, rest = parts[2], parts[3:]
    if rest == ["status"]:
        return ParsedTopic(device_id, "status")
    if rest == ["telemetry"]:
        return ParsedTopic(device_id, "telemetry")
    if len(rest) == 2 and rest[0] == "event":
        return ParsedTopic(device_id, "event", rest[1])
    if len(rest) == 2 and rest[0] == "cmd":
        return ParsedTopic(device_id, "cmd", rest[1])
    if len(rest) == 3 and rest[0] == "cmd" and rest[2] == "result":
        return ParsedTopic(device_id, "cmd_result", rest[1])
    return None


def device_filter(device_id: str) -> str:
    """Everything of one box: what its ACL line ``pattern readwrite dozor/v1/%u/#`` grants."""
    return f"{PREFIX}/{device_id}/#"


def box_subscriptions(device_id: str) -> list[str]:
    """What a box subscribes to: the commands addressed to it."""
    return [f"{PREFIX}/{device_id}/cmd/+"]


PORTAL_SHARE_GROUP = "portal"


def portal_subscriptions(shared: bool = True, group: str = PORTAL_SHARE_GROUP) -> list[str]:
    """What the portal consumes from every box.

    Telemetry, events and results are shared (MQTT v5 ``$share``) so N portal workers split the load.
    Status is not: a broker sends no retained messages to shared subscriptions, and a restarted portal must
    learn every box's retained status; status writes are idempotent (ordered by the session counter).
    """
    filters = [f"{PREFIX}/+/telemetry", f"{PREFIX}/+/event/+", f"{PREFIX}/+/cmd/+/result"]
    if shared:
        filters = [f"$share/{group}/{f}" for f in filters]
    return [f"{PREFIX}/+/status", *filters]
