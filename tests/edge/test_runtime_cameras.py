"""Cameras changed at run time (technician UI, portal `config.set`) survive a restart of the box; an edit of the
config file's own camera list afterwards wins over them."""

from edge.config import CameraConfig

SMALL = {"url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5, "segment_seconds": 1}


def camera(camera_id: str) -> dict:
    return {"id": camera_id, **SMALL}


def test_runtime_change_survives_a_restart(make_box, tmp_path) -> None:
    data = tmp_path / "box"
    box, _ = make_box([camera("c1")], data_dir=data)
    box.reconfigure([CameraConfig.model_validate(camera("c1")), CameraConfig.model_validate(camera("c2"))])
    box.stop()

    again, _ = make_box([camera("c1")], data_dir=data)  # the same config file as before
    assert [c.id for c in again.config.cameras] == ["c1", "c2"]
    assert set(again.status()["cameras"]) == {"c1", "c2"}


def test_an_edited_config_file_wins_over_runtime_changes(make_box, tmp_path) -> None:
    data = tmp_path / "box"
    box, _ = make_box([camera("c1")], data_dir=data)
    box.reconfigure([CameraConfig.model_validate(camera("c2"))])
    box.stop()

    edited, _ = make_box([camera("c1"), camera("c3")], data_dir=data)  # someone edited the file since
    assert [c.id for c in edited.config.cameras] == ["c1", "c3"]
    edited.stop()

    # ...and with no runtime change after that edit, the file's list stays in force at the next start.
    after, _ = make_box([camera("c1"), camera("c3")], data_dir=data)
    assert [c.id for c in after.config.cameras] == ["c1", "c3"]
