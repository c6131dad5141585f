// The emulator's web chat: plain JavaScript, no build step. The server pushes a revision
// number over a WebSocket whenever the world changes; the page then reads the world and the
// open chat and shows them. All texts the server sends are either escaped HTML made by the
// server from a message's entities (`html`) or plain text put in with textContent.
"use strict";

// The page's language: ?lang=sv in its address, else the director's own. The director (the
// sandbox) sends the page's words in that language (world.panel.texts); without one they are
// the Finnish ones below.
const LANG = new URLSearchParams(location.search).get("lang") || "";

let TEXT = {
  defaultIntro: [
    "Valitse vasemmalta henkilö: näet hänen keskustelunsa botin kanssa ja voit kirjoittaa ja painaa painikkeita hänenä.",
    "Avaa toinen välilehti, jos haluat toimia samaan aikaan toisena henkilönä.",
  ],
  people: "Henkilöt",
  groups: "Ryhmät",
  noMessages: "Ei vielä viestejä. Kirjoita botille, esimerkiksi /start.",
  edited: "muokattu",
  download: "Lataa",
  menuEmpty: "Botti ei ole asettanut komentoja.",
  notMember: "Tämä henkilö ei ole ryhmän jäsen.",
  errorsTitle: (n) => `⚠ ${n} botin kutsua, jotka Telegram hylkäisi`,
  errorInChat: "Telegram hylkäisi tämän botin kutsun:",
  errorBanner: "Botti teki kutsun, jonka Telegram hylkäisi",
  members: (n) => `${n} jäsentä`,
  group: "ryhmä",
  busy: "Odota hetki…",
  sendFailed: "Viestin lähetys epäonnistui",
  pressFailed: "Painallus epäonnistui",
  unread: (n) => `${n} uutta`,
  service: {
    new_chat_members: (s) => `${s.by} lisäsi ryhmään: ${s.names.join(", ")}`,
    left_chat_member: (s) => `${s.by} poistui ryhmästä`,
    migrate_to_chat_id: () => "Ryhmä muutettiin superryhmäksi",
    migrate_from_chat_id: () => "Ryhmä muutettiin superryhmäksi",
    group_chat_created: (s) => `${s.by} loi ryhmän`,
    other: () => "Palveluviesti",
  },
};

const FINNISH = TEXT;

// A text with {n}, {by} or {names} in it, as a function of those values.
function filled(template) {
  return (value) => {
    const values = typeof value === "object" && value !== null ? value : { n: value };
    return template.replace(/\{(n|by|names)\}/g, (_, key) => {
      const v = values[key];
      return Array.isArray(v) ? v.join(", ") : String(v ?? "");
    });
  };
}

// The director's words for the page, in place of the Finnish ones; and the page's own
// elements (marked data-text, data-title, data-label, data-placeholder) in them.
function applyTexts(texts, language) {
  if (!texts) return;
  const t = (key, fallback) => (typeof texts[key] === "string" ? texts[key] : fallback);
  const f = (key, fallback) => (typeof texts[key] === "string" ? filled(texts[key]) : fallback);
  TEXT = {
    ...FINNISH,
    people: t("people", FINNISH.people),
    groups: t("groups", FINNISH.groups),
    noMessages: t("no_messages", FINNISH.noMessages),
    edited: t("edited", FINNISH.edited),
    download: t("download", FINNISH.download),
    menuEmpty: t("menu_empty", FINNISH.menuEmpty),
    notMember: t("not_member", FINNISH.notMember),
    errorsTitle: f("errors_title", FINNISH.errorsTitle),
    errorInChat: t("error_in_chat", FINNISH.errorInChat),
    errorBanner: t("error_banner", FINNISH.errorBanner),
    members: f("members", FINNISH.members),
    group: t("group", FINNISH.group),
    busy: t("busy", FINNISH.busy),
    sendFailed: t("send_failed", FINNISH.sendFailed),
    pressFailed: t("press_failed", FINNISH.pressFailed),
    unread: f("unread", FINNISH.unread),
    service: {
      new_chat_members: f("joined", FINNISH.service.new_chat_members),
      left_chat_member: f("left", FINNISH.service.left_chat_member),
      migrate_to_chat_id: f("migrated", FINNISH.service.migrate_to_chat_id),
      migrate_from_chat_id: f("migrated", FINNISH.service.migrate_from_chat_id),
      group_chat_created: f("group_created", FINNISH.service.group_chat_created),
      other: f("service", FINNISH.service.other),
    },
  };
  if (language) document.documentElement.lang = language;
  for (const [attribute, target] of [["data-text", "textContent"], ["data-title", "title"], ["data-label", "aria-label"], ["data-placeholder", "placeholder"]]) {
    for (const node of document.querySelectorAll(`[${attribute}]`)) {
      const words = texts[node.getAttribute(attribute)];
      if (typeof words !== "string") continue;
      if (target === "textContent") node.textContent = words;
      else node.setAttribute(target, words);
    }
  }
}

