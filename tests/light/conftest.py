"""The Forpost test world (an in-process portal with boxes, cameras and contracts) for the light live view tests."""

from tests.forpost.conftest import world  # noqa: F401
