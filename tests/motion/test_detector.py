"""Scripted clips (tests/motion/clips.py) decoded faster than real time through the box's own decode path."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.config import CameraConfig
from edge.motion.detector import Transition
from edge.motion.source import file_source
from edge.motion.worker import detect
from tests.motion.clips import Move, Script, make_clip

ORIGIN = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ZONE = {"x": 0.6, "y": 0.4, "w": 0.4, "h": 0.6}  # bottom right: "a tree"
SCRIPT = Script(
    seconds=60,
    moves=[
        Move(10, 15, x=20, y=60, dx=40),  # a box crossing the scene
        Move(30, 34, x=196, y=80, dx=20, size=40, color="white"),  # inside the ignored zone only
        Move(40, 44, x=250, y=20, dx=-45, color="white"),  # another one, leftwards
    ],
    lighting_at=20,  # a lamp switched on: brightness and contrast step for the rest of the clip
)
EXPECTED = [(10.0, 15.0), (40.0, 44.0)]


class Collect:
    def __init__(self) -> None:
        self.transitions: list[Transition] = []

    def apply(self, transition: Transition, _frame: object) -> None:
        self.transitions.append(transition)

    def events(self) -> list[tuple[float, float]]:
        starts = [t.at for t in self.transitions if t.kind == "start"]
        ends = [t.at for t in self.transitions if t.kind == "end"]
        assert len(starts) == len(ends), self.transitions
        return [((s - ORIGIN).total_seconds(), (e - ORIGIN).total_seconds()) for s, e in zip(starts, ends, strict=True)]


def _run(clip: Path, zones: list[dict]) -> tuple[Collect, int]:
    camera = CameraConfig(id="cam-m", url="rtsp://127.0.0.1/x", motion={"enabled": True, "zones": zones})
    collect = Collect()
    frames = detect(file_source(str(clip)), collect, camera, threading.Event(), origin=ORIGIN)  # type: ignore[arg-type]
    return collect, frames


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("motion") / "scripted.mp4", SCRIPT)


def test_scripted_motion_found_within_a_second_lighting_and_masked_zone_ignored(scripted: Path) -> None:
    collect, frames = _run(scripted, [ZONE])
    assert frames == pytest.approx(SCRIPT.seconds * 5, abs=2)  # decimated to motion.fps = 5
    found = collect.events()
    assert len(found) == len(EXPECTED), found  # nothing at 20 s (lighting) nor 30-35 s (masked)
    for (start, end), (want_start, want_end) in zip(found, EXPECTED, strict=True):
        assert abs(start - want_start) <= 1.0 and abs(end - want_end) <= 1.0, found


def test_the_zone_is_what_hides_the_motion_inside_it(scripted: Path) -> None:
    found = _run(scripted, [])[0].events()
    assert len(found) == 3, found
    assert abs(found[1][0] - 30.0) <= 1.0 and abs(found[1][1] - 34.0) <= 1.0, found


@pytest.mark.slow
def test_static_scene_for_ten_minutes_gives_no_event(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "static.mp4", Script(seconds=600, fps=5))
    collect, frames = _run(clip, [])
    assert frames == pytest.approx(3000, abs=3)  # ten minutes of pictures were really analysed
    assert collect.transitions == []


def test_zone_past_the_frame_edge_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        CameraConfig(id="c", url="rtsp://h/x", motion={"zones": [{"x": 0.8, "y": 0, "w": 0.3, "h": 0.5}]})
    assert "motion" in str(info.value) and "right edge" in str(info.value)


def test_an_event_longer_than_the_clip_ends_at_its_last_moving_frame(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "tail.mp4", Script(seconds=8, moves=[Move(3, 8, x=10, y=60, dx=40)]))
    found = _run(clip, [])[0].events()
    assert len(found) == 1 and abs(found[0][0] - 3.0) <= 1.0 and found[0][1] >= 6.5, found
    assert ORIGIN + timedelta(seconds=found[0][1]) <= ORIGIN + timedelta(seconds=8)
