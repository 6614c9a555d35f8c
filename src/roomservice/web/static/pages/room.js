// The room page (/r/{code}): members, chat, host controls and the game table, kept live by the
// session's socket. Someone who is not in the room yet gets a join panel first.

import { ApiError } from "/static/roomservice.js";
import {
  $,
  client,
  confirmDialog,
  describe,
  dialog,
  ensureSession,
  fill,
  gameName,
  h,
  joinRoom,
  lockIcon,
  renderNav,
  stateLabel,
  toast,
} from "/static/pages/common.js";

const code = decodeURIComponent(location.pathname.split("/")[2] || "").toUpperCase();
const main = $("#main");

let socket = null;
let me = null;
let table = null; // the mounted game table: {update, event, error} (error returns true when it expected it)
const names = new Map(); // session id → last known username (outlives a member leaving)
const away = new Set(); // members seen going offline, so "is back" is said only after "is offline"
let gameInfo = null; // the room's game, with its options schema

const inviteUrl = () => `${location.origin}/r/${code}`;
const isHost = (room) => room && room.host_session_id === me;
const membersOf = (room) => (room ? [...room.players, ...room.spectators] : []);
const seatOf = (room) => membersOf(room).find((m) => m.session_id === me);

function banner(text) {
  const el = $("#banner");
  el.textContent = text || "";
  el.hidden = !text;
}

/** A full-page notice: what happened, with the way back to the lobby after `buttons`. */
function pageNotice(id, title, text, ...buttons) {
  fill(
    main,
    h(
      "div",
      { class: "notice big", role: "alert", id },
      h("h1", { text: title }),
      h("p", { text }),
      h("div", { class: "row" }, ...buttons, h("a", { class: "button primary", href: "/lobby" }, "Back to lobby")),
    ),
  );
}

/** The room is over for us: say why, and offer the way out. */
function finalMessage(title, text, ...buttons) {
  socket?.close();
  socket = null;
  banner("");
  pageNotice("final", title, text, ...buttons);
}

// -- before joining ----------------------------------------------------------------------------

async function joinPanel(room, session) {
  const full = room.player_count >= room.capacity;
  const canPlay = room.state !== "IN_GAME" && !full;
  const canWatch = room.config.allow_spectators;
  const elsewhere = session.room_code && session.room_code !== room.room_code;
  const go = async (spectator) => {
    if (await joinRoom(room, { spectator })) enterRoom();
  };
  fill(
    main,
    h(
      "section",
      { class: "panel", "aria-labelledby": "join-title" },
      h("h1", { id: "join-title" }, room.has_password ? lockIcon() : null, h("span", { text: room.name })),
      h("p", { class: "muted", text: `${await gameName(room.game)} · ${stateLabel(room.state)} · ${room.player_count}/${room.capacity} players · host ${room.host || "nobody"}` }),
      elsewhere
        ? h("p", { class: "notice" }, "You already have a seat in room ", h("strong", { text: session.room_code }), ". Joining here asks you to leave it first.")
        : null,
      h(
        "div",
        { class: "row" },
        canPlay ? h("button", { type: "button", class: "primary", id: "join", onClick: () => go(false) }, "Join the room") : null,
        canWatch ? h("button", { type: "button", id: "watch", onClick: () => go(true) }, "Watch") : null,
        !canPlay && !canWatch ? h("p", { text: room.state === "IN_GAME" ? "A game is in progress." : "The room is full." }) : null,
        h("a", { class: "button", href: "/lobby" }, "Back to lobby"),
      ),
    ),
  );
  $("#join, #watch")?.focus();
}

// -- layout ------------------------------------------------------------------------------------

