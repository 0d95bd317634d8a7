"""Operator console: the fleet page (boxes online/offline, last seen, firmware, disk, cameras, backlog, errors)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from portal.deps import DB
from portal.fleet.views import fleet_rows
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator", tags=["operator console"])


@router.get("/fleet")
def fleet_page(request: Request, _who: PageOperator, db: DB) -> Response:
    rows = fleet_rows(db)
    online = sum(1 for r in rows if r.state == "online")
    return render(request, "operator/fleet.html", rows=rows, online=online, total=len(rows), active="fleet")
