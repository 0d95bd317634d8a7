"""Motion events from the boxes: stored from `event/motion`, listed per camera (JSON API, Forpost GetEvents)."""