function layout() {
  fill(
    main,
    h(
      "div",
      { class: "room-head" },
      h("h1", { id: "room-name" }),
      h("span", { class: "code", id: "room-code", title: "Room code", text: code }),
      h("span", { id: "room-state", class: "state" }),
      h("span", { id: "room-game", class: "muted" }),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "danger", id: "leave", onClick: leave }, "Leave room"),
    ),
    h(
      "div",
      { class: "room-grid" },
      h(
        "section",
        { class: "panel game-area", "aria-labelledby": "game-title" },
        h("h2", { id: "game-title", text: "Game" }),
        h("div", { id: "host-controls", class: "row" }),
        h("p", { id: "replay-link" }),
        h("div", { id: "game" }),
        h("p", { id: "game-error", class: "game-error", role: "alert" }),
        h("ol", { id: "game-log", class: "game-log", "aria-label": "Game log" }),
      ),
      h(
        "div",
        { class: "room-side" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "invite-title" },
          h("h2", { id: "invite-title", text: "Invite" }),
          h(
            "div",
            { class: "invite" },
            h("label", { for: "invite-link", class: "sr-only", text: "Invite link" }),
            h("input", { id: "invite-link", readonly: true, value: inviteUrl(), onFocus: (e) => e.target.select() }),
            h("button", { type: "button", id: "copy-invite", onClick: copyInvite }, "Copy invite link"),
          ),
          h("p", { id: "invite-note", class: "muted small" }),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "players-title" },
          h("h2", { id: "players-title", text: "Players" }),
          h("ul", { class: "members", id: "players" }),
          h("h3", { id: "spectators-title", text: "Spectators" }),
          h("ul", { class: "members", id: "spectators", "aria-labelledby": "spectators-title" }),
        ),
        h(
          "section",
          { class: "panel chat", "aria-labelledby": "chat-title" },
          h("h2", { id: "chat-title", text: "Chat" }),
          h("ol", { id: "chat-log", "aria-live": "polite", "aria-label": "Chat messages", tabindex: "0" }),
          h(
            "form",
            { id: "chat-form", onSubmit: sendChat },
            h("label", { for: "chat-input", class: "sr-only", text: "Message" }),
            h("input", { id: "chat-input", autocomplete: "off", maxlength: 500, placeholder: "Say something…" }),
            h("button", { type: "submit" }, "Send"),
          ),
        ),
      ),
    ),
  );
}

async function copyInvite() {
  try {
    await navigator.clipboard.writeText(inviteUrl());
    toast("Invite link copied.");
  } catch {
    $("#invite-link").select();
    toast("Select the link and copy it.");
  }
}

async function leave() {
  try {
    await client.leave(code);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === "not_in_room")) {
      toast(describe(err));
      return;
    }
  }
  socket?.close();
  location.assign("/lobby");
}

// -- rendering ---------------------------------------------------------------------------------

function member(m, room) {
  const host = room.host_session_id === m.session_id;
  return h(
    "li",
    { "data-member": m.session_id },
    h("span", { class: `dot${m.online ? " online" : ""}`, "aria-hidden": "true" }),
    h("span", { class: "uname", text: m.username }),
    host ? h("span", { class: "badge host", text: "host" }) : null,
    m.bot ? h("span", { class: "badge bot", text: "bot" }) : null,
    m.session_id === me ? h("span", { class: "badge you", text: "you" }) : null,
    h("span", { class: "sr-only", text: m.online ? "online" : "offline" }),
    !m.online ? h("span", { class: "muted small", "aria-hidden": "true", text: "offline" }) : null,
    isHost(room) && m.session_id !== me
      ? h("button", { type: "button", "aria-label": `Kick ${m.username}`, "data-kick": m.session_id, onClick: () => kick(m) }, "Kick")
      : null,
  );
}

async function kick(m) {
  if (!(await confirmDialog("Kick a player", `Remove ${m.username} from the room?`, "Kick"))) return;
  try {
    await client.kick(code, m.session_id);
  } catch (err) {
    toast(describe(err));
  }
}

