// Sigap sandbox page: a small Telegram-like client for the sandbox server's JSON API.
// Message HTML comes from the server already sanitised (only Telegram's tags, built from
// entities, text escaped); everything else is put on the page with textContent.
"use strict";

const CAMAT_BELAWAN = { latitude: 3.7765, longitude: 98.6836 };

const state = {
  personas: [],
  current: null,
  chats: {},          // persona key → chat JSON
  unread: {},         // persona key → count
  actingAs: {},       // group persona key → member key
  replyTo: null,      // {id, sender, text}
  autoReplied: {},    // persona key → last force_reply message id taken
  pendingFile: null,
};

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    showToast(data.error || `Gagal (${response.status})`, false);
    throw new Error(data.error || response.statusText);
  }
  return data;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]).join("").toUpperCase();
}

const COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
function colorFor(key) {
  let h = 0;
  for (const ch of key) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

function avatar(el, persona) {
  el.textContent = persona.is_group ? "👥" : initials(persona.name);
  el.style.background = colorFor(persona.key);
}

// ---- personas ----------------------------------------------------------------------------

function renderPersonas() {
  const nav = $("personas");
  nav.replaceChildren();
  for (const p of state.personas) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "persona" + (p.key === state.current ? " active" : "");
    button.dataset.persona = p.key;
    const av = document.createElement("div");
    av.className = "avatar";
    avatar(av, p);
    const main = document.createElement("div");
    main.className = "persona-main";
    const name = document.createElement("div");
    name.className = "persona-name";
    name.textContent = p.name;
    const role = document.createElement("div");
    role.className = "persona-role";
    role.textContent = p.role;
    main.append(name, role);
    const last = lastMessage(p.key);
    if (last) {
      const preview = document.createElement("div");
      preview.className = "persona-preview";
      preview.textContent = (last.from_bot ? "" : (last.out || p.is_group ? `${last.sender.split(" ")[0]}: ` : "")) + textOf(last);
      main.append(preview);
    }
    button.append(av, main);
    const unread = state.unread[p.key] || 0;
    if (unread && p.key !== state.current) {
      const badge = document.createElement("span");
      badge.className = "badge unread";
      badge.textContent = String(unread);
      button.append(badge);
    }
    button.addEventListener("click", () => selectPersona(p.key));
    nav.append(button);
  }
}

function showPeople(open) {
  document.body.classList.toggle("people-open", open);
  $("people-button").setAttribute("aria-expanded", String(open));
}

async function selectPersona(key) {
  showPeople(false);
  state.current = key;
  state.unread[key] = 0;
  $("toast").hidden = true;
  state.replyTo = null;
  location.hash = key;
  renderPersonas();
  const persona = state.personas.find((p) => p.key === key);
  $("chat-title").textContent = persona.name;
  $("chat-subtitle").textContent = persona.role;
  avatar($("chat-avatar"), persona);
  const chat = await api("GET", `/api/chat/${key}`);
  state.chats[key] = chat;
  if (state.current !== key) return; // another person was picked while this chat loaded
  renderActingAs(persona);
  renderChat(true);
}

function renderActingAs(persona) {
  const box = $("acting-as-box");
  const select = $("acting-as");
  if (!persona.is_group) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  select.replaceChildren();
  for (const key of persona.members) {
    const member = state.personas.find((p) => p.key === key);
    const option = document.createElement("option");
    option.value = key;
    option.textContent = member.name;
    select.append(option);
  }
  select.value = state.actingAs[persona.key] || persona.members[0];
}

function actingAs() {
  const persona = state.personas.find((p) => p.key === state.current);
  if (!persona || !persona.is_group) return undefined;
  return state.actingAs[persona.key] || persona.members[0];
}

// ---- chat --------------------------------------------------------------------------------

function isOut(chat, message) {
  if (!chat.is_group) return message.out;
  return !message.from_bot && message.sender_key === actingAs();
}

// Whether the chat was scrolled to its newest message before something grew it.
let stuckToBottom = true;

function keepNewestInView() {
  const box = $("messages");
  if (stuckToBottom) box.scrollTop = box.scrollHeight;
}

