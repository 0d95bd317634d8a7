"""A real Box (no cameras, or cameras the test adds) with its technician UI on a free 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.box import Box
from edge.config import EdgeConfig
from edge.sync import start_sync
from edge.techui.serve import OnSite

LABEL_PASSWORD = "label-pass-123"


@pytest.fixture
def onsite(tmp_path: Path) -> Iterator[Callable[..., OnSite]]:
    """Factory: `onsite(cameras=[...], gpio={...}, technician={...}, portal={...})` -> started box + UI (+ sync)."""
    started: list[tuple[OnSite, Box]] = []

    def make(
        cameras: list[dict[str, Any]] | None = None,
        gpio: dict[str, Any] | None = None,
        technician: dict[str, Any] | None = None,
        portal: dict[str, Any] | None = None,
        ota: dict[str, Any] | None = None,
    ) -> OnSite:
        config = EdgeConfig(
            device_id="entrance-7",
            data_dir=tmp_path / f"box{len(started)}",
            cameras=cameras or [],
            disk_reserve=0,
            gpio=gpio,
            portal=portal,
            ota=ota,
            technician={"label_password": LABEL_PASSWORD, **(technician or {})},
        )
        box = Box(config)
        box.start()
        sync = start_sync(box) if portal else None
        site = OnSite(box, sync=sync, port=0, bind="127.0.0.1", gpio_mock=True, advertise=False)
        started.append((site, box))
        return site.start()

    yield make
    for site, box in reversed(started):
        site.stop()
        if site.ui.sync is not None:
            site.ui.sync.stop()
        box.stop()