async function render() {
  const room = socket?.room;
  if (!room) return;
  document.title = `${room.name} · roomservice`;
  $("#room-name").textContent = room.name;
  const state = $("#room-state");
  state.textContent = stateLabel(room.state);
  state.className = `state ${room.state}`;
  $("#room-game").textContent = await gameName(room.game);
  fill($("#players"), room.players.length ? room.players.map((m) => member(m, room)) : h("li", { class: "muted", text: "Nobody yet" }));
  fill($("#spectators"), room.spectators.map((m) => member(m, room)));
  $("#spectators-title").hidden = !room.spectators.length;
  $("#invite-note").textContent = room.private
    ? "This room is private: it is not in the lobby, so share this link."
    : "Anyone in the lobby can find this room too.";
  renderHostControls(room);
  renderReplayLink(room);
  if (!socket?.game) renderWaiting(room);
}

/** After a game, a link to watch it again. */
function renderReplayLink(room) {
  const over = room.state === "FINISHED" && room.last_game_id;
  fill($("#replay-link"), over ? h("a", { href: `/replay/${encodeURIComponent(room.last_game_id)}`, id: "watch-replay" }, "Watch the replay") : null);
}

function renderWaiting(room) {
  const need = room.config.min_players - room.players.length;
  fill(
    $("#game"),
    h("p", { class: "game-status", id: "waiting" }, need > 0
      ? `Waiting for ${need} more player${need === 1 ? "" : "s"} (${room.players.length}/${room.capacity}).`
      : isHost(room)
        ? "Everyone is here: start the game when you are ready."
        : `Waiting for ${room.host || "the host"} to start the game.`),
  );
}

function renderHostControls(room) {
  const box = $("#host-controls");
  // Only the host has controls; during a game, only the one that ends it.
  if (!isHost(room)) {
    fill(box);
    return;
  }
  if (room.state === "IN_GAME") {
    fill(box, h("button", { type: "button", id: "end-game", onClick: endGame }, "End game"));
    return;
  }
  const enough = room.players.length >= room.config.min_players;
  fill(
    box,
    h(
      "button",
      { type: "button", class: "primary", id: "start", disabled: !enough, title: !enough ? `Needs ${room.config.min_players} players` : null, onClick: start },
      room.state === "FINISHED" ? "Play again" : "Start game",
    ),
    Object.keys(gameInfo?.options_schema?.properties || {}).length
      ? h("button", { type: "button", id: "start-options", disabled: !enough, onClick: startWithOptions }, "Start with options…")
      : null,
    botPicker(room),
    h("button", { type: "button", id: "configure", onClick: configure }, "Configure"),
  );
}

/** Host, between games: how many of the free seats the server's bots take (the room's `config.bots`),
 * so a person can play alone. */
function botPicker(room) {
  const people = room.players.filter((m) => !m.bot).length;
  const most = Math.max(room.capacity - people, room.config.bots);
  const select = h(
    "select",
    { id: "bots", onChange: () => setBots(select, Number(select.value)) },
    ...Array.from({ length: most + 1 }, (_, n) => h("option", { value: n, selected: n === room.config.bots, text: String(n) })),
  );
  return h("label", { class: "inline", for: "bots" }, "Bots ", select);
}

async function setBots(select, bots) {
  select.disabled = true;
  try {
    await client.configure(code, { bots });
  } catch (err) {
    toast(describe(err));
    render();
  } finally {
    select.disabled = false;
  }
}

/** Host: end the running game for everyone (its result says it was abandoned). */
async function endGame() {
  if (!(await confirmDialog("End the game", "The game stops now for everyone, with no winner.", "End game"))) return;
  try {
    await client.end(code);
  } catch (err) {
    toast(describe(err));
  }
}

/** Host: start with the game's default options. */
async function start() {
  try {
    await client.start(code);
    $("#game-error").textContent = "";
  } catch (err) {
    toast(describe(err));
  }
}

/** Host: start with the game's options, a form made from its options schema (offered only when the
 * schema has properties). */
