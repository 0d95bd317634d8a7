"""The box's GPIO: status LED patterns, service button, enclosure tamper switch, camera power relays."""
