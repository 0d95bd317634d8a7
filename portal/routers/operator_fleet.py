"""Operator console: the fleet page (boxes online/offline, last seen, firmware, disk, cameras, backlog, errors)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from portal.deps import DB
from portal.fleet.views import fleet_rows
from portal.ota.rollout import latest_by_device
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator", tags=["operator console"])


@router.get("/fleet")
def fleet_page(request: Request, _who: PageOperator, db: DB) -> Response:
    rows = fleet_rows(db)
    online = sum(1 for r in rows if r.state == "online")
    updates = latest_by_device(db)  # the newest OTA rollout's state per box (docs/ota.md)
    return render(
        request, "operator/fleet.html", rows=rows, online=online, total=len(rows), updates=updates, active="fleet"
    )
