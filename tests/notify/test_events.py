"""Box events → notifications for exactly the contracts that see the camera, by their subscriptions; quiet
hours in the contract's zone."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cloud_sync import topics
from cloud_sync.messages import Event
from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.consumer import FleetConsumer
from portal.models import Contract, utcnow
from portal.models.forpost import PushToken
from portal.models.notify import NotifyMessage
from portal.notify import events, outbox
from portal.notify.events import box_event_hook
from tests.notify.conftest import make_centre


class _Services:
    def __init__(self, app) -> None:
        self.settings, self.db = app.state.services.settings, app.state.services.db


def _with_tokens(db, ids) -> None:
    with db.session() as s:
        for who in ("a", "b", "c"):
            s.add(PushToken(contract_id=ids[who], device_uid=f"uid-{who}", device_token=f"fcm:{who}"))


def test_door_event_from_the_fleet_consumer_reaches_the_entrance_only(tmp_path) -> None:
    app, world = make_centre(tmp_path)
    db = app.state.services.db
    _with_tokens(db, world.ids)
    consumer = FleetConsumer(db, parse_mqtt_url("mqtt://127.0.0.1:1"))  # never connected: _apply is the writer's step
    consumer.event_hooks.append(box_event_hook(_Services(app)))
    at = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
    event = Event(type="button", camera_id=world.shared_a, ts=at, data={"relay": "door"})
    with db.session() as s:
        consumer._apply(s, topics.event(world.device, "button"), event.model_dump_json().encode(), utcnow())
        consumer._apply(s, topics.event(world.device, "button"), event.model_dump_json().encode(), utcnow())  # again
    with db.session() as s:
        rows = s.scalars(select(NotifyMessage).where(NotifyMessage.category == "door")).all()
        assert sorted(r.recipient for r in rows) == ["fcm:a", "fcm:c"]  # B lives elsewhere; a redelivery is no news
        import json

        data = json.loads(rows[0].data)
        assert data["archive"] == "20261201093005" and data["camid"].isdigit() and rows[0].urgent


def test_camera_offline_only_after_n_minutes_then_back_online(tmp_path) -> None:
    app, world = make_centre(tmp_path)
    db, settings = app.state.services.db, app.state.services.settings
    _with_tokens(db, world.ids)
    policy = outbox.Policy.from_settings(settings)
    down = utcnow() - timedelta(minutes=3)
    with db.session() as s:
        assert events.on_event(s, policy, world.device, "camera_down", world.private_a, down) == 0
        assert events.sweep_offline(s, policy, 10, now=down + timedelta(minutes=5)) == 0  # a blip is no news
        assert events.sweep_offline(s, policy, 10, now=down + timedelta(minutes=11)) == 2  # A: push + e-mail
        assert events.sweep_offline(s, policy, 10, now=down + timedelta(minutes=20)) == 0  # once per outage
        assert events.on_event(s, policy, world.device, "camera_up", world.private_a, down + timedelta(minutes=30)) == 2
        assert events.on_event(s, policy, "box-kirova5", "button", world.private_a, down) == 0  # not that box's camera
        rows = s.scalars(select(NotifyMessage).where(NotifyMessage.category == "camera_offline")).all()
        assert {r.contract_id for r in rows} == {world.ids["a"]}  # the private camera's owner only
        assert sorted(r.subject for r in rows if r.channel == "push") == ["Камера не в сети", "Камера снова в сети"]
    # A short outage without an announcement: its recovery is not announced either.
    with db.session() as s:
        events.on_event(s, policy, world.device, "camera_down", world.shared_a, down)
        assert events.on_event(s, policy, world.device, "camera_up", world.shared_a, down + timedelta(minutes=1)) == 0


def test_quiet_hours_hold_non_urgent_messages_until_morning_in_the_contracts_zone(tmp_path) -> None:
    app, world = make_centre(tmp_path, notify_quiet_start=22, notify_quiet_end=8)
    db, settings = app.state.services.db, app.state.services.settings
    policy = outbox.Policy.from_settings(settings)
    night = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 23:30 in Asia/Novokuznetsk (UTC+7)
    with db.session() as s:
        contract = s.get(Contract, world.ids["a"])
        (news,) = outbox.notify(s, policy, contract, "news", "Новость", "Текст", now=night)
        (email, sms) = sorted(outbox.notify(s, policy, contract, "support", "Ответ", "Текст", now=night),
                              key=lambda r: r.channel)  # fmt: skip
        assert news.next_attempt_at == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 08:00 local next morning
        assert email.next_attempt_at == night and sms.next_attempt_at == night  # support replies are urgent
        contract.tz = "Europe/Moscow"  # 19:30 there: not night
        (day,) = outbox.notify(s, policy, contract, "news", "Новость", "Текст", now=night)
        assert day.next_attempt_at == night
    assert outbox.quiet_until(policy, "Asia/Novokuznetsk", datetime(2026, 12, 1, 23, 0, tzinfo=UTC)) == datetime(
        2026, 12, 2, 1, 0, tzinfo=UTC
    )  # 06:00 local, after midnight: the same morning
