from collections.abc import Callable, Iterator

import pytest

from tests.scale.stack import ScaleStack, make_stack


@pytest.fixture
def scale_stack(pg_server, s3, tmp_path_factory) -> Iterator[Callable[..., ScaleStack]]:
    """Factory: ``scale_stack(boxes=50, cameras=2)`` -> PostgreSQL + S3 + tuned Mosquitto, boxes enrolled."""
    made: list[tuple[ScaleStack, str]] = []

    def make(boxes: int, cameras: int) -> ScaleStack:
        name = pg_server.create_database()
        stack = make_stack(
            tmp_path_factory.mktemp("scale"), pg_server.url(name), s3.storage_url(s3.new_bucket()), boxes, cameras
        )
        made.append((stack, name))
        return stack

    yield make
    for stack, name in made:
        stack.stop()
        pg_server.drop_database(name)
