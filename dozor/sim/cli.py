"""`dozor sim provision N` and `dozor sim boxes N`: enrol simulated boxes, then run them against a portal."""

import json
from pathlib import Path

import typer

sim_app = typer.Typer(no_args_is_help=True, help="Simulated boxes for load and fault tests (docs/scale.md)")
DEFAULT_CREDENTIALS = Path("var/sim/boxes.json")


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")


@sim_app.command("provision")
def sim_provision(
    count: int = typer.Argument(..., min=1, help="How many boxes to enrol"),
    cameras: int = typer.Option(4, min=1, help="Cameras per box"),
    out: Path = typer.Option(DEFAULT_CREDENTIALS, help="Credentials file for `dozor sim boxes`"),
    broker_dir: Path | None = typer.Option(None, help="Write the broker's passwd/acl here (then SIGHUP it)"),
    prefix: str = typer.Option("sim", help="Device id prefix"),
) -> None:
    """Enrol simulated boxes in the portal's database (DOZOR_DATABASE_URL) with their own credentials."""
    from dozor.sim.provision import provision, save
    from portal.cli_support import open_database

    db = open_database()
    try:
        boxes = provision(db, count, cameras, prefix)
        save(out, boxes)
        if broker_dir is not None:
            _write_broker_files(db, broker_dir)
    finally:
        db.dispose()
    typer.echo(f"{len(boxes)} boxes enrolled; credentials in {out}")


def _write_broker_files(db, broker_dir: Path) -> None:
    from portal.config import PortalSettings
    from portal.fleet.broker_config import parse_mqtt_url, write_broker_files

    url = parse_mqtt_url(PortalSettings().mqtt_url or "mqtt://")
    with db.session() as session:
        write_broker_files(session, broker_dir, url.username, url.password)


@sim_app.command("boxes")
def sim_boxes(
    count: int = typer.Argument(..., min=1, help="How many boxes to run (the first N of the credentials file)"),
    portal: list[str] = typer.Option(..., "--portal", help="Portal base URL; repeat for fail-over between processes"),
    broker: str = typer.Option(..., "--broker", help="mqtt://host:port of the broker"),
    cameras: int = typer.Option(4, min=1, help="Cameras per box (6 s segments each)"),
    seconds: float = typer.Option(60.0, min=1, help="How long the boxes produce"),
    credentials: Path = typer.Option(DEFAULT_CREDENTIALS, help="From `dozor sim provision`"),
    telemetry_seconds: float = typer.Option(5.0, min=0.5, help="Telemetry interval per box"),
    events_per_minute: float = typer.Option(1.0, min=0, help="Events per box per minute"),
    segment_seconds: float = typer.Option(6.0, min=0.5, help="Segment length"),
    lanes: int = typer.Option(16, min=1, help="Upload threads shared by all boxes"),
    clip_dir: Path = typer.Option(Path("var/sim/clip"), help="Where the one small test clip is encoded"),
) -> None:
    """Run simulated boxes (real MQTT clients and uploads) and print a JSON summary at the end."""
    from dozor.errors import UserError
    from dozor.sim.boxes import SimOptions
    from dozor.sim.fleet import run
    from dozor.sim.provision import load
    from portal.fleet.broker_config import parse_mqtt_url

    if not credentials.exists():
        raise UserError(f"--credentials: {credentials} does not exist (run `dozor sim provision {count}` first)")
    creds = load(credentials)
    if len(creds) < count:
        raise UserError(f"count: {credentials} holds {len(creds)} boxes, {count} asked for")
    too_few = [c.device_id for c in creds[:count] if len(c.cameras) < cameras]
    if too_few:
        raise UserError(f"--cameras: box {too_few[0]} was provisioned with fewer than {cameras} cameras")
    try:
        url = parse_mqtt_url(broker)
    except ValueError as exc:
        raise UserError(f"--broker: {exc}") from None
    options = SimOptions(
        portals=tuple(portal),
        broker_host=url.host,
        broker_port=url.port,
        cameras=cameras,
        segment_seconds=segment_seconds,
        telemetry_seconds=telemetry_seconds,
        events_per_minute=events_per_minute,
        upload_lanes=lanes,
    )
    result = run(creds[:count], options, seconds, clip_dir)
    typer.echo(json.dumps(result.summary(), indent=1))
