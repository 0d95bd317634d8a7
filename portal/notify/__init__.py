"""The notification centre (docs/notify.md): every domain reaches a subscriber through `notify.outbox.notify`."""
