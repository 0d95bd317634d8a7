// The timeline strip: drawing (ranges, typed gaps, motion density, labels, now-line, cursor, playhead) and its
// input (tap/click picks a moment, drag pans, wheel and pinch zoom, keyboard steps and zooms).
import { tickStep } from "./time.js";

const DRAG_PX = 6; // a press that moves less than this is a tap, not a drag
const EVENT_BUCKET_PX = 3; // motion marks are drawn as a density per few pixels, whatever the zoom

export class Timeline {
  constructor(el, view, clock, reasons, handlers) {
    this.el = el;
    this.view = view;
    this.clock = clock;
    this.reasons = reasons;
    this.h = handlers; // onPick(ms), onHover(ms | null, clientX), onKey(event) -> handled
    this.track = el.querySelector("#track");
    this.ticksEl = el.querySelector("#ticks");
    this.nowLine = el.querySelector("#now-line");
    this.cursorEl = el.querySelector("#cursor");
    this.playheadEl = el.querySelector("#playhead");
    this.facts = { ranges: [], gaps: [] };
    this.events = [];
    this.cursor = null;
    this.playhead = null;
    this.pointers = new Map();
    this.gesture = null;
    this.bindInput();
  }

  width() { return this.el.clientWidth || 1; }
  msAt(clientX) {
    const rect = this.el.getBoundingClientRect();
    return this.view.at((clientX - rect.left) / (rect.width || 1));
  }
  reason(code) { return this.reasons[code] || code; }

  render() {
    const v = this.view;
    this.el.dataset.viewStart = String(Math.round(v.start)); // what is on screen, for anyone checking the scale
    this.el.dataset.viewEnd = String(Math.round(v.end));
    const frag = document.createDocumentFragment();
    const put = (cls, s, e, title) => {
      const from = Math.max(s, v.start);
      const to = Math.min(e, v.end);
      if (to <= from) return null;
      const el = document.createElement("div");
      el.className = cls;
      el.style.left = v.fraction(from) * 100 + "%";
      el.style.width = Math.max((to - from) / v.span * 100, 0.15) + "%";
      if (title) el.title = title;
      frag.appendChild(el);
      return el;
    };
    for (const r of this.facts.ranges) put("range", r.s, r.e);
    for (const g of this.facts.gaps) {
      const el = put("gap", g.s, g.e, "Записи нет: " + this.reason(g.reason));
      if (el) el.dataset.reason = g.reason;
    }
    this.drawEvents(frag);
    this.track.replaceChildren(frag);
    this.drawTicks();
    this.drawLines();
  }

  drawEvents(frag) {
    if (!this.events.length) return;
    const v = this.view;
    const buckets = Math.max(1, Math.floor(this.width() / EVENT_BUCKET_PX));
    const counts = new Array(buckets).fill(0);
    for (const ev of this.events) {
      const a = Math.floor(v.fraction(Math.max(ev.s, v.start)) * buckets);
      const b = Math.floor(v.fraction(Math.min(ev.e || ev.s, v.end)) * buckets);
      for (let i = Math.max(a, 0); i <= Math.min(b, buckets - 1); i++) counts[i]++;
    }
    const top = Math.max(...counts);
    counts.forEach((n, i) => {
      if (!n) return;
      const el = document.createElement("div");
      el.className = "event-mark";
      el.style.left = (i / buckets) * 100 + "%";
      el.style.width = 100 / buckets + "%";
      el.style.opacity = String(0.35 + 0.65 * (n / top));
      el.title = n === 1 ? "Движение" : "Движение: " + n;
      frag.appendChild(el);
    });
  }

