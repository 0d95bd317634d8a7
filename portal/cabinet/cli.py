"""`dozor portal operator …` and `dozor portal contract …`: provisioning from the command line.

Only typer is imported at module level; the portal is loaded when a command runs.
"""

import typer

operator_app = typer.Typer(no_args_is_help=True, help="Operator console accounts")
contract_app = typer.Typer(no_args_is_help=True, help="Subscribers' contracts")


def register(portal_app: typer.Typer) -> None:
    portal_app.add_typer(operator_app, name="operator")
    portal_app.add_typer(contract_app, name="contract")


def _database():
    from portal.cli_support import open_database

    return open_database()


def _fail(exc: Exception) -> None:
    from portal.cli_support import fail

    fail(exc)


@operator_app.command("add")
def operator_add(
    login: str = typer.Option(..., help="Login of the operator"),
    password: str = typer.Option(..., prompt=True, hide_input=True, help="Password (8+ chars, letters and digits)"),
    name: str = typer.Option("", help="Full name"),
) -> None:
    """Create an operator account."""
    from portal.cabinet.errors import FieldError
    from portal.cabinet.operators import create_operator

    try:
        with _database().session() as db:
            create_operator(db, login, password, name)
    except FieldError as exc:
        _fail(exc)
    typer.echo(f"operator {login} created")


@contract_app.command("add")
def contract_add(
    number: str = typer.Option(..., help="Contract number (the subscriber's login)"),
    password: str = typer.Option(..., prompt=True, hide_input=True, help="Initial password"),
    city: str = typer.Option("Новокузнецк", help="City of the entrance"),
    street: str = typer.Option(..., help="Street"),
    house: str = typer.Option(..., help="House"),
    entrance: int = typer.Option(1, help="Entrance («подъезд») number"),
    flat: str = typer.Option("", help="Flat"),
    phone: list[str] = typer.Option([], help="Phone for recovery SMS (repeatable)"),
    email: list[str] = typer.Option([], help="E-mail (repeatable)"),
    ip: list[str] = typer.Option([], help="ISP address/CIDR/range for transparent login (repeatable)"),
) -> None:
    """Create a contract at an entrance (the address is created when new)."""
    from portal.cabinet.contracts import create_address, create_contract
    from portal.cabinet.errors import FieldError
    from portal.cabinet.ip_bindings import bind_ip

    try:
        with _database().session() as db:
            address = create_address(db, city, street, house, entrance)
            contract = create_contract(db, number, password, address.id, flat, phone, email)
            for network in ip:
                bind_ip(db, contract.id, network)
    except FieldError as exc:
        _fail(exc)
    typer.echo(f"contract {number} created at {street} {house} п.{entrance}")
