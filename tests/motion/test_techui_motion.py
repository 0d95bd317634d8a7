"""Motion settings from the technician UI: saved on the box, the detector restarted, the recorder untouched."""

from __future__ import annotations

import json

import httpx

from tests.fixtures.ports import wait_until
from tests.techui.conftest import LABEL_PASSWORD

CAMERA = {"id": "yard", "url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5, "segment_seconds": 1}


def _csrf(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def test_technician_turns_motion_on_with_a_zone_and_the_recorder_keeps_its_run(onsite) -> None:
    site = onsite(cameras=[CAMERA])
    box = site.ui.box
    supervisor = wait_until(lambda: box.supervisor("yard"), 30, message="recorder")
    with httpx.Client(base_url=site.url) as client:
        client.post("/login", data={"password": LABEL_PASSWORD})
        page = client.get("/cameras/yard/motion")
        assert page.status_code == 200 and 'id="zones-canvas"' in page.text
        zones = [{"x": 0.5, "y": 0.0, "w": 0.5, "h": 0.25}]
        form = {"csrf": _csrf(page), "enabled": "on", "sensitivity": "70", "min_area": "0,5", "source": "auto"}
        answer = client.post("/cameras/yard/motion", data={**form, "zones": json.dumps(zones)})
        assert answer.status_code == 303, answer.text
        motion = box.config.camera("yard").motion
        assert motion.enabled and motion.sensitivity == 70 and motion.min_area == 0.5
        assert [z.model_dump() for z in motion.zones] == zones
        worker = wait_until(lambda: box.motion_worker("yard"), 10, message="the detector")
        wait_until(lambda: worker.source_label == "synthetic", 20, message="the detector decoding")
        wait_until(lambda: worker.state == "watching", 20, message="the detector past its warm-up frames")
        assert box.report().cameras["yard"].motion == "watching"  # what telemetry sends the portal
        assert "Детектор: следит" in client.get("/cameras/yard/motion").text
        assert box.supervisor("yard") is supervisor  # motion settings never restart the recording

        bad = [{"x": 0.8, "y": 0.0, "w": 0.5, "h": 0.25}]
        answer = client.post("/cameras/yard/motion", data={**form, "zones": json.dumps(bad)})
        assert answer.status_code == 400 and "right edge" in answer.text
        assert box.config.camera("yard").motion.zones[0].x == 0.5  # unchanged

        edit = client.get("/cameras/yard/edit")  # editing the camera itself keeps its motion settings
        values = {"csrf": _csrf(edit), "camera_id": "yard", "name": "Двор", "url": "lavfi:testsrc2", "enabled": "on"}
        assert client.post("/cameras/save", data=values).status_code == 303
        assert box.config.camera("yard").motion.enabled

        answer = client.post("/cameras/yard/motion", data={"csrf": form["csrf"], "zones": "[]"})  # box unticked
        assert answer.status_code == 303
        wait_until(lambda: box.motion_worker("yard") is None, 20, message="the detector stopped")
        assert worker.state == "stopped" and box.report().cameras["yard"].motion == ""
