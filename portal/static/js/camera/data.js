// The archive's facts as the timeline API gives them: recorded ranges and typed gaps (and motion events when
// that API exists). Windows longer than the API's 31 days are asked for in pieces. A superseded answer is
// ignored rather than aborted, so no request ever shows up as failed.
import { DAY, iso } from "./time.js";

const PIECE = 30 * DAY;

const parse = (items) => items.map((it) => ({ ...it, s: Date.parse(it.start), e: Date.parse(it.end) }));

async function getJson(url) {
  const res = await fetch(url, { credentials: "same-origin" });
  if (res.status === 401) {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
    throw new Error("session ended");
  }
  if (!res.ok) throw new Error(url + ": " + res.status);
  return res.json();
}

export class Archive {
  constructor(timelineUrl, eventsUrl) {
    this.timelineUrl = timelineUrl;
    this.eventsUrl = eventsUrl || null;
  }

  // Ranges and gaps of [lo, hi); `resolution` (s) joins ranges closer than that.
  async timeline(lo, hi, resolution = 0) {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
    const pieces = [];
    for (let a = lo; a < hi; a += PIECE) pieces.push([a, Math.min(a + PIECE, hi)]);
    const answers = await Promise.all(pieces.map(([a, b]) => getJson(
      this.timelineUrl + "?from=" + encodeURIComponent(iso(a)) + "&to=" + encodeURIComponent(iso(b)) +
      "&resolution=" + Math.max(0, Math.min(86400, resolution)).toFixed(3))));
    const out = { lo, hi, ranges: [], gaps: [] };
    for (const a of answers) {
      out.ranges.push(...parse(a.ranges));
      out.gaps.push(...parse(a.gaps));
    }
    return out;
  }

  async events(lo, hi) {
    if (!this.eventsUrl) return [];
    const url = this.eventsUrl + "?from=" + encodeURIComponent(iso(lo)) + "&to=" + encodeURIComponent(iso(hi)) +
      "&kind=motion";
    try {
      return parse(await getJson(url));
    } catch (e) {
      return [];
    }
  }
}

// What is at instant `ms`: the range holding it, or the gap holding it, and the nearest recorded moment.
export function lookup(facts, ms) {
  const range = facts.ranges.find((r) => r.s <= ms && ms < r.e) || null;
  const gap = range ? null : facts.gaps.find((g) => g.s <= ms && ms < g.e) || null;
  let nearest = null;
  if (!range) {
    let best = Infinity;
    for (const r of facts.ranges) {
      // A moment just inside the range: its start, or a second before its end.
      const candidate = ms < r.s ? r.s : Math.max(r.s, r.e - 1000);
      if (Math.abs(candidate - ms) < best) { best = Math.abs(candidate - ms); nearest = candidate; }
    }
  }
  return { range, gap, nearest };
}

// The next (dir > 0) or previous mark after `ms`: where a gap starts or ends, or where an event starts.
export function nextMark(facts, events, ms, dir) {
  const marks = [];
  for (const g of facts.gaps) marks.push(g.s, g.e);
  for (const ev of events) marks.push(ev.s);
  let best = null;
  for (const m of marks) {
    if (dir > 0 && m > ms + 999 && (best === null || m < best)) best = m;
    if (dir < 0 && m < ms - 999 && (best === null || m > best)) best = m;
  }
  return best;
}