async function startWithOptions() {
  const info = gameInfo;
  const props = Object.entries(info.options_schema.properties);
  const inputs = props.map(([key, schema]) => {
    const types = [].concat(schema.type || "string");
    const id = `opt-${key}`;
    const number = types.includes("number") || types.includes("integer");
    const bool = types.includes("boolean");
    const input = h("input", { id, name: key, type: bool ? "checkbox" : number ? "number" : "text", step: number ? "any" : null, "data-kind": bool ? "bool" : number ? "number" : "json", placeholder: schema.default ?? null });
    return [key, input, h("div", { class: bool ? "field check" : "field" }, h("label", { for: id, text: key }), input, schema.description ? h("span", { class: "hint", text: schema.description }) : null)];
  });
  const error = h("p", { class: "error-text", role: "alert" });
  const form = h(
    "form",
    { novalidate: true },
    inputs.map(([, , el]) => el),
    h("p", { class: "muted small", text: "Leave a field empty for its default." }),
    error,
    h("div", { class: "actions" }, h("button", { type: "button", onClick: () => dlg.close() }, "Cancel"), h("button", { type: "submit", class: "primary" }, "Start")),
  );
  const dlg = dialog({ title: `Start ${info.name}`, label: "start-options" }, form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const options = {};
    try {
      for (const [key, input] of inputs) {
        if (input.dataset.kind === "bool") {
          if (input.checked) options[key] = true;
        } else if (input.value.trim() !== "") {
          options[key] = input.dataset.kind === "number" ? Number(input.value) : JSON.parse(input.value);
        }
      }
    } catch {
      error.textContent = "A field holds something that is not valid JSON.";
      return;
    }
    try {
      await client.start(code, options);
      dlg.close();
    } catch (err) {
      error.textContent = describe(err);
    }
  });
}

/** Host: change capacity and room rules between games. */
function configure() {
  const room = socket.room;
  const cfg = room.config;
  const capacity = h("input", { id: "cfg-capacity", type: "number", value: cfg.max_players, min: 1 });
  const minimum = h("input", { id: "cfg-min", type: "number", value: cfg.min_players, min: 1 });
  const spectators = h("input", { id: "cfg-spectators", type: "checkbox", checked: cfg.allow_spectators });
  const keep = h("input", { id: "cfg-keep", type: "checkbox", checked: cfg.keep_when_empty });
  const error = h("p", { class: "error-text", role: "alert", id: "cfg-error" });
  const form = h(
    "form",
    { novalidate: true },
    h("div", { class: "field" }, h("label", { for: "cfg-capacity", text: "Capacity (max players)" }), capacity),
    h("div", { class: "field" }, h("label", { for: "cfg-min", text: "Players needed to start" }), minimum),
    h("div", { class: "field check" }, spectators, h("label", { for: "cfg-spectators", text: "Allow spectators" })),
    h("div", { class: "field check" }, keep, h("label", { for: "cfg-keep", text: "Keep the room when everyone has left" })),
    error,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "danger", onClick: closeRoom }, "Close room"),
      h("span", { class: "spacer" }),
      h("button", { type: "button", onClick: () => dlg.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, "Save"),
    ),
  );
  const dlg = dialog({ title: "Configure the room", label: "configure" }, form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await client.configure(code, {
        max_players: Number(capacity.value),
        min_players: Number(minimum.value),
        allow_spectators: spectators.checked,
        keep_when_empty: keep.checked,
      });
      dlg.close();
      toast("Room updated.");
    } catch (err) {
      error.textContent = describe(err);
    }
  });
}

async function closeRoom() {
  if (!(await confirmDialog("Close the room", "Everyone is sent back to the lobby.", "Close room"))) return;
  try {
    await client.deleteRoom(code);
  } catch (err) {
    toast(describe(err));
  }
}

// -- chat --------------------------------------------------------------------------------------

function chatLine(message) {
  return h(
    "li",
    { "data-seq": message.seq },
    h("span", { class: "from", text: `${message.from}:` }),
    h("span", { class: "text", text: message.text }),
  );
}

function systemLine(text) {
  appendChat(h("li", { class: "system", text }));
}

