"""The portal side of the box -> portal HTTP ingest contract (cloud_sync.segments)."""
