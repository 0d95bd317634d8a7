// Time on the camera page: instants are ms since the epoch (UTC); everything shown is in the contract's zone,
// not the browser's (a subscriber abroad still sees the entrance's local time).
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// Label steps the scale may use, smallest first; the first one whose labels do not crowd is taken.
const STEPS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY,
];

export const iso = (ms) => new Date(ms).toISOString();

export function makeClock(tz) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const full = new Intl.DateTimeFormat("ru-RU", {
    timeZone: tz, day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const hm = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, hour: "2-digit", minute: "2-digit" });
  const hms = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const dayMonth = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, day: "numeric", month: "short" });
  const longDay = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, day: "numeric", month: "long", year: "numeric" });
  const weekday = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, weekday: "short" });
  const monthYear = new Intl.DateTimeFormat("ru-RU", { timeZone: tz, month: "long", year: "numeric" });

  function fields(ms) {
    const o = {};
    for (const p of parts.formatToParts(ms)) o[p.type] = p.value;
    return { y: +o.year, m: +o.month, d: +o.day, h: +o.hour % 24, mi: +o.minute, s: +o.second };
  }
  // The zone's offset from UTC at an instant, in ms.
  function offset(ms) {
    const f = fields(ms);
    return Date.UTC(f.y, f.m - 1, f.d, f.h, f.mi, f.s) - Math.floor(ms / SECOND) * SECOND;
  }
  // The instant of a wall-clock time in the zone (Date.UTC carries overflowing days/months over).
  function fromLocal(y, m, d, h = 0, mi = 0, s = 0) {
    const guess = Date.UTC(y, m - 1, d, h, mi, s);
    return guess - offset(guess - offset(guess));
  }
  function startOfDay(ms) {
    const f = fields(ms);
    return fromLocal(f.y, f.m, f.d);
  }
  function addDays(ms, n) {
    const f = fields(ms);
    return fromLocal(f.y, f.m, f.d + n, f.h, f.mi, f.s);
  }
  // Label instants in [lo, hi] at a step aligned to the zone's wall clock (midnight, whole hours, ...).
  function ticks(lo, hi, step) {
    const out = [];
    if (step >= DAY) {
      const days = Math.round(step / DAY);
      for (let t = startOfDay(lo), i = 0; t <= hi && i < 1000; t = addDays(t, days), i++) if (t >= lo) out.push(t);
      return out;
    }
    const off = offset(lo);
    for (let t = Math.ceil((lo + off) / step) * step - off, i = 0; t <= hi && i < 1000; t += step, i++) out.push(t);
    return out;
  }
  function label(ms, step) {
    const f = fields(ms);
    if (step >= DAY || (f.h === 0 && f.mi === 0 && f.s === 0)) return dayMonth.format(ms).replace(".", "");
    return step < MINUTE ? hms.format(ms) : hm.format(ms);
  }
  // "HH:MM:SS" for <input type=datetime-local>, in the zone.
  function inputValue(ms) {
    const f = fields(ms);
    const p = (n) => String(n).padStart(2, "0");
    return `${f.y}-${p(f.m)}-${p(f.d)}T${p(f.h)}:${p(f.mi)}:${p(f.s)}`;
  }
  function parseInput(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || "");
    return m ? fromLocal(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] || 0)) : null;
  }
  return {
    fields, startOfDay, addDays, ticks, label, inputValue, parseInput,
    full: (ms) => full.format(ms),
    hms: (ms) => hms.format(ms),
    longDay: (ms) => longDay.format(ms),
    weekday: (ms) => weekday.format(ms),
    monthYear: (ms) => monthYear.format(ms),
  };
}

// The label step for a view: labels at least `minPx` apart on a scale `widthPx` wide.
export function tickStep(spanMs, widthPx, minPx) {
  for (const step of STEPS) if ((step / spanMs) * widthPx >= minPx) return step;
  return STEPS[STEPS.length - 1];
}

// "2 ч 15 мин" for a span of time.
export function spanText(ms) {
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.round((ms % HOUR) / MINUTE);
  const out = [];
  if (days) out.push(days + " дн.");
  if (hours) out.push(hours + " ч");
  if (minutes && !days) out.push(minutes + " мин");
  return out.join(" ") || Math.round(ms / SECOND) + " с";
}
