"""The `dozor` command: one entry point for the box, the portal and the demo stack.

Each domain registers its sub-commands on `edge_app` or `portal_app`; imports stay lazy so that the box
never loads portal code and start-up stays quick.
"""

from pathlib import Path

import typer

from dozor.errors import friendly_errors
from dozor.ota_cli import edge_ota_app, edge_supervise, ota_app
from dozor.sim.cli import register as register_sim_cli
from portal.cabinet.cli import register as register_cabinet_cli
from portal.fleet.cli import register as register_fleet_cli

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dozor video surveillance")
edge_app = typer.Typer(no_args_is_help=True, help="The entrance box: record, sync, technician UI")
portal_app = typer.Typer(no_args_is_help=True, help="The central portal: serve, migrate, provision")
app.add_typer(edge_app, name="edge")
app.add_typer(portal_app, name="portal")
app.add_typer(ota_app, name="ota")
edge_app.add_typer(edge_ota_app, name="ota")
edge_app.command("supervise")(edge_supervise)
register_cabinet_cli(portal_app)  # `dozor portal operator|contract add`
register_fleet_cli(portal_app)  # `dozor portal device …`, `dozor portal mosquitto-config`
register_sim_cli(app)  # `dozor sim provision|boxes`


@edge_app.command("run")
def edge_run(
    config: Path = typer.Option(..., "--config", help="Box config (YAML): device_id, data_dir, cameras"),
) -> None:
    """Record the box's cameras into the local archive (and sync when a portal is configured)."""
    from edge.cli import run

    run(config)


@edge_app.command("selftest")
def edge_selftest(
    config: Path | None = typer.Option(None, "--config", help="Box config (YAML); required on real hardware"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Run the hardware self-test (hw-tests) and report each check; mock mode off a Raspberry Pi."""
    from edge.selftest import print_report, run_selftest

    report = run_selftest(config)
    print_report(report, as_json)
    raise typer.Exit(0 if report.ok else 1)


@edge_app.command("ranges")
def edge_ranges(
    config: Path = typer.Option(..., "--config", help="Box config (YAML)"),
    camera: str | None = typer.Option(None, "--camera", help="Only this camera"),
    since: str | None = typer.Option(None, help="ISO 8601 UTC start (default: retention window)"),
    until: str | None = typer.Option(None, help="ISO 8601 UTC end (default: now)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Recorded ranges and typed gaps per camera, from the local catalogue."""
    from edge.cli import ranges

    ranges(config, camera, since, until, as_json)


@portal_app.command("serve")
def portal_serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="TCP port"),
    workers: int = typer.Option(1, help="Worker processes (stateless; share the database, store and broker)"),
) -> None:
    """Serve the portal (settings from DOZOR_* environment variables)."""
    from portal.serve import serve

    serve(host=host, port=port, workers=workers)


@portal_app.command("migrate")
def portal_migrate() -> None:
    """Bring the database schema up to date."""
    from portal.cli_support import open_database

    open_database().dispose()
    typer.echo("schema is up to date")


@app.command("demo")
def demo(
    data: str = typer.Option("var/demo", help="Directory for the demo's database, objects and archive"),
    port: int = typer.Option(8000, help="Port of the portal"),
) -> None:
    """Run the whole system on one machine: portal, broker and one box with two synthetic cameras."""
    from dozor.demo import run_demo

    run_demo(data_dir=data, port=port)


def main() -> None:
    with friendly_errors():
        app()
