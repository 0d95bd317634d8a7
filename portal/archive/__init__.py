"""The video archive: object storage, index, timeline, live/archive HLS, clips, snapshots, retention.

Public entry points are listed in docs/archive.md.
"""
