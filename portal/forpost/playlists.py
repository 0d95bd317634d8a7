"""HLS playlists of a translation: live (sliding window) and archive (VOD from the requested moment).

Segment and init URIs are relative to the translation URL, so the translation's token is the only
credential the player carries; each run change is a discontinuity with its own EXT-X-MAP.
"""

import math

from portal.forpost.media_index import Piece


def playlist(pieces: list[Piece], *, live: bool) -> str:
    target = max((math.ceil(p.duration) for p in pieces), default=2)
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}"]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{pieces[0].seq if live and pieces else 0}")
    if not live:
        lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    run = None
    for piece in pieces:
        if piece.run_pk != run:
            if run is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f'#EXT-X-MAP:URI="init/{piece.run_pk}.mp4"')
            run = piece.run_pk
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{piece.start.isoformat(timespec='milliseconds')}")
        lines.append(f"#EXTINF:{piece.duration:.3f},")
        lines.append(f"seg/{piece.id}.m4s")
    if not live:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
