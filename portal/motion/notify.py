"""Motion notifications through the notification centre (category `motion`, off by default per contract).

Only an event's first report notifies, only while it is fresh (a backlog drained after an outage is history,
not news: it shows on the timeline), and at most once per camera per COOLDOWN (a busy entrance is one notice).
"""

from datetime import timedelta

from sqlalchemy.orm import Session

from portal.models import Camera, utcnow
from portal.models.motion import MotionEvent
from portal.motion.query import latest_start
from portal.notify.events import tell_viewers
from portal.notify.outbox import Policy

FRESH = timedelta(minutes=10)
COOLDOWN = timedelta(minutes=5)
TITLE = "Движение в кадре"


def worth_telling(db: Session, event: MotionEvent) -> bool:
    if utcnow() - event.start > FRESH:
        return False
    previous = latest_start(db, event.camera_id, event.start, excluding=event.id)
    return previous is None or event.start - previous >= COOLDOWN


def notify_motion(db: Session, policy: Policy, event: MotionEvent) -> int:
    """Queue the viewers' notifications for a new event; how many deliveries were queued."""
    camera = db.get(Camera, event.camera_id)
    if camera is None or not worth_telling(db, event):
        return 0
    return tell_viewers(db, policy, camera, "motion", TITLE, event.start)
