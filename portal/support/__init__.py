"""The support desk (issue 14): tickets from the form and the bot, attachments, live chat, visitor requests,
contacts per city. Routers: portal/routers/support*.py and operator_support.py; see docs/support.md."""