const state = {
  world: null,
  chat: null,
  route: null, // {chat: id, as: id}
  revision: -1,
  loading: false,
  again: false,
  pressed: new Map(), // callback query id -> button element, for this tab's presses
  shownAnswers: new Set(),
  rendered: new Map(), // message id -> {key, element}
  renderedChat: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ---- talking to the server ------------------------------------------------------------

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.description || `${response.status}`);
  return data;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/chat/ws`);
  socket.onopen = () => {
    $("connection").hidden = true;
    refresh();
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.revision !== state.revision) refresh();
  };
  socket.onclose = () => {
    $("connection").hidden = false;
    setTimeout(connect, 1000);
  };
}

async function refresh() {
  if (state.loading) {
    state.again = true;
    return;
  }
  state.loading = true;
  try {
    do {
      state.again = false;
      const world = await getJson(`/chat/api/world${LANG ? `?lang=${encodeURIComponent(LANG)}` : ""}`);
      let chat = null;
      const route = state.route;
      if (route) {
        chat = await getJson(`/chat/api/chat?chat_id=${route.chat}&as=${route.as}`).catch(() => null);
      }
      state.world = world;
      applyTexts(world.panel && world.panel.texts, world.panel && world.panel.language);
      state.revision = world.revision;
      state.chat = chat;
      render();
    } while (state.again);
  } catch (error) {
    console.warn("refresh failed", error);
  } finally {
    state.loading = false;
  }
}

// ---- routes: #chat=ID&as=ID --------------------------------------------------------------

function parseRoute() {
  const params = new URLSearchParams(location.hash.slice(1));
  const chat = Number(params.get("chat"));
  if (!params.get("chat") || Number.isNaN(chat)) return null;
  const as = Number(params.get("as") || chat);
  return { chat, as: Number.isNaN(as) ? chat : as };
}

function go(chat, as) {
  location.hash = `chat=${chat}&as=${as}`;
}

window.addEventListener("hashchange", () => {
  state.route = parseRoute();
  state.rendered.clear();
  state.renderedChat = null;
  state.chat = null;
  refresh();
});

// ---- drawing ------------------------------------------------------------------------------

function render() {
  renderSidebar();
  renderPanel();
  renderChat();
}

function initials(name) {
  const parts = name.split(/\s+/).filter(Boolean);
  return (parts[0]?.[0] || "?") + (parts[1]?.[0] || "");
}

function avatar(name, id) {
  const hue = Math.abs(Number(id) * 47) % 360;
  return el("div", { class: "avatar", style: `background: hsl(${hue} 55% 55%)`, text: initials(name) });
}

function seenKey(chatId) {
  return `goalbot-emulator-seen:${chatId}`;
}

function unreadOf(chatId, count) {
  const seen = Number(localStorage.getItem(seenKey(chatId)) || 0);
  return Math.max(count - seen, 0);
}

function renderSidebar() {
  const world = state.world;
  const panel = world.panel || {};
  $("title").textContent = panel.title || "Bot API -emulaattori";
  document.title = panel.title || "Bot API -emulaattori";
  $("bot-name").textContent = `@${world.bot.username}`;
  const list = $("chat-list");
  list.replaceChildren();
  const current = state.route;
  const item = (id, name, label, count, onclick, selected, extra) => {
    const unread = selected ? 0 : unreadOf(id, count);
    return el(
      "button",
      { class: `chat-item${selected ? " selected" : ""}`, type: "button", onclick, "data-chat": id, title: extra || label || name },
      avatar(name, id),
      el("span", { class: "chat-item-text" }, el("span", { class: "chat-item-name", text: name }), el("span", { class: "chat-item-label", text: label })),
      unread ? el("span", { class: "badge", text: String(unread), title: TEXT.unread(unread) }) : null,
    );
  };
  list.append(el("h2", { text: TEXT.people }));
  for (const person of world.people) {
    const selected = current && current.chat === person.id;
    list.append(item(person.id, person.name, person.label, person.bot_messages, () => go(person.id, person.id), selected, person.detail));
  }
  if (world.groups.length) {
    list.append(el("h2", { text: TEXT.groups }));
    for (const group of world.groups) {
      const selected = current && current.chat === group.id;
      list.append(
        item(group.id, group.title, TEXT.members(group.members.length), group.bot_messages, () => go(group.id, speakerFor(group)), selected),
      );
    }
  }
  const summary = $("error-summary");
  summary.hidden = !world.error_count;
  if (world.error_count) {
    const details = el("details", {}, el("summary", { text: TEXT.errorsTitle(world.error_count) }));
    for (const error of world.errors) details.append(el("div", { class: "error-line", text: error.call }));
    const wasOpen = summary.querySelector("details")?.open;
    details.open = Boolean(wasOpen);
    summary.replaceChildren(details);
  }
}

function speakerFor(group) {
  const members = group.members.map((m) => m.id);
  const last = Number(sessionStorage.getItem("goalbot-emulator-person"));
  if (members.includes(last)) return last;
  return members[0] ?? 0;
}

function renderPanel() {
  const panel = state.world.panel || {};
  const box = $("panel");
  const sections = panel.sections || [];
  box.hidden = !sections.length && !panel.notice;
  const busy = state.world.busy;
  const children = [];
  if (busy) children.push(el("div", { class: "banner busy", text: `⏳ ${busy}: ${TEXT.busy}` }));
  const notice = panel.notice && panel.notice.text ? el("div", { class: `banner ${panel.notice.level === "error" ? "error" : "info"}`, text: panel.notice.text }) : null;
  sections.forEach((section, index) => {
    const part = el("section", { class: "panel-section" });
    if (section.title) part.append(el("h2", { text: section.title }));
    for (const line of section.lines || []) {
      part.append(el("div", { class: `panel-line ${line.state || ""}`, text: line.text }));
    }
    for (const action of section.actions || []) part.append(actionControl(action, Boolean(busy)));
    // what the last action did, right under the controls that did it
    if (index === 0 && notice) part.append(notice);
    children.push(part);
  });
  if (!sections.length && notice) children.push(notice);
  const focused = document.activeElement;
  const keep = focused && box.contains(focused) && focused.tagName === "INPUT" ? focused.dataset.action : null;
  const kept = keep ? focused.value : null;
  box.replaceChildren(...children);
  if (keep) {
    const again = box.querySelector(`input[data-action="${keep}"]`);
    if (again) {
      again.value = kept;
      again.focus();
    }
  }
}

function actionControl(action, busy) {
  const wrap = el("div", { class: "panel-action" });
  let input = null;
  if (action.input === "date") {
    input = el("input", { type: "date", value: action.value || "", "data-action": action.id, "aria-label": action.label });
    wrap.append(input);
  }
  const button = el("button", {
    type: "button",
    class: action.primary ? "primary" : action.confirm ? "danger-outline" : "",
    disabled: busy,
    "data-action": action.id,
    text: action.label,
    onclick: () => runAction(action, input ? input.value : ""),
  });
  wrap.append(button);
  if (action.hint) wrap.append(el("div", { class: "panel-hint", text: action.hint }));
  return wrap;
}

async function runAction(action, value) {
  if (action.confirm && !(await confirmDialog(action.confirm))) return;
  try {
    await postJson("/chat/api/director", { action: action.id, value, label: action.label, language: LANG });
  } catch (error) {
    toast(`${action.label}: ${error.message}`);
  }
  refresh();
}

function renderChat() {
  const chat = state.chat;
  const route = state.route;
  const world = state.world;
  $("intro").hidden = Boolean(route);
  if (!route) {
    renderIntro($("intro"));
    for (const id of ["chat-header", "messages", "composer", "chat-errors"]) $(id).hidden = true;
    return;
  }
  if (!chat) return;
  $("chat-header").hidden = false;
  $("messages").hidden = false;
  $("chat-errors").hidden = false;
  $("composer").hidden = !chat.can_write;
  if (chat.chat.type === "private") sessionStorage.setItem("goalbot-emulator-person", String(chat.as));

  const person = world.people.find((p) => p.id === chat.chat.id);
  const group = world.groups.find((g) => g.id === chat.chat.id);
  $("chat-avatar").replaceWith(Object.assign(avatar(chat.chat.title, chat.chat.id), { id: "chat-avatar" }));
  $("chat-name").textContent = chat.chat.title;
  $("chat-detail").textContent = person ? [person.label, person.detail].filter(Boolean).join(" · ") : `${TEXT.group} · ${TEXT.members(group ? group.members.length : 0)}`;
  const speaker = $("speaker");
  speaker.hidden = chat.chat.type === "private";
  if (group) {
    const select = $("speaker-select");
    const options = group.members.map((m) => el("option", { value: m.id, text: m.name, selected: m.id === chat.as }));
    if (select.options.length !== options.length || select.value !== String(chat.as)) {
      select.replaceChildren(...options);
      select.value = String(chat.as);
    }
  }
  renderChatErrors(chat.errors);
  renderMessages(chat);
  renderMenu(chat.commands);
  showAnswers(chat.answers);
  const count = (person || group)?.bot_messages ?? 0;
  localStorage.setItem(seenKey(chat.chat.id), String(count));
}

function renderIntro(box) {
  const panel = state.world.panel || {};
  const paragraphs = panel.intro && panel.intro.length ? panel.intro : TEXT.defaultIntro;
  box.replaceChildren(...paragraphs.map((text, n) => el(n === 0 ? "h1" : "p", { text })));
}

function renderChatErrors(errors) {
  const box = $("chat-errors");
  box.replaceChildren(
    ...errors.slice(-3).map((error) => el("div", { class: "banner error" }, el("strong", { text: `${TEXT.errorBanner}: ` }), error.call)),
  );
}

function dayOf(seconds) {
  return new Intl.DateTimeFormat("fi-FI", { timeZone: zone(), weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(new Date(seconds * 1000));
}

function timeOf(seconds) {
  return new Intl.DateTimeFormat("fi-FI", { timeZone: zone(), hour: "2-digit", minute: "2-digit" }).format(new Date(seconds * 1000));
}

function zone() {
  return (state.world.panel && state.world.panel.timezone) || undefined;
}

function renderMessages(chat) {
  const box = $("messages");
  if (state.renderedChat !== `${chat.chat.id}/${chat.as}`) {
    box.replaceChildren();
    state.rendered.clear();
    state.renderedChat = `${chat.chat.id}/${chat.as}`;
  }
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const before = box.scrollHeight;
  const wanted = [];
  let day = null;
  if (!chat.messages.length) wanted.push({ key: "empty", make: () => el("div", { class: "empty", text: TEXT.noMessages }) });
  for (const message of chat.messages) {
    const thisDay = dayOf(message.date);
    if (thisDay !== day) {
      day = thisDay;
      wanted.push({ key: `day:${thisDay}`, make: () => el("div", { class: "day", text: thisDay }) });
    }
    const key = `m:${message.id}`;
    const signature = JSON.stringify(message) + chat.as;
    wanted.push({ key, signature, make: () => messageNode(message, chat) });
  }
  const next = new Map();
  const nodes = wanted.map((item) => {
    const old = state.rendered.get(item.key);
    if (old && old.signature === item.signature) {
      next.set(item.key, old);
      return old.element;
    }
    const element = item.make();
    next.set(item.key, { signature: item.signature, element });
    return element;
  });
  const same = nodes.length === box.children.length && nodes.every((n, i) => box.children[i] === n);
  if (!same) box.replaceChildren(...nodes);
  state.rendered = next;
  if (nearBottom || before === 0) box.scrollTop = box.scrollHeight;
}

function messageNode(message, chat) {
  if (message.kind === "service") {
    const words = TEXT.service[message.service.kind] || TEXT.service.other;
    return el("div", { class: "service", "data-message": message.id, text: words(message.service) });
  }
  const mine = !message.from_bot && message.sender.id === chat.as;
  const row = el("div", { class: `message ${message.from_bot ? "from-bot" : mine ? "mine" : "other"}`, "data-message": message.id });
  const bubble = el("div", { class: "bubble" });
  if (chat.chat.type !== "private" && !mine) bubble.append(el("div", { class: "sender", text: message.sender.name }));
  if (message.kind === "photo" && message.file) {
    bubble.append(el("a", { href: message.file.url, target: "_blank", rel: "noopener" }, el("img", { class: "photo", src: message.file.url, alt: message.file.name || "kuva" })));
  }
  if (message.kind === "document" && message.file) {
    bubble.append(
      el(
        "div",
        { class: "document" },
        el("div", { class: "document-icon", text: "📄" }),
        el("div", { class: "document-text" }, el("div", { class: "document-name", text: message.file.name }), el("div", { class: "muted", text: sizeText(message.file.size) })),
        el("a", { class: "document-download", href: message.file.download, download: message.file.name, text: TEXT.download }),
      ),
    );
  }
  if (message.html) {
    const text = el("div", { class: "text" });
    text.innerHTML = message.html; // made safe by the server: every character is escaped
    bubble.append(text);
  }
  bubble.append(el("div", { class: "meta", text: `${message.edited ? TEXT.edited + " " : ""}${timeOf(message.date)}` }));
  row.append(bubble);
  if (message.buttons.length) {
    const keyboard = el("div", { class: "keyboard" });
    for (const buttons of message.buttons) {
      const line = el("div", { class: "keyboard-row" });
      for (const button of buttons) line.append(keyboardButton(button, message, chat));
      keyboard.append(line);
    }
    row.append(keyboard);
  }
  return row;
}

function keyboardButton(button, message, chat) {
  if (button.type === "url") {
    return el("a", { class: "key", href: button.url, target: "_blank", rel: "noopener", text: `${button.text} ↗` });
  }
  const key = el("button", { type: "button", class: "key", text: button.text, disabled: button.type !== "callback" });
  key.addEventListener("click", () => press(key, button, message, chat));
  return key;
}

async function press(key, button, message, chat) {
  key.classList.add("pending");
  try {
    const answer = await postJson("/chat/api/press", { chat_id: chat.chat.id, as: chat.as, message_id: message.id, label: button.text });
    state.pressed.set(answer.query_id, key);
  } catch (error) {
    key.classList.remove("pending");
    toast(`${TEXT.pressFailed}: ${error.message}`);
  }
}

function showAnswers(answers) {
  for (const answer of answers) {
    if (!state.pressed.has(answer.id) || state.shownAnswers.has(answer.id)) continue;
    state.shownAnswers.add(answer.id);
    state.pressed.get(answer.id)?.classList.remove("pending");
    state.pressed.delete(answer.id);
    if (!answer.text) continue;
    if (answer.show_alert) alertDialog(answer.text);
    else toast(answer.text);
  }
}

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} Mt`;
  return `${Math.max(1, Math.round(bytes / 1024))} kt`;
}

