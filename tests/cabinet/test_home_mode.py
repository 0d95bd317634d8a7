"""«Я дома» in the web cabinet: the owner of a private camera switches it on the camera page (a CSRF-checked
form), which sends the same config.set to the box as Forpost's EnableHomeMode; shared cameras have no switch."""

import re
from typing import Any

import httpx
import pytest

from portal.models.forpost import HomeMode
from tests.cabinet.world import PASSWORD


class RecordingCommands:
    """Stands in for the MQTT command link (services.commands): no box runs in this test. Records what
    the portal sends and answers like a box would."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.senders: set[str] = set()

    def send(
        self, device_id: str, name: str, args: dict[str, Any], timeout: float | None = None, sent_by: str = ""
    ) -> Any:
        self.sent.append((device_id, name, args))
        self.senders.add(sent_by)
        return self.answer


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.fixture
def commands(portal):
    services = portal.app.state.services
    before = services.commands
    services.commands = recording = RecordingCommands({"ok": True})
    yield recording
    services.commands = before


def test_owner_switches_home_mode_on_the_camera_page(portal, commands: RecordingCommands) -> None:
    w = portal.world
    with httpx.Client(base_url=portal.url) as client:
        login = client.post(
            "/login", data={"contract": w.contract_a, "password": PASSWORD, "csrf": _csrf(client.get("/login").text)}
        )
        assert login.status_code == 303
        page = client.get(f"/cameras/{w.private_a}")
        assert 'id="home-mode"' in page.text and "Включить «Я дома»" in page.text
        token = _csrf(page.text)

        on = client.post(f"/cameras/{w.private_a}/home-mode", data={"enable": "1", "csrf": token})
        assert on.status_code == 303
        assert commands.sent == [(w.device, "config.set", {"cameras": [{"id": w.private_a, "recording": False}]})]
        page = client.get(f"/cameras/{w.private_a}")
        assert "включён — запись приостановлена" in page.text and "Выключить «Я дома»" in page.text
        with portal.db.session() as db:
            row = db.get(HomeMode, w.private_a)
            assert (row.enabled, row.box_result) == (True, "ok")

        off = client.post(f"/cameras/{w.private_a}/home-mode", data={"enable": "0", "csrf": token})
        assert off.status_code == 303
        assert commands.sent[-1][2] == {"cameras": [{"id": w.private_a, "recording": True}]}

        # Refused without changing anything: no CSRF token, a bad value, a shared camera, someone else's camera.
        assert client.post(f"/cameras/{w.private_a}/home-mode", data={"enable": "1"}).status_code == 403
        bad = client.post(f"/cameras/{w.private_a}/home-mode", data={"enable": "yes", "csrf": token})
        assert bad.status_code == 422 and "enable" in bad.text
        assert 'id="home-mode"' not in client.get(f"/cameras/{w.shared_a}").text
        shared = client.post(f"/cameras/{w.shared_a}/home-mode", data={"enable": "1", "csrf": token})
        assert shared.status_code == 403
        foreign = client.post(f"/cameras/{w.shared_b}/home-mode", data={"enable": "1", "csrf": token})
        assert foreign.status_code == 404
    assert len(commands.sent) == 2
    with portal.db.session() as db:
        assert db.get(HomeMode, w.private_a).enabled is False
