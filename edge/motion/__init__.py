"""Motion detection on the box: a cheap decode of one camera stream, frame differencing, events (docs/motion.md)."""
