// Camera page: live view, the archive timeline (scrub by click or drag), and the seed's download flow:
// fix the cursor at the start, press the download icon, choose a duration, press «Скачать».
(function () {
  "use strict";
  const root = document.getElementById("camera");
  if (!root) return;
  const video = document.getElementById("player");
  const timeline = document.getElementById("timeline");
  const cursorEl = document.getElementById("cursor");
  const cursorText = document.getElementById("cursor-time");
  const gapNote = document.getElementById("gap-note");
  const modeEl = document.getElementById("mode");
  const spanSel = document.getElementById("span");
  const downloadBtn = document.getElementById("download-btn");
  const dialog = document.getElementById("download-dialog");
  const durationSel = document.getElementById("duration");
  const downloadLink = document.getElementById("download-link");
  const reasons = JSON.parse(document.getElementById("gap-reasons").textContent);
  const tz = root.dataset.tz;
  const fmt = new Intl.DateTimeFormat("ru-RU", {
    timeZone: tz, day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const tickFmt = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, hour: "2-digit", minute: "2-digit" });

  let windowEnd = Date.now();
  let cursor = null; // ms since epoch, fixed by click/drag
  let data = { ranges: [], gaps: [] };
  let hls = null;

  const spanMs = () => Number(spanSel.value) * 1000;
  const windowStart = () => windowEnd - spanMs();
  const iso = (ms) => new Date(ms).toISOString();
  const pct = (ms) => ((ms - windowStart()) / spanMs()) * 100;

  let retryTimer = null;

  function play(url) {
    clearTimeout(retryTimer);
    if (hls) { hls.destroy(); hls = null; }
    if (window.Hls && window.Hls.isSupported()) {
      // One segment behind the live edge: latency stays within two segment lengths plus the upload.
      hls = new window.Hls({ lowLatencyMode: false, liveSyncDurationCount: 1, liveMaxLatencyDurationCount: 3 });
      hls.loadSource(url);
      hls.attachMedia(video);
      // No video yet (404) or the camera paused (503): hls.js gives up on a fatal error, so try again shortly
      // instead of leaving a black player until the subscriber reloads the page.
      const mine = hls;
      hls.on(window.Hls.Events.ERROR, (_event, data) => {
        // 401: the session ended (logout elsewhere, password reset): media ends with it, so go to the login page.
        if (data.response && data.response.code === 401) {
          window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
          return;
        }
        if (data.fatal && hls === mine) retryTimer = setTimeout(() => { if (hls === mine) play(url); }, 3000);
      });

    } else {
      video.src = url; // Safari plays HLS natively
    }
    video.play().catch(() => {});
  }

  // The wall-clock time on screen (hls.js maps it from EXT-X-PROGRAM-DATE-TIME), kept on the element for
  // anyone who wants to show or check how far behind live the picture is.
  video.addEventListener("timeupdate", () => {
    if (hls && hls.playingDate) video.dataset.playingDate = hls.playingDate.toISOString();
  });

  function goLive() {
    modeEl.textContent = "прямой эфир";
    play(root.dataset.liveUrl);
  }

  function bar(cls, item) {
    const el = document.createElement("div");
    el.className = cls;
    const from = Math.max(Date.parse(item.start), windowStart());
    const to = Math.min(Date.parse(item.end), windowEnd);
    if (to <= from) return null;
    el.style.left = pct(from) + "%";
    el.style.width = Math.max(pct(to) - pct(from), 0.2) + "%";
    if (item.reason) el.title = reasons[item.reason] || item.reason;
    return el;
  }

  function draw() {
    timeline.querySelectorAll(".range, .gap").forEach((el) => el.remove());
    for (const r of data.ranges) { const el = bar("range", r); if (el) timeline.insertBefore(el, cursorEl); }
    for (const g of data.gaps) { const el = bar("gap", g); if (el) timeline.insertBefore(el, cursorEl); }
    const ticks = document.getElementById("ticks");
    ticks.textContent = "";
    for (let i = 1; i < 6; i++) {
      const t = windowStart() + (spanMs() * i) / 6;
      const span = document.createElement("span");
      span.style.left = pct(t) + "%";
      span.textContent = tickFmt.format(t);
      ticks.appendChild(span);
    }
    showCursor();
  }

  async function load() {
    const url = root.dataset.timelineUrl + "?from=" + encodeURIComponent(iso(windowStart())) +
      "&to=" + encodeURIComponent(iso(windowEnd));
    try {
      const res = await fetch(url, { credentials: "same-origin" });
      data = res.ok ? await res.json() : { ranges: [], gaps: [] };
    } catch (e) {
      data = { ranges: [], gaps: [] };
    }
    timeline.dataset.loaded = "1";
    draw();
  }

  function gapAt(ms) {
    return data.gaps.find((g) => Date.parse(g.start) <= ms && ms < Date.parse(g.end));
  }

  function showCursor() {
    if (cursor === null || cursor < windowStart() || cursor > windowEnd) { cursorEl.hidden = true; return; }
    cursorEl.hidden = false;
    cursorEl.style.left = pct(cursor) + "%";
  }

  function setCursor(ms) {
    cursor = Math.min(Math.max(ms, windowStart()), Math.min(windowEnd, Date.now()));
    cursorText.textContent = fmt.format(cursor);
    timeline.setAttribute("aria-valuetext", fmt.format(cursor));
    const gap = gapAt(cursor);
    gapNote.textContent = gap ? "— записи нет: " + (reasons[gap.reason] || gap.reason) : "";
    downloadBtn.disabled = false;
    showCursor();
  }

  function playCursor() {
    if (cursor === null) return;
    modeEl.textContent = "архив";
    const end = Math.min(cursor + 3600000, Date.now());
    play(root.dataset.archiveUrl + "?start=" + encodeURIComponent(iso(cursor)) + "&end=" + encodeURIComponent(iso(end)));
  }

  function msAt(clientX) {
    const rect = timeline.getBoundingClientRect();
    return windowStart() + ((clientX - rect.left) / rect.width) * spanMs();
  }

  let dragging = false;
  timeline.addEventListener("pointerdown", (e) => {
    dragging = true;
    timeline.setPointerCapture(e.pointerId);
    setCursor(msAt(e.clientX));
  });
  timeline.addEventListener("pointermove", (e) => { if (dragging) setCursor(msAt(e.clientX)); });
  timeline.addEventListener("pointerup", () => { if (dragging) { dragging = false; playCursor(); } });
  timeline.addEventListener("keydown", (e) => {
    const step = spanMs() / 100;
    if (e.key === "ArrowLeft") setCursor((cursor ?? windowEnd) - step);
    else if (e.key === "ArrowRight") setCursor((cursor ?? windowEnd) + step);
    else if (e.key === "Enter") playCursor();
  });

  document.getElementById("earlier").addEventListener("click", () => {
    const oldest = Date.now() - Number(root.dataset.retentionDays) * 86400000;
    windowEnd = Math.max(windowEnd - spanMs() / 2, oldest + spanMs());
    load();
  });
  document.getElementById("later").addEventListener("click", () => {
    windowEnd = Math.min(windowEnd + spanMs() / 2, Date.now());
    load();
  });
  spanSel.addEventListener("change", load);
  document.getElementById("live-btn").addEventListener("click", goLive);

  const customMinutes = document.getElementById("custom-minutes");
  const customLabel = document.getElementById("custom-label");

  // A custom length (up to the retention) is typed in minutes; the API takes seconds.
  function chosenSeconds() {
    const custom = durationSel.value === "custom";
    customMinutes.hidden = customLabel.hidden = !custom;
    if (!custom) return Number(durationSel.value);
    const max = Number(customMinutes.max);
    const minutes = Math.min(Math.max(1, Math.round(Number(customMinutes.value) || 1)), max);
    return minutes * 60;
  }

  function updateLink() {
    const duration = chosenSeconds();
    downloadLink.href = root.dataset.downloadUrl + "?start=" + encodeURIComponent(iso(cursor)) +
      "&duration=" + duration;
    const stamp = new Date(cursor).toISOString().replace(/[-:]/g, "").slice(0, 15);
    downloadLink.setAttribute("download", root.dataset.camera + "-" + stamp + "Z-" + duration + "s.mp4");
  }

  downloadBtn.addEventListener("click", () => {
    if (cursor === null) return;
    document.getElementById("download-start").textContent = fmt.format(cursor);
    updateLink();
    dialog.showModal();
  });
  durationSel.addEventListener("change", updateLink);
  customMinutes.addEventListener("input", updateLink);
  downloadLink.addEventListener("click", () => setTimeout(() => dialog.close(), 0));

  load();
  goLive();
})();
