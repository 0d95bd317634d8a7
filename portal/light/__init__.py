"""Light live view: a box relays its camera's sub-stream only while someone watches (docs/live-light.md)."""
