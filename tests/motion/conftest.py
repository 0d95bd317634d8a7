"""Fixtures shared with other suites: the Forpost test world (an in-process portal) and the technician UI box."""

from tests.forpost.conftest import world  # noqa: F401
from tests.techui.conftest import onsite  # noqa: F401
