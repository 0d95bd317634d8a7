// The date picker: every day of the retention the viewer may see, month by month, each marked with or without
// video (from one coarse timeline of the whole retention); a day opens the scale on that day.
import { DAY } from "./time.js";

const COARSE_S = 60; // one minute is plenty to tell a day with video from one without

export class Calendar {
  constructor(el, button, archive, clock, retentionDays, onDay) {
    this.el = el;
    this.button = button;
    this.archive = archive;
    this.clock = clock;
    this.retentionDays = retentionDays;
    this.onDay = onDay;
    this.coverage = null; // { ranges, gaps } of the whole retention, coarse
    button.addEventListener("click", () => (this.el.hidden ? this.open() : this.close()));
    el.addEventListener("keydown", (e) => { if (e.key === "Escape") { this.close(); button.focus(); } });
  }

  async refresh() {
    const now = Date.now();
    try {
      this.coverage = await this.archive.timeline(now - this.retentionDays * DAY, now, COARSE_S);
    } catch (e) {
      this.coverage = this.coverage || { ranges: [], gaps: [] };
    }
    return this.coverage;
  }

  async open() {
    this.el.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    if (!this.coverage) this.el.textContent = "Загрузка…";
    await this.refresh();
    this.draw();
    const first = this.el.querySelector("button.day");
    if (first) first.focus();
  }

  close() {
    this.el.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  }

  days() {
    const c = this.clock;
    const now = Date.now();
    const oldest = now - this.retentionDays * DAY;
    const out = [];
    for (let day = c.startOfDay(oldest), i = 0; day <= now && i < 4000; day = c.addDays(day, 1), i++) {
      const next = c.addDays(day, 1);
      const ranges = this.coverage.ranges.filter((r) => r.e > day && r.s < next);
      out.push({ day, next, first: ranges.length ? Math.max(ranges[0].s, day) : null });
    }
    return out;
  }

  draw() {
    const c = this.clock;
    const frag = document.createDocumentFragment();
    let grid = null;
    let month = null;
    for (const d of this.days()) {
      const f = c.fields(d.day + DAY / 2);
      if (month !== f.y * 12 + f.m) {
        month = f.y * 12 + f.m;
        const title = document.createElement("h3");
        title.textContent = c.monthYear(d.day + DAY / 2);
        grid = document.createElement("div");
        grid.className = "days";
        // Monday first: pad the month's first shown day to its weekday column.
        const weekday = (new Date(Date.UTC(f.y, f.m - 1, f.d)).getUTCDay() + 6) % 7;
        for (let i = 0; i < weekday; i++) grid.appendChild(document.createElement("span"));
        frag.append(title, grid);
      }
      const b = document.createElement("button");
      b.type = "button";
      b.className = "day " + (d.first === null ? "none" : "has");
      b.textContent = String(f.d);
      b.dataset.day = String(d.day);
      b.setAttribute("aria-label", c.longDay(d.day + DAY / 2) + (d.first === null ? " — нет записи" : " — есть запись"));
      b.title = d.first === null ? "Нет записи" : "Есть запись";
      b.addEventListener("click", () => { this.close(); this.onDay(d.day, d.next, d.first); });
      grid.appendChild(b);
    }
    const legend = document.createElement("p");
    legend.className = "muted";
    legend.innerHTML = '<span class="swatch rec"></span> есть запись · <span class="swatch none"></span> нет записи';
    this.el.replaceChildren(frag, legend);
  }
}
