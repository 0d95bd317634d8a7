"""Start and stop the portal's MQTT link with the app (lifespan), and publish it on ``services.fleet``/``.commands``."""

import logging
from dataclasses import dataclass

from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.commands import CommandSender
from portal.fleet.consumer import FleetConsumer
from portal.services import Services

log = logging.getLogger("portal.fleet")


@dataclass
class FleetLink:
    consumer: FleetConsumer
    commands: CommandSender

    def stop(self) -> None:
        self.consumer.stop()


def start_fleet_link(services: Services) -> FleetLink | None:
    """None when no broker is configured (settings.mqtt_url empty): the portal runs without box state."""
    url = services.settings.mqtt_url
    if not url:
        log.info("no mqtt_url: fleet link disabled")
        return None
    consumer = FleetConsumer(
        services.db,
        parse_mqtt_url(url),
        session_expiry=services.settings.mqtt_session_expiry,
        adopt_interval=services.settings.mqtt_adopt_seconds,
    )
    link = FleetLink(consumer, CommandSender(services.db, consumer))
    from portal.notify.events import box_event_hook

    consumer.event_hooks.append(box_event_hook(services))
    consumer.start()
    services.fleet = link
    services.commands = link.commands
    return link
