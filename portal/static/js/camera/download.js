// The seed's download flow: the cursor is the start, the dialog picks a duration (or a custom one in minutes,
// capped at the retention), «Скачать» fetches the clip the portal cuts.
export function bindDownload(root, clock, getCursor) {
  const button = document.getElementById("download-btn");
  const dialog = document.getElementById("download-dialog");
  const durationSel = document.getElementById("duration");
  const link = document.getElementById("download-link");
  const customMinutes = document.getElementById("custom-minutes");
  const customLabel = document.getElementById("custom-label");
  const hint = document.getElementById("download-hint");

  function chosenSeconds() {
    const custom = durationSel.value === "custom";
    customMinutes.hidden = customLabel.hidden = !custom;
    if (!custom) return Number(durationSel.value);
    const max = Number(customMinutes.max);
    return Math.min(Math.max(1, Math.round(Number(customMinutes.value) || 1)), max) * 60;
  }

  function updateLink() {
    const cursor = getCursor();
    const duration = chosenSeconds();
    // One MP4 file (size known, resumable) holds at most a day; a longer range comes as one fragmented stream.
    const stream = duration > Number(root.dataset.maxFileSeconds);
    hint.hidden = !stream;
    link.href = root.dataset.downloadUrl + "?start=" + encodeURIComponent(new Date(cursor).toISOString()) +
      "&duration=" + duration + (stream ? "&format=fmp4" : "");
    const stamp = new Date(cursor).toISOString().replace(/[-:]/g, "").slice(0, 15);
    link.setAttribute("download", root.dataset.camera + "-" + stamp + "Z-" + duration + "s.mp4");
  }

  button.addEventListener("click", () => {
    if (getCursor() === null) return;
    document.getElementById("download-start").textContent = clock.full(getCursor());
    updateLink();
    dialog.showModal();
  });
  durationSel.addEventListener("change", updateLink);
  customMinutes.addEventListener("input", updateLink);
  link.addEventListener("click", () => setTimeout(() => dialog.close(), 0));
  return { enable: (on) => { button.disabled = !on; } };
}
