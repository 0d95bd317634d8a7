// The visible window of the timeline: [start, start + span), zoomable from one minute to the whole retention,
// never panned before the oldest day the viewer may see nor far past now.
import { DAY, MINUTE } from "./time.js";

export const MIN_SPAN = MINUTE;

export class View {
  constructor(retentionDays, span = DAY) {
    this.retentionMs = retentionDays * DAY;
    this.span = span;
    this.start = Date.now() - span * 0.95;
    this.following = true; // the window slides with now (live edge on screen)
    this.listeners = [];
  }

  get end() { return this.start + this.span; }
  get oldest() { return Date.now() - this.retentionMs; }
  get maxSpan() { return this.retentionMs + this.retentionMs / 40; }

  onChange(fn) { this.listeners.push(fn); }
  changed() { for (const fn of this.listeners) fn(this); }

  // A little room after now so the now-line and the live edge stay visible.
  clamp() {
    this.span = Math.min(Math.max(this.span, MIN_SPAN), this.maxSpan);
    const latestEnd = Date.now() + this.span * 0.05;
    this.start = Math.max(Math.min(this.start, latestEnd - this.span), this.oldest - this.span * 0.05);
    this.following = this.end >= Date.now() && this.end <= latestEnd + 1;
  }

  set(start, span) {
    this.start = start;
    this.span = span;
    this.clamp();
    this.changed();
  }

  // Zoom by `factor` (< 1 closer) keeping the instant `anchor` where it is on screen.
  zoomAt(factor, anchor = this.start + this.span / 2) {
    const span = Math.min(Math.max(this.span * factor, MIN_SPAN), this.maxSpan);
    const at = (anchor - this.start) / this.span;
    this.set(anchor - at * span, span);
  }

  pan(deltaMs) { this.set(this.start + deltaMs, this.span); }

  centerOn(ms, span = this.span) { this.set(ms - span / 2, span); }

  // Keep the span, but bring `ms` on screen if it is not (a cursor set from the keyboard or the calendar).
  reveal(ms) {
    if (ms < this.start || ms > this.end) this.centerOn(ms);
  }

  // Slide with the clock while the live edge is on screen.
  tick() {
    if (!this.following) return false;
    this.start = Date.now() + this.span * 0.05 - this.span;
    this.clamp();
    return true;
  }

  fraction(ms) { return (ms - this.start) / this.span; }
  at(fraction) { return this.start + fraction * this.span; }
}
