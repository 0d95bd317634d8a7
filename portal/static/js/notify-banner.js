// The cabinet's banner of important messages in force and the unread badge (notification centre, docs/notify.md).
(function () {
  "use strict";
  const banner = document.getElementById("notify-banner");
  const badge = document.getElementById("notify-unread");
  const opts = { credentials: "same-origin", headers: { Accept: "application/json" } };
  fetch("/api/v1/messages/active", opts).then((r) => (r.ok ? r.json() : [])).then((items) => {
    if (!banner || !items.length) return;
    banner.replaceChildren(...items.map((m) => {
      const p = document.createElement("p");
      const b = document.createElement("strong");
      b.textContent = m.title;
      const link = document.createElement("a");
      link.href = "/notifications#n" + m.id;
      link.textContent = " подробнее";
      p.append(b, document.createTextNode(" — " + m.text), link);
      return p;
    }));
    banner.hidden = false;
  }).catch(() => {});
  fetch("/api/v1/notifications", opts).then((r) => (r.ok ? r.json() : null)).then((feed) => {
    if (badge && feed && feed.unread > 0) { badge.textContent = String(feed.unread); badge.hidden = false; }
  }).catch(() => {});
})();
