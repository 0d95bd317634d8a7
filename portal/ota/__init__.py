"""OTA on the portal: bundle uploads (signature checked), rollouts in waves, per-box progress (docs/ota.md)."""
