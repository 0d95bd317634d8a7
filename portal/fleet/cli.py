"""`dozor portal device …` and `dozor portal mosquitto-config`: enrolment and broker files from the shell.

Only typer is imported at module level; the portal is loaded when a command runs.
"""

import json
from pathlib import Path

import typer

device_app = typer.Typer(no_args_is_help=True, help="Entrance boxes: enrol, claim, bind cameras")


def register(portal_app: typer.Typer) -> None:
    portal_app.add_typer(device_app, name="device")
    portal_app.command("mosquitto-config")(mosquitto_config)


def _database():
    from portal.cli_support import open_database

    return open_database()


def _fail(exc: Exception) -> None:
    from portal.cli_support import fail

    fail(exc)


@device_app.command("add")
def device_add(
    device_id: str = typer.Argument(..., help="Device id (= MQTT username), e.g. nk-shakhterov30-1"),
    name: str = typer.Option("", help="Human name"),
    address_id: int | None = typer.Option(None, help="Address (entrance) the box serves"),
) -> None:
    """Register a box; prints its one-time claim code."""
    from portal.fleet.provisioning import ProvisioningError, create_device

    try:
        code = create_device(_database(), device_id, name, address_id)
    except ProvisioningError as exc:
        _fail(exc)
    typer.echo(code)


@device_app.command("claim")
def device_claim(device_id: str = typer.Argument(...), claim_code: str = typer.Argument(...)) -> None:
    """Exchange a claim code for the box's credentials (JSON; shown once). Then re-run mosquitto-config."""
    from portal.fleet.provisioning import ProvisioningError, claim_device

    try:
        creds = claim_device(_database(), device_id, claim_code)
    except ProvisioningError as exc:
        _fail(exc)
    typer.echo(json.dumps(creds.__dict__, indent=2))


@device_app.command("reset-claim")
def device_reset_claim(device_id: str = typer.Argument(...)) -> None:
    """Revoke a box's credentials and print a fresh claim code."""
    from portal.fleet.provisioning import ProvisioningError, reset_claim

    try:
        typer.echo(reset_claim(_database(), device_id))
    except ProvisioningError as exc:
        _fail(exc)


@device_app.command("camera-add")
def device_camera_add(
    device_id: str = typer.Argument(...),
    camera_id: str = typer.Argument(...),
    name: str = typer.Option(..., help="Camera name shown to subscribers"),
    address_id: int | None = typer.Option(None, help="Shared entrance camera of this address (default: the box's)"),
    contract_id: int | None = typer.Option(None, help="Private camera of this contract"),
    retention_days: int = typer.Option(7, help="7, 14 or 30"),
) -> None:
    """Bind a camera to a box."""
    from portal.fleet.provisioning import ProvisioningError, add_camera

    try:
        add_camera(_database(), device_id, camera_id, name, address_id, contract_id, retention_days)
    except ProvisioningError as exc:
        _fail(exc)
    typer.echo(f"camera {camera_id} bound to {device_id}")


def mosquitto_config(
    out: Path = typer.Option(..., "--out", help="Directory for passwd and acl (point mosquitto.conf at them)"),
) -> None:
    """Write Mosquitto's password file and ACL from the device table (then SIGHUP the broker)."""
    from portal.config import PortalSettings
    from portal.fleet.broker_config import parse_mqtt_url, write_broker_files

    settings = PortalSettings()
    try:
        broker = parse_mqtt_url(settings.mqtt_url)
        with _database().session() as db:
            passwd, acl = write_broker_files(db, out, broker.username, broker.password)
    except ValueError as exc:
        _fail(exc)
    typer.echo(f"password_file {passwd.resolve()}\nacl_file {acl.resolve()}")