  // Labels at a step that leaves room for each; any label that would stick out of the strip is dropped,
  // so every label on screen is whole and readable.
  drawTicks() {
    const v = this.view;
    const width = this.width();
    const step = tickStep(v.span, width, v.span < 2 * 60000 ? 72 : 52);
    const frag = document.createDocumentFragment();
    for (const t of this.clock.ticks(v.start, v.end, step)) {
      const mark = document.createElement("span");
      mark.className = "tick";
      mark.style.left = v.fraction(t) * 100 + "%";
      const label = document.createElement("span");
      label.className = "tick-label";
      label.textContent = this.clock.label(t, step);
      label.style.left = v.fraction(t) * 100 + "%";
      frag.append(mark, label);
    }
    this.ticksEl.replaceChildren(frag);
    const box = this.el.getBoundingClientRect();
    for (const label of this.ticksEl.querySelectorAll(".tick-label")) {
      const r = label.getBoundingClientRect();
      if (r.left < box.left + 1 || r.right > box.right - 1) label.remove();
    }
  }

  drawLines() {
    const place = (el, ms) => {
      const show = ms !== null && ms >= this.view.start && ms <= this.view.end;
      el.hidden = !show;
      if (show) el.style.left = this.view.fraction(ms) * 100 + "%";
    };
    place(this.nowLine, Date.now());
    place(this.cursorEl, this.cursor);
    place(this.playheadEl, this.playhead);
  }

  bindInput() {
    const el = this.el;
    el.addEventListener("pointerdown", (e) => {
      if (e.button > 0) return;
      try { el.setPointerCapture(e.pointerId); } catch (err) { /* a synthetic pointer has nothing to capture */ }
      this.pointers.set(e.pointerId, e.clientX);
      this.h.onHover(null);
      if (this.pointers.size === 1) {
        this.gesture = { kind: "press", x0: e.clientX, start0: this.view.start };
      } else if (this.pointers.size === 2) {
        const [a, b] = [...this.pointers.values()];
        this.gesture = { kind: "pinch", d0: Math.abs(a - b) || 1, span0: this.view.span, anchor: this.msAt((a + b) / 2) };
      }
    });
    el.addEventListener("pointermove", (e) => {
      if (!this.pointers.has(e.pointerId)) {
        if (e.pointerType === "mouse") this.h.onHover(this.msAt(e.clientX), e.clientX);
        return;
      }
      this.pointers.set(e.pointerId, e.clientX);
      const g = this.gesture;
      if (!g) return;
      if (g.kind === "pinch" && this.pointers.size === 2) {
        const [a, b] = [...this.pointers.values()];
        const factor = g.d0 / (Math.abs(a - b) || 1);
        this.view.zoomAt((g.span0 * factor) / this.view.span, g.anchor);
      } else if (g.kind !== "pinch" && (g.kind === "pan" || Math.abs(e.clientX - g.x0) > DRAG_PX)) {
        g.kind = "pan";
        this.view.set(g.start0 - ((e.clientX - g.x0) / this.width()) * this.view.span, this.view.span);
        this.h.onHover(null);
      }
    });
    const release = (e) => {
      if (!this.pointers.has(e.pointerId)) return;
      this.pointers.delete(e.pointerId);
      const g = this.gesture;
      if (this.pointers.size === 0) {
        this.gesture = null;
        if (g && g.kind === "press" && e.type === "pointerup") this.h.onPick(this.msAt(e.clientX));
      } else if (g && g.kind === "pinch") {
        this.gesture = { kind: "pinch-end" }; // the finger left behind does not pan or pick
      }
    };
    el.addEventListener("pointerup", release);
    el.addEventListener("pointercancel", release);
    el.addEventListener("pointerleave", (e) => { if (e.pointerType === "mouse") this.h.onHover(null); });
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        this.view.pan((e.deltaX / this.width()) * this.view.span);
      } else {
        this.view.zoomAt(Math.exp(Math.max(-200, Math.min(200, e.deltaY)) * 0.004), this.msAt(e.clientX));
      }
    }, { passive: false });
    el.addEventListener("keydown", (e) => { if (this.h.onKey(e)) e.preventDefault(); });
  }
}
