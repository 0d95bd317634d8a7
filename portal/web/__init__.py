"""Server-rendered web UI: the Jinja2 templates, their helpers, and the CSRF guard shared by every form."""