function appendChat(li) {
  const log = $("#chat-log");
  if (!log) return;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  while (log.children.length > 200) log.firstElementChild.remove();
  if (atBottom || li.classList.contains("mine")) log.scrollTop = log.scrollHeight;
}

function renderChat() {
  const log = $("#chat-log");
  fill(log, socket.messages.map(chatLine));
  log.scrollTop = log.scrollHeight;
}

function sendChat(e) {
  e.preventDefault();
  const input = $("#chat-input");
  const text = input.value.trim();
  if (!text) return;
  if (!socket.chat(text)) {
    toast("Not connected; try again in a moment.");
    return;
  }
  input.value = "";
}

// -- game --------------------------------------------------------------------------------------

let tableKey = null;
let tableReady = null; // a promise of the mounted table for tableKey

function tableFor(game, gameNo) {
  const key = `${game}/${gameNo ?? "?"}`;
  if (tableKey === key || (gameNo === undefined && tableKey?.startsWith(`${game}/`))) return tableReady;
  if (tableKey === `${game}/?`) {
    tableKey = key; // the events that came first already mounted it
    return tableReady;
  }
  if (tableKey) fill($("#game-log")); // a new game: its log starts fresh
  tableKey = key;
  tableReady = mountTable(game);
  return tableReady;
}

function nameOf(id) {
  const found = membersOf(socket?.room).find((m) => m.session_id === id);
  return found?.username || names.get(id) || "a player who left";
}

async function mountTable(game) {
  let mod;
  try {
    mod = await import(`/static/games/${encodeURIComponent(game)}.js`);
  } catch {
    mod = await import("/static/games/generic.js");
  }
  const container = $("#game");
  fill(container);
  return mod.mount(container, {
    me,
    send: (payload) => {
      $("#game-error").textContent = "";
      const sent = socket.action(payload);
      if (!sent) $("#game-error").textContent = "Not connected; try again in a moment.";
      return sent;
    },
    name: (id) => (id === me ? "you" : nameOf(id)),
    log: (text) => {
      const log = $("#game-log");
      log.append(h("li", { text }));
      while (log.children.length > 50) log.firstElementChild.remove();
      log.scrollTop = log.scrollHeight;
    },
  });
}

async function showGame(frame) {
  table = await tableFor(frame.game, frame.game_no);
  const newest = socket.game || frame; // the newest state, if more arrived while mounting
  table.update(newest);
  if (newest.result?.abandoned && endLogged !== tableKey) {
    endLogged = tableKey;
    $("#game-log").append(h("li", { text: "The host ended the game." }));
  }
}

let endLogged = null; // the table whose end by the host is already in the game log

async function gameEvent(frame) {
  const mounted = await tableFor(frame.game, undefined);
  mounted.event?.(frame);
}

// -- the socket --------------------------------------------------------------------------------

