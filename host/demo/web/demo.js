// The demo page: polls /api/state and renders both panes; every action is a
// small POST. Plain DOM code on purpose: no build step, nothing to install.
"use strict";

const $ = (sel) => document.querySelector(sel);
const threadBoxes = new Map(); // thread id -> {root, list, last}
let lastChat = "";
let plugin = "";

// What the desk pane is, per desk plugin.
const deskViews = {
  webhook: { sub: "conversations the webhook plugin delivered", reply: "Answer as the agent…" },
  slack: { sub: "Slack channel: one thread per conversation", reply: "Answer in the thread…" },
  helpscout: { sub: "Help Scout mailbox: chat conversations and their threads", reply: "Reply to the customer…" },
  hipchat: { sub: "HipChat room: notifications by #handle", reply: "Type into the room (sent as #N …)" },
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text; // never innerHTML: texts come from users
  return e;
}

// linkify appends text with its http(s) addresses as links, built from
// text nodes only.
function linkify(parent, text) {
  for (const part of text.split(/(https?:\/\/[^\s()]+)/)) {
    if (/^https?:\/\//.test(part)) {
      const a = el("a", "", part);
      a.href = part;
      a.target = "_blank";
      a.rel = "noopener";
      parent.append(a);
    } else if (part) {
      parent.append(part);
    }
  }
  return parent;
}

function clock(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function showError(msg) {
  const e = $("#error");
  e.textContent = msg;
  e.hidden = false;
  clearTimeout(showError.t);
  showError.t = setTimeout(() => (e.hidden = true), 5000);
}

async function post(path, body, isForm) {
  const opts = { method: "POST", headers: { "X-Parley-Demo": "1" }, body };
  if (!isForm) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(path, opts);
  if (!r.ok) {
    const j = await r.json().catch(() => ({}));
    showError(j.error || r.statusText);
    return false;
  }
  refresh();
  return true;
}

function renderChat(msgs) {
  const key = JSON.stringify(msgs);
  if (key === lastChat) return;
  lastChat = key;
  const box = $("#chat");
  box.replaceChildren();
  for (const m of msgs) {
    const b = el("div", "msg " + m.from);
    if (m.text) b.append(el("span", "text", m.text));
    for (const f of m.files || []) b.append(el("span", "file", "📄 " + f));
    b.append(el("time", "", (m.edited ? "edited " : "") + clock(m.at)));
    box.append(b);
    // An inline keyboard hangs under its message, as in Telegram; a tap goes
    // to the bot as a callback_query.
    if (m.buttons && m.buttons.length) {
      const kb = el("div", "kb");
      for (const row of m.buttons) {
        const r = el("div", "kb-row");
        for (const btn of row) {
          const k = el("button", "kb-btn", btn.text);
          k.type = "button";
          k.addEventListener("click", async () => {
            k.disabled = true;
            await post("/api/chat/tap", { message_id: m.id, data: btn.data });
            k.disabled = false;
          });
          r.append(k);
        }
        kb.append(r);
      }
      box.append(kb);
    }
  }
  box.scrollTop = box.scrollHeight;
}

function threadBox(t) {
  let tb = threadBoxes.get(t.id);
  if (tb) return tb;
  const root = el("article", "thread");
  root.dataset.thread = t.id;
  const h = el("h3", "", t.contact || "Customer");
  // The customer's profile photo, once the host has looked it up.
  const avatar = el("img", "avatar");
  avatar.alt = "";
  avatar.hidden = true;
  h.prepend(avatar);
  const label = el("small");
  h.append(" ", label);
  // The conversation's state and its lifecycle buttons, where the desk has them.
  const state = el("span", "state");
  const acts = el("span", "lifecycle");
  h.append(state, acts);
  const list = el("div", "dlist");
  const form = el("form", "reply-box");
  const ta = el("textarea", "reply-text");
  ta.placeholder = (deskViews[plugin] || deskViews.webhook).reply.replace("#N", t.label || "#N");
  const btn = el("button", "reply-send", "Reply");
  btn.type = "submit";
  form.append(ta, btn);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = ta.value.trim();
    if (!text) return;
    btn.disabled = true;
    if (await post("/api/desk/reply", { thread: t.id, text })) ta.value = "";
    btn.disabled = false;
  });
  ta.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  root.append(h, list, form);
  tb = { root, list, label, state, acts, avatar, last: "", lastState: "" };
  threadBoxes.set(t.id, tb);
  return tb;
}

