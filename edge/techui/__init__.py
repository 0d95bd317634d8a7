"""The technician web UI served on the box's LAN (FastAPI + Jinja2, Russian, phone-sized)."""
