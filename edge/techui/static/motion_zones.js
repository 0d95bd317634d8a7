// Ignored zones drawn over the snapshot: rectangles in fractions of the frame, kept in #zones-input as JSON.
(function () {
  const img = document.getElementById("zones-snapshot");
  const canvas = document.getElementById("zones-canvas");
  const input = document.getElementById("zones-input");
  let zones = JSON.parse(input.value || "[]");
  let start = null;
  let draft = null;

  function fit() {
    canvas.width = img.clientWidth || 640;
    canvas.height = img.clientHeight || 360;
    draw();
  }
  function draw() {
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    for (const z of zones.concat(draft ? [draft] : [])) {
      g.fillStyle = "rgba(200, 0, 0, 0.35)";
      g.strokeStyle = "#c00";
      const r = [z.x * canvas.width, z.y * canvas.height, z.w * canvas.width, z.h * canvas.height];
      g.fillRect(...r);
      g.strokeRect(...r);
    }
  }
  function at(event) {
    const box = canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return { x: clamp((event.clientX - box.left) / box.width), y: clamp((event.clientY - box.top) / box.height) };
  }
  function rect(a, b) {
    const round = (v) => Math.round(v * 1000) / 1000;
    const x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
    return { x: round(x), y: round(y), w: round(Math.abs(a.x - b.x)), h: round(Math.abs(a.y - b.y)) };
  }
  function save() { input.value = JSON.stringify(zones); draw(); }

  canvas.addEventListener("pointerdown", (e) => { start = at(e); canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", (e) => { if (start) { draft = rect(start, at(e)); draw(); } });
  canvas.addEventListener("pointerup", (e) => {
    const end = at(e);
    const z = rect(start, end);
    start = null;
    draft = null;
    if (z.w < 0.01 || z.h < 0.01) {  // a tap: remove the zone under it
      zones = zones.filter((q) => !(end.x >= q.x && end.x <= q.x + q.w && end.y >= q.y && end.y <= q.y + q.h));
    } else {
      zones.push(z);
    }
    save();
  });
  document.getElementById("zones-clear").addEventListener("click", () => { zones = []; save(); });
  img.addEventListener("load", fit);
  img.addEventListener("error", fit);  // no recording yet: draw on an empty frame of the same shape
  window.addEventListener("resize", fit);
  fit();
})();
