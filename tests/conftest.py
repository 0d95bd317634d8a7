"""Shared fixtures: throwaway real servers on 127.0.0.1 free ports (see tests/fixtures/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fixtures.rtsp import RtspCamera


@pytest.fixture
def rtsp_camera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RtspCamera]]:
    """Factory: `rtsp_camera(paths=("cam1",), user=None, password=None, fps=10, gop=None, ...)` -> started camera.

    Each call starts its own simulator process (the test may kill/freeze/restart it); all stop at teardown.
    """
    cameras: list[RtspCamera] = []

    def make(paths: tuple[str, ...] | list[str] = ("cam1",), **options: object) -> RtspCamera:
        camera = RtspCamera(tmp_path_factory.mktemp("rtsp"), tuple(paths), **options)  # type: ignore[arg-type]
        cameras.append(camera)
        return camera.start()

    yield make
    for camera in cameras:
        camera.stop()


@pytest.fixture(scope="session")
def rtsp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspCamera]:
    """One shared simulator, no auth, paths cam1..cam3. Do not kill it: use `rtsp_camera` for that."""
    camera = RtspCamera(tmp_path_factory.mktemp("rtsp-shared"), ("cam1", "cam2", "cam3")).start()
    yield camera
    camera.stop()