function renderDesk(threads) {
  const desk = $("#desk");
  if (threads.length === 0) return;
  const empty = desk.querySelector(".empty");
  if (empty) empty.remove();
  for (const t of threads) {
    const tb = threadBox(t);
    if (!tb.root.isConnected) desk.prepend(tb.root);
    if (t.photo && tb.avatar.getAttribute("src") !== t.photo) {
      tb.avatar.src = t.photo;
      tb.avatar.hidden = false;
    }
    renderLifecycle(t, tb);
    const key = JSON.stringify(t.messages);
    if (key === tb.last) continue;
    tb.last = key;
    tb.list.replaceChildren();
    for (const m of t.messages) {
      const d = el("div", "dmsg " + m.from + (m.kind ? " kind-" + m.kind : ""));
      const who = el("div", "who", m.from === "agent" ? "You (agent)" : m.from === "note" ? "Note" : t.contact || "Customer");
      // A note is Parley's notice already: no "notice" tag on it.
      if (m.kind && m.kind !== "text" && !(m.from === "note" && m.kind === "notice")) who.append(el("span", "kind", m.kind));
      d.append(who);
      if (m.text) d.append(linkify(el("div", "text"), m.text));
      for (const f of m.files || []) {
        if (f.too_large) {
          d.append(el("div", "too-large", "⚠ " + f.name + " (" + f.size + ") is too large for a bot to download: ask the customer for another way"));
        } else {
          const a = el("a", "file-link", "📄 " + f.name + " (" + f.size + ")");
          a.href = f.url;
          a.target = "_blank";
          a.rel = "noopener";
          d.append(el("div"), a);
        }
      }
      d.append(el("time", "", clock(m.at)));
      tb.list.append(d);
    }
  }
}

const actionLabels = { claim: "Claim", unclaim: "Unclaim", close: "Close", reopen: "Reopen" };

function stateText(t) {
  if (t.status) return t.status;
  switch (t.state) {
    case "open": return "open";
    case "claimed": return "👀 claimed by " + (t.claimed_by || "an agent");
    case "closed": return "✅ closed";
  }
  return "";
}

// renderLifecycle shows a thread's label, state and lifecycle buttons.
function renderLifecycle(t, tb) {
  const key = JSON.stringify([t.label, t.state, t.claimed_by, t.status, t.actions]);
  if (key === tb.lastState) return;
  tb.lastState = key;
  // The label may carry the desk's own status (Help Scout's "· closed").
  tb.label.textContent = t.label || "conversation " + t.id.slice(0, 8);
  tb.root.dataset.state = t.state || "";
  tb.state.textContent = stateText(t);
  tb.state.className = "state" + (t.state ? " state-" + t.state : "");
  tb.acts.replaceChildren();
  for (const a of t.actions || []) {
    const b = el("button", "act act-" + a, actionLabels[a] || a);
    b.type = "button";
    b.addEventListener("click", async () => {
      b.disabled = true;
      await post("/api/desk/action", { thread: t.id, action: a });
      b.disabled = false;
    });
    tb.acts.append(b);
  }
}

async function refresh() {
  try {
    const r = await fetch("/api/state", { cache: "no-store" });
    if (!r.ok) return;
    const s = await r.json();
    if (s.plugin !== plugin) {
      plugin = s.plugin;
      $("#plugin").textContent = plugin;
      $("#desk-sub").textContent = (deskViews[plugin] || deskViews.webhook).sub;
    }
    $("#status-link").href = s.status_url;
    renderChat(s.chat || []);
    renderDesk(s.threads || []);
  } catch (e) {
    // The demo is stopping or restarting; the next poll tries again.
  }
}

$("#chat-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#chat-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await post("/api/chat/text", { text });
});
$("#send-file-btn").addEventListener("click", () => $("#file-input").click());
$("#file-input").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (!f) return;
  const form = new FormData();
  form.append("file", f);
  await post("/api/chat/file", form, true);
  ev.target.value = "";
});
$("#send-large").addEventListener("click", () => post("/api/chat/large"));
// A fixed point rather than the browser's position: the demo asks for no permission.
$("#send-location").addEventListener("click", () => post("/api/chat/location", { lat: 52.5163, lon: 13.3777 }));

refresh();
setInterval(refresh, 700);