// ---- the command menu and the composer --------------------------------------------------

function renderMenu(commands) {
  const menu = $("menu");
  const items = commands.map((c) =>
    el(
      "button",
      { type: "button", class: "menu-item", "data-command": c.command, onclick: () => pickCommand(c.command) },
      el("span", { class: "menu-command", text: `/${c.command}` }),
      el("span", { class: "menu-description", text: c.description }),
    ),
  );
  const key = JSON.stringify(commands);
  if (menu.dataset.key !== key) {
    menu.replaceChildren(...(items.length ? items : [el("div", { class: "muted", text: TEXT.menuEmpty })]));
    menu.dataset.key = key;
  }
}

function pickCommand(command) {
  $("menu").hidden = true;
  const input = $("text");
  input.value = `/${command} `;
  input.focus();
}

$("menu-button").addEventListener("click", () => {
  $("menu").hidden = !$("menu").hidden;
});

document.addEventListener("click", (event) => {
  if (!$("menu").hidden && !event.target.closest("#menu, #menu-button")) $("menu").hidden = true;
});

async function sendText(text, route = state.route) {
  if (!text.trim() || !route) return false;
  try {
    await postJson("/chat/api/send", { chat_id: route.chat, as: route.as, text });
    return true;
  } catch (error) {
    toast(`${TEXT.sendFailed}: ${error.message}`);
    return false;
  }
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value;
  if (await sendText(text)) input.value = "";
  input.focus();
});

