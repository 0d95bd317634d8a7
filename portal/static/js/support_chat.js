// Live chat: messages arrive over a WebSocket; with no socket the form posts normally and the page
// (which always renders the whole history) reloads. Reconnects pick up after the last message shown.
(function () {
  const list = document.getElementById("chat");
  const form = document.getElementById("chat-form");
  const state = document.getElementById("chat-state");
  if (!list) return;
  const chatId = list.dataset.chat;
  let socket = null;
  let retry = 1000;

  function lastId() {
    const items = list.querySelectorAll("[data-id]");
    return items.length ? Number(items[items.length - 1].dataset.id) : 0;
  }

  function show(msg) {
    if (list.querySelector(`[data-id="${msg.id}"]`)) return;
    const li = document.createElement("li");
    li.className = "chat-msg " + msg.author;
    li.dataset.id = msg.id;
    const who = document.createElement("b");
    who.textContent = (msg.author === "staff" ? "Поддержка" : "Абонент") + ": ";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = msg.text;  // never innerHTML: chat text is untrusted
    const at = document.createElement("span");
    at.className = "muted";
    at.textContent = " " + new Date(msg.at).toLocaleTimeString();
    li.append(who, text, at);
    list.append(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function setState(online) {
    if (!state) return;
    state.dataset.state = online ? "online" : "offline";
    state.textContent = online ? "В сети: сообщения приходят сразу" : "Нет соединения: сообщения отправляются с перезагрузкой страницы";
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/support/chats/${chatId}/ws?after=${lastId()}`);
    socket.onopen = () => { retry = 1000; setState(true); };
    socket.onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.error) { alert(data.error); return; }
      show(data);
    };
    socket.onclose = () => {
      setState(false);
      socket = null;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      const box = form.querySelector("textarea");
      if (!socket || socket.readyState !== WebSocket.OPEN) return;  // fallback: a normal post
      event.preventDefault();
      if (!box.value.trim()) return;
      socket.send(JSON.stringify({ text: box.value }));
      box.value = "";
    });
  }
  connect();
})();
