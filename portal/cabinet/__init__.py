"""The subscriber cabinet's domain logic: contracts, contacts, IP bindings, recovery, favourites, sessions.

Routers call these functions; tests, the CLI and the demo call them directly to provision accounts.
"""

from portal.cabinet.errors import FieldError

__all__ = ["FieldError"]
