"""The technician UI's update page: versions, last result, and a manual rollback by hand."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from edge.ota.state import LastResult, OtaState, Slots
from tests.techui.conftest import LABEL_PASSWORD


def _two_releases(root: Path) -> Slots:
    slots = Slots(root)
    slots.ensure()
    for version in ("1.0", "2.0"):
        (slots.slot(version)).mkdir()
        (slots.slot(version) / "release.json").write_text(json.dumps({"version": version}))
    slots.write(
        OtaState(good="2.0", previous="1.0", last=LastResult("2.0", "healthy", "passed the health gate in 12 s"))
    )
    slots.repair_links(slots.read())
    return slots


def test_update_page_shows_versions_and_rolls_back(onsite, tmp_path: Path) -> None:
    slots = _two_releases(tmp_path / "ota")
    site = onsite(ota={"root": str(tmp_path / "ota"), "keys": [str(tmp_path / "keys")]})
    with httpx.Client(base_url=site.url) as client:
        assert client.post("/login", data={"password": LABEL_PASSWORD, "next": "/"}).status_code == 303
        page = client.get("/update")
        assert page.status_code == 200
        assert 'id="ota-current">2.0' in page.text and 'id="ota-previous">1.0' in page.text
        assert "passed the health gate in 12 s" in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        done = client.post("/update/rollback", data={"csrf": csrf})
        assert done.status_code == 200 and "Откат на версию 1.0" in done.text
        assert 'id="ota-current">1.0' in done.text and 'id="ota-previous">2.0' in done.text
    state = slots.read()
    assert (state.good, state.previous) == ("1.0", "2.0") and slots.link("current") == "1.0"
    assert state.last is not None and "manual rollback" in state.last.reason


def test_update_page_without_ota_section(onsite) -> None:
    site = onsite()
    with httpx.Client(base_url=site.url) as client:
        client.post("/login", data={"password": LABEL_PASSWORD, "next": "/"})
        page = client.get("/update")
        assert page.status_code == 200 and "Обновления по сети выключены" in page.text
        csrf = client.get("/network").text.split('name="csrf" value="')[1].split('"')[0]
        assert client.post("/update/rollback", data={"csrf": csrf}).status_code == 400
