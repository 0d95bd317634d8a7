// The camera page: live view, the archive timeline, the precise cursor and the download flow (the seed's:
// fix the cursor at the start, press the download icon, choose a duration, press «Скачать»).
import { Archive, lookup, nextMark } from "./data.js";
import { Calendar } from "./calendar.js";
import { bindDownload } from "./download.js";
import { Player } from "./player.js";
import { Thumbs } from "./thumbs.js";
import { DAY, HOUR, MINUTE, makeClock, spanText } from "./time.js";
import { Timeline } from "./timeline.js";
import { View } from "./view.js";

const icon = (d) => `<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="${d}" fill="currentColor"/></svg>`;
const PLAY_ICON = icon("M7 4v16l13-8z");
const PAUSE_ICON = icon("M6 4h4v16H6zm8 0h4v16h-4z");

const root = document.getElementById("camera");
if (root) start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const reasons = JSON.parse($("gap-reasons").textContent);
  const retentionDays = Number(root.dataset.retentionDays) || 1;
  const clock = makeClock(root.dataset.tz);
  const archive = new Archive(root.dataset.timelineUrl, root.dataset.eventsUrl);
  // A phone shows six hours at first (ranges and gaps stay wide enough to tap), a desktop a day.
  const firstSpan = document.getElementById("timeline").clientWidth < 600 ? 6 * HOUR : DAY;
  const view = new View(retentionDays, Math.min(firstSpan, retentionDays * DAY));
  const thumbs = new Thumbs(root.dataset.thumbnailsUrl, $("hover-thumb"));
  const el = $("timeline");
  const gapNote = $("gap-note");
  const nearestBtn = $("nearest-btn");
  const playBtn = $("play-pause");
  const spanSel = $("span");
  let cursor = null;
  let nearest = null;
  let liveFresh = root.dataset.liveAvailable === "1";
  const reason = (code) => reasons[code] || code;

  const download = bindDownload(root, clock, () => cursor);
  const timeline = new Timeline(el, view, clock, reasons, { onPick: (ms) => show(ms, true), onHover: hover, onKey: key });
  const player = new Player($("player"), { live: root.dataset.liveUrl, archive: root.dataset.archiveUrl }, {
    onTime: (ms) => {
      // Playback running off the right edge takes the scale with it; a playhead elsewhere leaves it alone.
      const before = timeline.playhead;
      timeline.playhead = ms;
      const ranOff = before !== null && before >= view.start && before <= view.end && ms > view.end;
      if (player.mode === "archive" && ranOff && !view.following) view.pan(ms - view.start - view.span * 0.1);
      else timeline.drawLines();
    },
    onMode: (mode, why) => {
      $("mode").textContent = { live: "прямой эфир", archive: "архив", idle: "нет видео" }[mode];
      $("player-note").textContent = why || "";
      $("player-note").hidden = !why;
      for (const b of document.querySelectorAll("[data-rate]")) b.disabled = mode === "live";
      if (mode !== "archive") timeline.playhead = null;
    },
  });
  const calendar = new Calendar($("calendar"), $("calendar-btn"), archive, clock, retentionDays, (day, next, first) => {
    view.set(day, next - day);
    if (first !== null) show(first, false);
    else note(clock.longDay(day + DAY / 2) + ": записи нет", null);
  });

  // --- the view and its data -------------------------------------------------------------------------
  let loadTimer = null;
  let loadSeq = 0;
  function scheduleLoad() {
    clearTimeout(loadTimer);
    loadTimer = setTimeout(load, 120);
  }
  async function load() {
    const seq = ++loadSeq;
    const now = Date.now();
    const lo = Math.max(view.start - view.span / 2, view.oldest);
    const hi = Math.min(view.end + view.span / 2, now);
    const resolution = view.span / timeline.width() / 1000; // seconds per pixel
    try {
      const [facts, events] = await Promise.all([
        hi > lo ? archive.timeline(lo, hi, resolution) : { ranges: [], gaps: [] },
        archive.events(lo, hi),
      ]);
      if (seq !== loadSeq) return;
      timeline.facts = facts;
      timeline.events = events;
      const last = facts.ranges.length ? facts.ranges[facts.ranges.length - 1].e : 0;
      if (last > Date.now() - MINUTE) liveFresh = true;
    } catch (e) {
      if (seq !== loadSeq) return;
    }
    el.dataset.loaded = "1";
    timeline.render();
    thumbs.load(view.start, view.end, timeline.width());
  }

  function viewChanged() {
    timeline.render();
    const a = clock.longDay(view.start);
    const b = clock.longDay(Math.min(view.end, Date.now()));
    $("view-date").textContent = a === b ? a : a + " — " + b;
    const preset = [...spanSel.options].find((o) => Math.abs(Number(o.value) * 1000 - view.span) < 1000);
    const custom = $("span-custom");
    custom.hidden = Boolean(preset);
    if (preset) spanSel.value = preset.value;
    else { custom.textContent = spanText(view.span); spanSel.value = "custom"; }
    scheduleLoad();
  }
  view.onChange(viewChanged);

  // --- the cursor -------------------------------------------------------------------------------------
  function note(text, near) {
    gapNote.textContent = text;
    nearest = near;
    nearestBtn.hidden = near === null;
    if (near !== null) nearestBtn.textContent = "Ближайшая запись: " + clock.full(near);
  }

  function setCursor(ms) {
    cursor = Math.max(Math.min(ms, Date.now()), view.oldest);
    $("cursor-time").textContent = clock.full(cursor);
    el.setAttribute("aria-valuenow", String(Math.round(cursor / 1000)));
    el.setAttribute("aria-valuetext", clock.full(cursor));
    $("goto-time").value = clock.inputValue(cursor);
    download.enable(true);
    timeline.cursor = cursor;
    timeline.drawLines();
  }

  // Fix the cursor at `ms`, then ask the archive precisely what is there: recorded time plays (when `play`);
  // a gap says why and offers the nearest recorded moment.
  let probeSeq = 0;
  async function show(ms, play) {
    setCursor(ms);
    const at = cursor;
    const seq = ++probeSeq;
    let facts;
    try {
      facts = await archive.timeline(Math.max(at - 3 * HOUR, view.oldest), Math.min(at + 3 * HOUR, Date.now()), 1);
    } catch (e) {
      return;
    }
    if (seq !== probeSeq) return;
    const found = lookup(facts, at);
    if (found.range) {
      note("", null);
      if (play) player.archive(at);
      return;
    }
    const near = found.nearest ?? (calendar.coverage ? lookup(calendar.coverage, at).nearest : null);
    const why = found.gap ? reason(found.gap.reason) : "нет сведений о записи в это время";
    note("— записи нет: " + why, near);
  }
  nearestBtn.addEventListener("click", () => {
    if (nearest === null) return;
    view.reveal(nearest);
    show(nearest, true);
  });

  async function jumpMark(dir) {
    const base = cursor ?? timeline.playhead ?? Date.now();
    const lo = dir > 0 ? base : Math.max(base - 7 * DAY, view.oldest);
    const hi = dir > 0 ? Math.min(base + 7 * DAY, Date.now()) : base;
    if (hi <= lo) return;
    const [facts, events] = await Promise.all([archive.timeline(lo, hi, 1), archive.events(lo, hi)]);
    const mark = nextMark(facts, events, base, dir);
    if (mark === null) { note(dir > 0 ? "Дальше разрывов и событий нет" : "Раньше разрывов и событий нет", null); return; }
    view.reveal(mark);
    show(mark, true);
  }
  $("prev-mark").addEventListener("click", () => jumpMark(-1));
  $("next-mark").addEventListener("click", () => jumpMark(1));

  // --- hover and keyboard -----------------------------------------------------------------------------
  function hover(ms, clientX) {
    const box = $("hover-info");
    if (ms === null) { box.hidden = true; return; }
    const found = lookup(timeline.facts, ms);
    $("hover-text").textContent = clock.full(ms) + (found.range ? " — запись" : found.gap ? " — записи нет: " + reason(found.gap.reason) : "");
    thumbs.show(ms);
    box.hidden = false;
    const rect = el.getBoundingClientRect();
    const left = Math.max(0, Math.min(clientX - rect.left - box.offsetWidth / 2, rect.width - box.offsetWidth));
    box.style.left = left + "px";
  }

  let keyTimer = null;
  function key(e) {
    const step = e.shiftKey ? view.span / 4 : view.span / 60;
    const base = cursor ?? Math.min(view.start + view.span / 2, Date.now());
    const move = (ms) => {
      setCursor(ms);
      view.reveal(cursor);
      clearTimeout(keyTimer);
      keyTimer = setTimeout(() => show(cursor, false), 250);
    };
    if (e.key === "ArrowLeft" || e.key === "ArrowDown") move(base - step);
    else if (e.key === "ArrowRight" || e.key === "ArrowUp") move(base + step);
    else if (e.key === "PageUp") view.pan(-view.span);
    else if (e.key === "PageDown") view.pan(view.span);
    else if (e.key === "Home") view.set(view.oldest, view.span);
    else if (e.key === "End") view.set(Date.now(), view.span);
    else if (e.key === "+" || e.key === "=") view.zoomAt(0.5, anchor());
    else if (e.key === "-" || e.key === "_") view.zoomAt(2, anchor());
    else if (e.key === "Enter" || e.key === " ") { if (cursor !== null) show(cursor, true); }
    else return false;
    return true;
  }

  // Zoom keeps the cursor in place when it is on screen, else the middle of the view.
  const anchor = () => (cursor !== null && cursor >= view.start && cursor <= view.end ? cursor : undefined);

  // --- buttons ----------------------------------------------------------------------------------------
  $("zoom-in").addEventListener("click", () => view.zoomAt(0.5, anchor()));
  $("zoom-out").addEventListener("click", () => view.zoomAt(2, anchor()));
  $("earlier").addEventListener("click", () => view.pan(-view.span / 2));
  $("later").addEventListener("click", () => view.pan(view.span / 2));
  spanSel.addEventListener("change", () => {
    if (spanSel.value === "custom") return;
    const span = Number(spanSel.value) * 1000;
    if (cursor !== null && !view.following) view.centerOn(cursor, span);
    else view.set(Date.now() + span * 0.05 - span, span);
  });
  $("goto-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ms = clock.parseInput($("goto-time").value);
    if (ms === null) { note("Укажите дату и время", null); return; }
    if (ms > Date.now()) { note("Это время ещё не наступило", null); return; }
    if (ms < view.oldest) { note("Раньше начала архива (он хранится " + retentionDays + " дн.)", null); return; }
    view.centerOn(ms, Math.min(view.span, HOUR));
    show(ms, true);
  });
  $("goto-time").min = clock.inputValue(view.oldest);
  $("goto-time").max = clock.inputValue(Date.now());
  $("goto-time").value = clock.inputValue(Date.now());

  for (const b of document.querySelectorAll("[data-rate]")) {
    b.addEventListener("click", () => {
      player.setRate(Number(b.dataset.rate));
      for (const other of document.querySelectorAll("[data-rate]")) other.setAttribute("aria-pressed", String(other === b));
    });
  }
  const video = $("player");
  const playState = () => {
    const playing = !video.paused;
    playBtn.innerHTML = playing ? PAUSE_ICON : PLAY_ICON;
    playBtn.setAttribute("aria-label", playing ? "Пауза" : "Смотреть");
    playBtn.title = playBtn.getAttribute("aria-label");
  };
  video.addEventListener("play", playState);
  video.addEventListener("pause", playState);
  playBtn.addEventListener("click", () => {
    if (player.mode === "idle" && cursor !== null) show(cursor, true);
    else if (player.mode !== "idle") player.toggle();
  });

  // Live only when there is live video to ask for (a fresh segment), so the page makes no failing request.
  let liveTimer = null;
  async function goLive() {
    clearTimeout(liveTimer);
    if (liveFresh) {
      player.live();
      if (!view.following) view.set(Date.now(), view.span);
      return;
    }
    player.idle("Прямой эфир сейчас недоступен: камера не присылает видео. Проверяем каждые 15 секунд.");
    liveTimer = setTimeout(async () => {
      try {
        const recent = await archive.timeline(Date.now() - 2 * MINUTE, Date.now(), 1);
        const last = recent.ranges.length ? recent.ranges[recent.ranges.length - 1].e : 0;
        liveFresh = last > Date.now() - MINUTE;
      } catch (e) { /* next try */ }
      if (player.mode === "idle") goLive();
    }, 15000);
  }
  $("live-btn").addEventListener("click", goLive);

  // Light live view (the camera's sub-stream, relayed while watched): a choice remembered per browser; by default
  // on for narrow screens and for a browser that asks to save data.
  const lightUrl = root.dataset.lightUrl;
  const qualityBtn = $("quality-btn");
  if (lightUrl && qualityBtn) {
    const saved = window.localStorage.getItem("dozor.light");
    const saveData = navigator.connection && navigator.connection.saveData;
    let light = saved !== null ? saved === "1" : Boolean(saveData || window.matchMedia("(max-width: 600px)").matches);
    const apply = () => {
      player.urls.live = light ? lightUrl : root.dataset.liveUrl;
      qualityBtn.setAttribute("aria-pressed", light ? "true" : "false");
      qualityBtn.textContent = light ? "Экономно ✓" : "Экономно";
      root.dataset.quality = light ? "light" : "main";
    };
    apply();
    qualityBtn.addEventListener("click", () => {
      light = !light;
      window.localStorage.setItem("dozor.light", light ? "1" : "0");
      apply();
      if (player.mode === "live") player.live();
    });
  }

  // The now-line moves, and a view on the live edge slides with it (and reloads now and then).
  let ticks = 0;
  setInterval(() => {
    $("goto-time").max = clock.inputValue(Date.now()); // the field's own check must not refuse the last minutes
    if (view.tick()) { ticks++; if (ticks % 6 === 0) load(); }
    timeline.render();
  }, 5000);
  window.addEventListener("resize", () => timeline.render());

  viewChanged();
  calendar.refresh();
  goLive();
  playState();
}
