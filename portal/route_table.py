"""Domain routers are included once per process; every app built in that process shares the compiled routes.

FastAPI (0.16x) compiles an included router's routes — dependants, parameter validators, response fields —
lazily, per inclusion, on the first requests that scan them: about half a second of CPU for the portal's ~240
routes. A production worker builds one app, so there this is only a start-up cost; the test suite builds hundreds
of apps in one process and paid it hundreds of times.

Sharing is sound because no route state belongs to an app: handlers reach the services through
`request.app.state`, and the inclusion is made exactly as `app.include_router` makes it (a parent router with the
app router's defaults). One difference, accepted: the portal uses no `dependency_overrides`, and an override set on
one app would not reach shared routes — a router that needs one is included with `app.include_router` instead.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

_lock = threading.Lock()
# id(router) -> (router, its inclusion); the router is kept so the id stays its own (Starlette routers are unhashable).
_included: dict[int, tuple[APIRouter, list[BaseRoute]]] = {}


def _inclusion(router: APIRouter) -> list[BaseRoute]:
    with _lock:
        found = _included.get(id(router))
        if found is None:
            parent = APIRouter()  # the defaults FastAPI gives its own app router
            parent.include_router(router)
            found = _included[id(router)] = (router, list(parent.routes))
        return found[1]


def include(app: FastAPI, router: APIRouter) -> None:
    """`app.include_router(router)`, with the compiled routes shared by every app of this process."""
    app.router.routes.extend(_inclusion(router))