function connect() {
  socket = client.connect();
  socket.on("change", (change) => {
    for (const m of membersOf(socket.room)) {
      names.set(m.session_id, m.username);
      if (!m.online) away.add(m.session_id);
    }
    if (change.cause === "room_state") renderChat();
    render();
  });
  socket.on("room_state", () => banner(""));
  socket.on("chat", (frame) => {
    if (frame.replayed || $(`#chat-log [data-seq="${frame.seq}"]`)) return;
    const li = chatLine(frame);
    if (frame.session_id === me) li.classList.add("mine");
    appendChat(li);
  });
  socket.on("player_joined", (f) => f.replayed || systemLine(`${f.player.username} joined${f.player.role === "spectator" ? " to watch" : ""}.`));
  socket.on("player_left", (f) => {
    if (f.replayed) return;
    if (f.session_id === me && f.reason !== "kicked") {
      finalMessage("You left the room", f.reason === "disconnected" ? "You were away too long, so your seat was given up." : "Your seat is free again.");
      return;
    }
    systemLine(`${f.username} ${f.reason === "kicked" ? "was removed by the host" : f.reason === "disconnected" ? "lost their connection" : "left"}.`);
  });
  socket.on("player_disconnected", (f) => {
    away.add(f.session_id);
    if (!f.replayed) systemLine(`${f.username} is offline.`);
  });
  socket.on("player_reconnected", (f) => {
    if (away.delete(f.session_id) && !f.replayed && f.session_id !== me) systemLine(`${f.username} is back.`);
  });
  socket.on("host_changed", (f) => f.replayed || systemLine(f.username ? `${f.username} is the host now.` : "The room has no host."));
  socket.on("kicked", () => finalMessage("You were removed from the room", "The host removed you from this room."));
  socket.on("room_closed", (f) => {
    const why = { deleted: "The host closed the room.", empty: "Everyone left.", expired: "It was idle for too long." }[f.reason] || "";
    finalMessage("This room has closed", why);
  });
  socket.on("game_state", (frame) => showGame(frame));
  socket.on("game_event", (frame) => gameEvent(frame));
  socket.on("error", (frame) => {
    if (frame.resume) {
      finalMessage("You are no longer in this room", "While you were away the room closed or your seat was given up.");
    } else if (frame.code === "session_replaced" || frame.code === "already_connected") {
      // The close that follows says what to do.
    } else if (table && frame.code !== "rate_limited") {
      // A table may take an error as expected (it returns true): nothing to show then.
      if (table.error?.(frame) !== true) $("#game-error").textContent = frame.message;
    } else {
      toast(frame.message);
    }
  });
  socket.on("reconnecting", () => banner("Connection lost. Reconnecting…"));
  socket.on("open", () => banner(""));
  socket.on("close", (event) => {
    if (event.kind === "session_replaced" || event.kind === "already_connected") {
      sessionElsewhere(event.kind);
    } else if (event.kind === "unauthorized") {
      finalMessage("Your session has ended", "Reload the page to start a new one.");
    } else if (event.kind === "rate_limited") {
      finalMessage("Disconnected", "Too many messages were sent too quickly.", h("button", { type: "button", onClick: () => location.reload() }, "Reconnect"));
    }
  });
}

/** The session's socket lives in another tab (or this tab's was refused): say so plainly. */
function sessionElsewhere(kind) {
  const text =
    kind === "session_replaced"
      ? "You have a session running in another tab or window, and it took over this room there. A session plays in one place at a time."
      : "You already have a session running in another tab or window. Close it, or use this tab instead.";
  const saved = main.firstElementChild ? [...main.childNodes] : [];
  banner("");
  const notice = h(
    "div",
    { class: "notice big", role: "alert", id: "elsewhere" },
    h("h1", { text: "Session already running" }),
    h("p", { text }),
    h(
      "div",
      { class: "row" },
      h(
        "button",
        {
          type: "button",
          class: "primary",
          id: "use-here",
          onClick: () => {
            fill(main, ...saved);
            socket.reconnectNow();
          },
        },
        "Use this tab instead",
      ),
      h("a", { class: "button", href: "/lobby" }, "Back to lobby"),
    ),
  );
  fill(main, notice);
  $("#use-here").focus();
}

async function enterRoom() {
  layout();
  connect();
  try {
    gameInfo = await client.game(socket.room?.game || (await client.getRoom(code)).room.game);
    if (socket.room) render();
  } catch {
    gameInfo = null; // the start button still works with the game's defaults
  }
}

// -- page --------------------------------------------------------------------------------------

async function main_() {
  const session = await ensureSession();
  me = session.session_id;
  renderNav(true);
  document.addEventListener("renamed", () => socket?.room && render());
  let room;
  try {
    room = (await client.getRoom(code)).room;
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404;
    if (missing) pageNotice(null, "Room not found", `There is no room with code ${code}. It may have closed.`);
    else pageNotice(null, "Could not open the room", describe(err));
    return;
  }
  if (seatOf(room)) enterRoom();
  else joinPanel(room, session);
}

main_();