$("speaker-select").addEventListener("change", (event) => {
  go(state.route.chat, Number(event.target.value));
});

// clicks in messages: commands are sent, invite links are opened as a chosen person
$("messages").addEventListener("click", (event) => {
  const command = event.target.closest("a.tg-command");
  if (command) {
    event.preventDefault();
    sendText(command.dataset.command);
    return;
  }
  const link = event.target.closest("a[href]");
  if (!link || !state.world) return;
  const match = link.href.match(/^https:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)$/);
  if (match && match[1].toLowerCase() === state.world.bot.username.toLowerCase()) {
    event.preventDefault();
    openInviteLink(match[2]);
  }
});

function openInviteLink(payload) {
  const dialog = $("link-dialog");
  $("link-command").textContent = `/start ${payload}`;
  const buttons = state.world.people.map((person) =>
    el(
      "button",
      {
        type: "button",
        class: "chat-item",
        onclick: async () => {
          dialog.close();
          go(person.id, person.id);
          await sendText(`/start ${payload}`, { chat: person.id, as: person.id });
        },
      },
      avatar(person.name, person.id),
      el("span", { class: "chat-item-text" }, el("span", { class: "chat-item-name", text: person.name }), el("span", { class: "chat-item-label", text: person.label })),
    ),
  );
  $("link-people").replaceChildren(...buttons);
  dialog.showModal();
}

// ---- toasts and dialogs ------------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 3500);
}

function alertDialog(text) {
  $("alert-text").textContent = text;
  $("alert-dialog").showModal();
}

function confirmDialog(text) {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

$("help-button").addEventListener("click", () => {
  if (!state.world) return;
  renderIntro($("help-text"));
  $("help-dialog").showModal();
});

state.route = parseRoute();
connect();
