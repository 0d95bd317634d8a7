"""Recording: one supervised ffmpeg per camera writing fMP4 runs into a spool, committed into the archive."""