function renderChat(forceScroll) {
  const chat = state.chats[state.current];
  if (!chat) return;
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.replaceChildren();
  // Whose chat is on screen (the list's highlight changes before the chat has loaded).
  box.dataset.persona = state.current;
  if (!chat.messages.length) {
    const hint = document.createElement("div");
    hint.className = "empty-hint";
    hint.textContent = chat.is_group
      ? "Belum ada pesan di grup ini."
      : "Belum ada pesan. Tekan MULAI atau ketik /start.";
    box.append(hint);
  }
  for (const message of chat.messages) {
    if (message.service) {
      const line = document.createElement("div");
      line.className = "day";
      line.textContent = message.service;
      box.append(line);
    } else {
      box.append(renderMessage(chat, message));
    }
  }
  $("start-bar").hidden = chat.is_group || chat.messages.length > 0;
  renderKeyboard(chat.keyboard);
  takeForceReply(chat);
  renderReplyBar();
  if (forceScroll || nearBottom) {
    box.scrollTop = box.scrollHeight;
    stuckToBottom = true;
  }
}

function renderMessage(chat, message) {
  const wrap = document.createDocumentFragment();
  const bubble = document.createElement("div");
  bubble.className = "msg" + (isOut(chat, message) ? " out" : "") + (message.archived ? " archived" : "");
  bubble.dataset.id = String(message.id);
  if (message.from_bot) bubble.dataset.fromBot = "1";
  if (chat.is_group && !isOut(chat, message)) {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = message.sender;
    bubble.append(sender);
  }
  if (message.reply_to) {
    const quote = document.createElement("div");
    quote.className = "quote";
    const who = document.createElement("b");
    who.textContent = message.reply_to.sender;
    const text = document.createElement("span");
    text.textContent = message.reply_to.text;
    quote.append(who, text);
    bubble.append(quote);
  }
  if (message.photo && !message.photo.url) {
    const gone = document.createElement("div");
    gone.className = "gone";
    gone.textContent = "🖼 Foto (dari sesi sandbox sebelumnya)";
    bubble.append(gone);
  } else if (message.photo) {
    const img = document.createElement("img");
    img.className = "photo";
    img.src = message.photo.url;
    img.alt = "foto";
    img.addEventListener("click", () => window.open(message.photo.url, "_blank"));
    // A photo grows the chat only once it has loaded: keep the newest message in view.
    img.addEventListener("load", keepNewestInView);
    bubble.append(img);
  }
  if (message.document) {
    const link = document.createElement("a");
    link.className = "doc";
    if (message.document.url) {
      link.href = message.document.url;
      link.setAttribute("download", message.document.name);
    }
    const icon = document.createElement("span");
    icon.className = "doc-icon";
    icon.textContent = "⬇";
    const name = document.createElement("span");
    name.textContent = `${message.document.name} · ${formatSize(message.document.size)}`;
    link.append(icon, name);
    bubble.append(link);
  }
  if (message.location) {
    const loc = document.createElement("a");
    loc.className = "location";
    const { latitude, longitude } = message.location;
    loc.href = `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=17/${latitude}/${longitude}`;
    loc.target = "_blank";
    loc.rel = "noopener noreferrer";
    loc.textContent = `📍 Lokasi ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
    bubble.append(loc);
  }
  if (message.contact) {
    const contact = document.createElement("div");
    contact.textContent = `📞 ${message.contact.phone}`;
    bubble.append(contact);
  }
  if (message.sticker !== undefined) {
    const sticker = document.createElement("div");
    sticker.style.fontSize = "48px";
    sticker.textContent = message.sticker;
    bubble.append(sticker);
  }
  if (message.voice !== undefined) {
    const voice = document.createElement("div");
    voice.textContent = `🎤 Pesan suara (${message.voice} dtk)`;
    bubble.append(voice);
  }
  if (message.html) {
    const body = document.createElement("div");
    body.className = "body";
    body.innerHTML = message.html; // sanitised by the server (sandbox/render.py)
    bubble.append(body);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const reply = document.createElement("button");
  reply.type = "button";
  reply.className = "reply-link";
  reply.hidden = Boolean(message.archived);
  reply.textContent = "↩ Balas";
  reply.addEventListener("click", () => {
    state.replyTo = { id: message.id, sender: message.sender, text: textOf(message) };
    renderReplyBar();
    $("text").focus();
  });
  const time = document.createElement("span");
  time.textContent = (message.edited ? "diedit " : "") + message.time;
  meta.append(reply, time);
  bubble.append(meta);
  wrap.append(bubble);
  if (message.buttons) {
    const keyboard = document.createElement("div");
    keyboard.className = "inline-keyboard";
    keyboard.dataset.messageId = String(message.id);
    for (const row of message.buttons) {
      const rowEl = document.createElement("div");
      rowEl.className = "inline-row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = button.text;
        b.addEventListener("click", () => pressInline(message.id, button));
        rowEl.append(b);
      }
      keyboard.append(rowEl);
    }
    wrap.append(keyboard);
  }
  return wrap;
}

function lastMessage(key) {
  const chat = state.chats[key];
  if (!chat) return null;
  return [...chat.messages].reverse().find((m) => !m.service) || null;
}

function textOf(message) {
  const div = document.createElement("div");
  div.innerHTML = message.html || "";
  const fallback = message.photo ? "🖼 Foto" : message.document ? `📎 ${message.document.name}`
    : message.location ? "📍 Lokasi" : message.contact ? "📞 Kontak" : "";
  return (div.textContent || fallback).slice(0, 100);
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function takeForceReply(chat) {
  const asking = [...chat.messages].reverse().find((m) => m.force_reply && !m.archived);
  if (!asking) return;
  if ((state.autoReplied[chat.persona] || 0) >= asking.id) return;
  state.autoReplied[chat.persona] = asking.id;
  const newer = chat.messages.some((m) => m.id > asking.id && !m.from_bot);
  if (newer) return;
  state.replyTo = { id: asking.id, sender: asking.sender, text: textOf(asking) };
  if (asking.placeholder) $("text").placeholder = asking.placeholder;
}

function renderReplyBar() {
  const bar = $("reply-bar");
  if (!state.replyTo) {
    bar.hidden = true;
    return;
  }
  bar.hidden = false;
  $("reply-sender").textContent = state.replyTo.sender;
  $("reply-text").textContent = state.replyTo.text;
}

function renderKeyboard(keyboard) {
  const box = $("keyboard");
  box.replaceChildren();
  if (!keyboard || !keyboard.rows.length) {
    box.hidden = true;
    $("text").placeholder = "Tulis pesan…";
    return;
  }
  box.hidden = false;
  if (keyboard.placeholder) $("text").placeholder = keyboard.placeholder;
  for (const row of keyboard.rows) {
    const rowEl = document.createElement("div");
    rowEl.className = "kb-row";
    for (const button of row) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = button.text;
      b.addEventListener("click", () => {
        if (button.request_location) openLocation();
        else if (button.request_contact) send("contact", {});
        else sendText(button.text);
      });
      rowEl.append(b);
    }
    box.append(rowEl);
  }
}

// ---- actions -----------------------------------------------------------------------------

async function send(kind, body) {
  const as = actingAs();
  if (as) body.as = as;
  return api("POST", `/api/chat/${state.current}/${kind}`, body);
}

async function sendText(text) {
  if (!text.trim()) return;
  const body = { text };
  if (state.replyTo) body.reply_to = state.replyTo.id;
  state.replyTo = null;
  renderReplyBar();
  $("text").placeholder = "Tulis pesan…";
  await send("send", body);
}

async function pressInline(messageId, button) {
  if (button.url) {
    window.open(button.url, "_blank", "noopener");
    return;
  }
  if (!button.data) return;
  await send("press", { message_id: messageId, data: button.data });
}

function openLocation() {
  $("latitude").value = "";
  $("longitude").value = "";
  $("location-dialog").showModal();
}

let toastTimer = null;
function showToast(text, alert) {
  const toast = $("toast");
  toast.textContent = text;
  toast.className = alert ? "alert" : "";
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, alert ? 5000 : 2500);
}

// ---- clock -------------------------------------------------------------------------------

function renderClock(clock) {
  $("clock-time").textContent = `${clock.time} ${clock.zone}`;
  $("clock-date").textContent = clock.date;
  $("clock-14").textContent = clock.jump_14;
  $("clock-monday").textContent = clock.jump_monday;
}

const JOB_NAMES = {
  reminders: "pengingat",
  complaint_deadlines: "tenggat aduan",
  weekly_digest: "ringkasan mingguan",
  supervisor_nudge: "dorongan atasan",
};

async function clockAction(action) {
  const result = await api("POST", "/api/clock", { action });
  renderClock(result.clock);
  const box = $("clock-result");
  if (result.ran) {
    const parts = Object.entries(result.ran).map(([name, n]) => `${JOB_NAMES[name] || name}: ${n}`);
    box.textContent = `Jadwal dijalankan · ${parts.join(", ")}`;
  } else {
    box.textContent = `Jam dimajukan ke ${result.clock.display}`;
  }
}

// ---- live updates ------------------------------------------------------------------------

let socketDelay = 500;
function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.addEventListener("open", () => {
    socketDelay = 500;
    document.body.dataset.live = "1";
    if (state.current) selectPersona(state.current);
  });
  ws.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "clock") renderClock(data.clock);
    else if (data.type === "chat") onChat(data.chat);
    else if (data.type === "toast" && data.persona === state.current) showToast(data.text, data.alert);
  });
  ws.addEventListener("close", () => {
    document.body.dataset.live = "0";
    setTimeout(connect, socketDelay);
    socketDelay = Math.min(socketDelay * 2, 5000);
  });
}

function onChat(chat) {
  const key = chat.persona;
  const before = state.chats[key];
  const live = (c) => c.messages.filter((m) => !m.archived && !m.service);
  const oldIds = new Set((before ? live(before) : []).map((m) => m.id));
  state.chats[key] = chat;
  if (key === state.current) {
    renderChat(false);
  } else {
    const fresh = live(chat).filter((m) => !oldIds.has(m.id) && m.from_bot).length;
    if (fresh) state.unread[key] = (state.unread[key] || 0) + fresh;
  }
  renderPersonas();
}

// ---- wiring ------------------------------------------------------------------------------

function wire() {
  $("people-button").addEventListener("click", () =>
    showPeople(!document.body.classList.contains("people-open")));
  $("sidebar-shade").addEventListener("click", () => showPeople(false));
  $("messages").addEventListener("scroll", () => {
    const box = $("messages");
    stuckToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  });
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    await sendText(text);
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("messages").addEventListener("click", (event) => {
    const command = event.target.closest("a[data-command]");
    if (command) {
      event.preventDefault();
      sendText(command.dataset.command);
      return;
    }
    const spoiler = event.target.closest("tg-spoiler");
    if (spoiler) spoiler.classList.toggle("shown");
  });
  $("start-button").addEventListener("click", () => sendText("/start"));
  $("reply-cancel").addEventListener("click", () => { state.replyTo = null; renderReplyBar(); });
  $("acting-as").addEventListener("change", (event) => {
    state.actingAs[state.current] = event.target.value;
    renderChat(false);
  });
  $("location-button").addEventListener("click", openLocation);
  $("location-cancel").addEventListener("click", () => $("location-dialog").close());
  $("preset-camat").addEventListener("click", () => {
    $("latitude").value = String(CAMAT_BELAWAN.latitude);
    $("longitude").value = String(CAMAT_BELAWAN.longitude);
  });
  $("location-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const latitude = Number($("latitude").value);
    const longitude = Number($("longitude").value);
    $("location-dialog").close();
    await send("location", { latitude, longitude });
  });
  $("attach-button").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", () => {
    const file = $("file-input").files[0];
    if (!file) return;
    state.pendingFile = file;
    $("attach-name").textContent = `${file.name} (${formatSize(file.size)})`;
    const isImage = file.type.startsWith("image/");
    document.querySelector('input[name=kind][value=photo]').checked = isImage;
    document.querySelector('input[name=kind][value=document]').checked = !isImage;
    $("attach-caption").value = "";
    $("attach-dialog").showModal();
  });
  $("attach-cancel").addEventListener("click", () => {
    $("attach-dialog").close();
    $("file-input").value = "";
  });
  $("attach-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData();
    form.append("file", state.pendingFile, state.pendingFile.name);
    form.append("kind", document.querySelector("input[name=kind]:checked").value);
    form.append("caption", $("attach-caption").value);
    const as = actingAs();
    if (as) form.append("as", as);
    $("attach-dialog").close();
    $("file-input").value = "";
    await api("POST", `/api/chat/${state.current}/upload`, form);
  });
  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", () => clockAction(button.dataset.clock));
  }
}

async function main() {
  wire();
  const data = await api("GET", "/api/state");
  state.personas = data.personas;
  renderClock(data.clock);
  // Every chat once, so later updates count only what is new as unread.
  await Promise.all(state.personas.map(async (p) => {
    state.chats[p.key] = await api("GET", `/api/chat/${p.key}`);
  }));
  const wanted = location.hash.slice(1);
  const first = state.personas.some((p) => p.key === wanted) ? wanted : state.personas[0].key;
  await selectPersona(first);
  connect();
}

main();
