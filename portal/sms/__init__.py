"""Outgoing SMS (and e-mail codes): every message lands in the database outbox; a gateway delivers it."""
