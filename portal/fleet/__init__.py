"""The fleet of entrance boxes: enrolment, broker credentials, the MQTT link (state in, commands out)."""
