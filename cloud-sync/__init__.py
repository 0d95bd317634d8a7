"""The wire contract between the entrance box and the portal, and the box-side clients that speak it.

Both `edge` and `portal` import this package; neither imports the other.
"""

WIRE_VERSION = "v1"
