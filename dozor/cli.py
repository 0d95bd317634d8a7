"""The `dozor` command: one entry point for the box, the portal and the demo stack."""

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dozor video surveillance")


def main() -> None:
    app()
