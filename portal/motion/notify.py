"""Motion notifications through the notification centre (category `motion`, off by default per contract).

Only an event's start notifies, only while it is fresh (a backlog drained after an outage is history, not
news: it shows on the timeline), and at most once per camera per COOLDOWN (a busy entrance is one notice).
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.models import Camera, utcnow
from portal.motion.query import latest_start
from portal.motion.store import _time

FRESH = timedelta(minutes=10)
COOLDOWN = timedelta(minutes=5)
TITLE = "Движение в кадре"


def motion_worth_telling(db: Session, camera: Camera, data: dict, now: datetime | None = None) -> datetime | None:
    """The start to announce, or None when this message should not notify."""
    if data.get("phase") != "start":
        return None
    start = _time(data, "start")
    now = now or utcnow()
    if start is None or now - start > FRESH:
        return None
    previous = latest_start(db, camera.id, start)
    if previous is not None and start - previous < COOLDOWN:
        return None
    return start
