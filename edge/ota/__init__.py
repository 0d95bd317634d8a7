"""Over-the-air updates of the box software: release slots, installer, supervisor with health gate (docs/ota.md)."""
