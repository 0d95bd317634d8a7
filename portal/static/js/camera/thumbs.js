// Preview pictures on hover and scrub, from the downloads domain's sprite (GET …/thumbnails): one sprite per
// view, tiles in rows of (sprite width / tile width). Without that API (no URL on the page) nothing is asked for.
const TILE_PX = 90; // about one preview per this many pixels of the scale

export class Thumbs {
  constructor(url, box) {
    this.url = url || null;
    this.box = box;
    this.sheet = null; // { lo, hi, sprite_url, tile_width, tile_height, tiles, columns }
    this.pending = null;
  }

  // Ask for the sprite of the view when the view changed enough (debounced by the caller).
  async load(lo, hi, widthPx) {
    if (!this.url) return;
    const key = lo + ":" + hi;
    if (this.pending === key) return;
    this.pending = key;
    const n = Math.max(2, Math.min(60, Math.round(widthPx / TILE_PX)));
    const url = this.url + "?from=" + encodeURIComponent(new Date(lo).toISOString()) +
      "&to=" + encodeURIComponent(new Date(hi).toISOString()) + "&n=" + n;
    try {
      const res = await fetch(url, { credentials: "same-origin" });
      if (!res.ok || this.pending !== key) return;
      const sheet = await res.json();
      const img = new Image();
      img.src = sheet.sprite_url;
      await img.decode();
      if (this.pending !== key) return;
      sheet.columns = Math.max(1, Math.floor(img.naturalWidth / sheet.tile_width));
      sheet.tiles = sheet.tiles.filter((t) => t.time).map((t) => ({ ...t, ms: Date.parse(t.time) }));
      this.sheet = sheet;
    } catch (e) {
      // No preview is no loss: the scale works without pictures.
    }
  }

  show(ms) {
    const s = this.sheet;
    if (!this.url || !s || !s.tiles.length) { this.box.hidden = true; return; }
    let best = s.tiles[0];
    for (const t of s.tiles) if (Math.abs(t.ms - ms) < Math.abs(best.ms - ms)) best = t;
    const col = best.index % s.columns;
    const row = Math.floor(best.index / s.columns);
    Object.assign(this.box.style, {
      width: s.tile_width + "px", height: s.tile_height + "px",
      backgroundImage: `url("${s.sprite_url}")`,
      backgroundPosition: `-${col * s.tile_width}px -${row * s.tile_height}px`,
    });
    this.box.hidden = false;
  }
}
