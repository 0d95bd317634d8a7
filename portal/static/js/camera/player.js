// The video element: live or archive HLS through hls.js (Safari plays HLS itself), speed, play/pause, and the
// wall-clock time on screen (hls.js maps it from EXT-X-PROGRAM-DATE-TIME) for the playhead.
import { HOUR, iso } from "./time.js";

export class Player {
  constructor(video, urls, { onTime, onMode }) {
    this.video = video;
    this.urls = urls;
    this.onTime = onTime;
    this.onMode = onMode;
    this.hls = null;
    this.mode = "idle"; // live | archive | idle
    this.rate = 1;
    this.retryTimer = null;
    this.archiveEnd = null;
    video.addEventListener("timeupdate", () => {
      const date = this.playingDate();
      if (date !== null) {
        video.dataset.playingDate = iso(date);
        // The first moment shown after a load: where playback really started, against where it was asked to.
        if (!video.dataset.firstPlayingDate) video.dataset.firstPlayingDate = iso(date);
        this.onTime(date);
      }
    });
    // An archive playlist covers an hour from the cursor: at its end, go on with the next hour.
    video.addEventListener("ended", () => {
      if (this.mode === "archive" && this.archiveEnd !== null && this.archiveEnd < Date.now() - 10000) {
        this.archive(this.archiveEnd);
      }
    });
    video.addEventListener("ratechange", () => { this.video.defaultPlaybackRate = this.rate; });
  }

  playingDate() {
    if (this.hls && this.hls.playingDate) return this.hls.playingDate.getTime();
    const d = this.video.getStartDate && this.video.getStartDate();
    if (d && !isNaN(d.getTime())) return d.getTime() + this.video.currentTime * 1000;
    return null;
  }

  stop() {
    clearTimeout(this.retryTimer);
    if (this.hls) { this.hls.destroy(); this.hls = null; }
  }

  load(url) {
    this.stop();
    const video = this.video;
    delete video.dataset.playingDate;
    delete video.dataset.firstPlayingDate;
    if (window.Hls && window.Hls.isSupported()) {
      // One segment behind the live edge: latency stays within two segment lengths plus the upload.
      const hls = new window.Hls({ lowLatencyMode: false, liveSyncDurationCount: 1, liveMaxLatencyDurationCount: 3 });
      this.hls = hls;
      hls.loadSource(url);
      hls.attachMedia(video);
      hls.on(window.Hls.Events.ERROR, (_event, data) => {
        // 401: the session ended (logout elsewhere, password reset): media ends with it.
        if (data.response && data.response.code === 401) {
          window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
          return;
        }
        // A camera that paused: hls.js gives up on a fatal error, so try again shortly.
        if (data.fatal && this.hls === hls) {
          this.retryTimer = setTimeout(() => { if (this.hls === hls) this.load(url); }, 3000);
        }
      });
    } else {
      video.src = url;
    }
    video.defaultPlaybackRate = video.playbackRate = this.mode === "live" ? 1 : this.rate;
    video.play().catch(() => {});
  }

  live() {
    this.mode = "live";
    this.archiveEnd = null;
    this.onMode("live");
    this.load(this.urls.live);
  }

  archive(startMs) {
    this.mode = "archive";
    this.archiveEnd = Math.min(startMs + HOUR, Date.now());
    this.onMode("archive");
    this.video.dataset.requestedDate = iso(startMs);
    this.load(this.urls.archive + "?start=" + encodeURIComponent(iso(startMs)) +
      "&end=" + encodeURIComponent(iso(this.archiveEnd)));
  }

  idle(why) {
    this.stop();
    this.mode = "idle";
    this.video.removeAttribute("src");
    this.onMode("idle", why);
  }

  setRate(rate) {
    this.rate = rate;
    if (this.mode !== "live") this.video.defaultPlaybackRate = this.video.playbackRate = rate;
  }

  toggle() {
    if (this.video.paused) this.video.play().catch(() => {});
    else this.video.pause();
  }
}
