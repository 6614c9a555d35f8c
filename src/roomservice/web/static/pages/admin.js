// The admin console (/admin): every room, searchable; a room in detail (members, recent frames, the
// game as a spectator sees it) with kick, end game and close; the sessions online; small live charts
// of the node's figures. The page holds no data of its own: it asks for the admin token, keeps it in
// this tab's sessionStorage only, and sends it as `Authorization: Bearer` on every call.

import { $, confirmDialog, fill, h, stateLabel, toast } from "/static/pages/common.js";

const TOKEN_KEY = "roomservice.admin";
const POLL_MS = 2000;
const POINTS = 60; // two minutes of history at one point every two seconds

const main = $("#main");
let token = sessionStorage.getItem(TOKEN_KEY) || "";
let poller = null;
let selected = null; // the room code shown in detail
let query = "";
let detailKey = ""; // what the detail panel shows, so a poll that changes nothing redraws nothing
const history = []; // figures snapshots, oldest first

class AdminError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    // A token that stops working (the server's was changed) sends the operator back to the form.
    const stored = sessionStorage.getItem(TOKEN_KEY);
    if ((response.status === 401 || response.status === 403) && stored) signOut("The admin token was refused.");
    throw new AdminError(response.status, data);
  }
  return data;
}

function nav() {
  fill(
    $("#nav"),
    h("a", { class: "brand", href: "/" }, "roomservice"),
    h("nav", { class: "links", "aria-label": "Main" }, h("a", { href: "/lobby" }, "Lobby"), h("span", {}, "Admin")),
    token ? h("div", { class: "who" }, h("button", { type: "button", id: "sign-out", onClick: () => signOut() }, "Sign out")) : null,
  );
}

// -- the token ------------------------------------------------------------------------------

function signOut(message) {
  token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(poller);
  poller = null;
  askToken(message);
}

function askToken(message = "") {
  nav();
  const input = h("input", { id: "admin-token", type: "password", autocomplete: "off", required: true });
  const problem = h("p", { class: "error-text", id: "token-error", role: "alert", text: message });
  fill(
    main,
    h(
      "section",
      { class: "panel", "aria-labelledby": "token-title" },
      h("h1", { id: "token-title", text: "Admin console" }),
      h("p", { class: "muted", text: "Enter the admin token (ROOMSERVICE_ADMIN_TOKEN). It is kept in this tab only." }),
      h(
        "form",
        {
          onSubmit: async (e) => {
            e.preventDefault();
            token = input.value.trim();
            try {
              await call("GET", "/api/admin/metrics");
            } catch (err) {
              problem.textContent = err.status === 401 || err.status === 403 ? "That token was refused." : err.message;
              input.setAttribute("aria-invalid", "true");
              token = "";
              return;
            }
            sessionStorage.setItem(TOKEN_KEY, token);
            start();
          },
        },
        h("div", { class: "field" }, h("label", { for: "admin-token" }, "Admin token"), input),
        problem,
        h("button", { class: "primary", type: "submit" }, "Open the console"),
      ),
    ),
  );
  input.focus();
}

// -- charts ---------------------------------------------------------------------------------

const CHARTS = [
  { id: "sockets", label: "Sockets open", value: (f) => f.sockets_open },
  { id: "rooms", label: "Rooms", value: (f) => Object.values(f.rooms).reduce((a, b) => a + b, 0) },
  { id: "games", label: "Games running", value: (f) => f.games_running },
  { id: "frames-out", label: "Frames out / s", rate: (f) => f.frames_out },
  { id: "frames-in", label: "Frames in / s", rate: (f) => f.frames_in },
  { id: "actions", label: "Actions / s", rate: (f) => f.actions_accepted + f.actions_refused },
  { id: "http", label: "HTTP requests / s", rate: (f) => f.http_requests },
  { id: "fanout", label: "Fan-out, mean µs", mean: (f) => [f.fanout_seconds * 1e6, f.fanout_count] },
];

/** Each chart's series: a gauge as it is, a counter as its rate between snapshots. */
function series(chart) {
  const out = [];
  for (let i = 0; i < history.length; i++) {
    const f = history[i];
    if (chart.value) out.push(chart.value(f));
    else if (i > 0) {
      const p = history[i - 1];
      const dt = Math.max(0.001, f.at - p.at);
      if (chart.rate) out.push(Math.max(0, (chart.rate(f) - chart.rate(p)) / dt));
      else {
        const [sum, n] = chart.mean(f);
        const [psum, pn] = chart.mean(p);
        out.push(n > pn ? (sum - psum) / (n - pn) : 0);
      }
    }
  }
  return out;
}

function sparkline(values) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${POINTS - 1} 40`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  if (values.length > 1) {
    const top = Math.max(1, ...values);
    const start = POINTS - values.length;
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", values.map((v, i) => `${start + i},${(38 - (v / top) * 36).toFixed(2)}`).join(" "));
    svg.append(line);
  }
  return svg;
}

const shown = (v) => (v >= 100 ? Math.round(v).toString() : v.toFixed(v >= 10 ? 1 : 2).replace(/\.?0+$/, "") || "0");

function drawCharts() {
  const box = $("#charts");
  if (!box) return;
  fill(
    box,
    CHARTS.map((chart) => {
      const values = series(chart);
      const last = values.length ? values[values.length - 1] : null;
      return h(
        "figure",
        { class: "chart", id: `chart-${chart.id}` },
        h("figcaption", { class: "label", text: chart.label }),
        h("div", { class: "value", "data-value": last ?? "", text: last === null ? "…" : shown(last) }),
        sparkline(values),
      );
    }),
  );
}

// -- rooms ----------------------------------------------------------------------------------

const age = (seconds) =>
  seconds < 60 ? `${Math.round(seconds)} s` : seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;

async function loadRooms() {
  const body = await call("GET", `/api/admin/rooms${query ? `?q=${encodeURIComponent(query)}` : ""}`);
  const rows = body.rooms.map((room) =>
    h(
      "tr",
      { "data-code": room.room_code },
      h("td", {}, h("button", { type: "button", class: "link", onClick: () => select(room.room_code) }, room.room_code)),
      h("td", { class: "name", text: room.name }),
      h("td", { text: room.game }),
      h("td", {}, h("span", { class: `state ${room.state}`, text: stateLabel(room.state) })),
      h("td", { text: room.players.map((p) => p.username).join(", ") || "—" }),
      h("td", { class: "num", text: room.sockets }),
      h("td", { class: "num", text: age(room.age_seconds) }),
    ),
  );
  fill(
    $("#rooms-body"),
    rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "muted", text: query ? "No room matches." : "No rooms." })),
  );
}

async function loadSessions() {
  const body = await call("GET", "/api/admin/sessions");
  $("#sessions-count").textContent = String(body.sessions.length);
  fill(
    $("#sessions"),
    body.sessions.map((s) =>
      h("li", {}, h("span", { class: "uname", text: s.username }), s.room_code ? h("span", { class: "badge", text: s.room_code }) : null, s.lobby ? h("span", { class: "badge", text: "lobby" }) : null),
    ),
  );
}

async function select(code) {
  selected = code;
  await loadDetail();
  $("#detail")?.focus();
}

async function act(what, method, path, body, done) {
  try {
    await call(method, path, body);
    toast(done);
  } catch (err) {
    toast(`${what}: ${err.message}`);
  }
  await refresh();
}

async function loadDetail() {
  const box = $("#detail");
  if (!box) return;
  if (!selected) {
    detailKey = "";
    fill(box, h("h2", { text: "Room" }), h("p", { class: "muted", text: "Pick a room in the list." }));
    return;
  }
  let d;
  try {
    d = await call("GET", `/api/admin/rooms/${encodeURIComponent(selected)}`);
  } catch (err) {
    if (err.status === 404) {
      detailKey = "";
      fill(box, h("h2", { text: `Room ${selected}` }), h("p", { class: "muted", text: "This room is gone." }));
      return;
    }
    throw err;
  }
  const key = JSON.stringify({ ...d, room: { ...d.room, age_seconds: 0, idle_seconds: 0 } });
  if (key === detailKey && box.childElementCount) return;
  detailKey = key;
  const room = d.room;
  const code = room.room_code;
  const base = `/api/admin/rooms/${encodeURIComponent(code)}`;
  fill(
    box,
    h("h2", { id: "detail-title" }, `Room ${code} · `, room.name),
    h(
      "p",
      { class: "row" },
      h("span", { class: `state ${room.state}`, id: "detail-state", text: stateLabel(room.state) }),
      h("span", { class: "muted", text: `${room.game} · ${room.private ? "private" : "public"} · ${room.sockets} socket(s) · ${age(room.age_seconds)} old, idle ${age(room.idle_seconds)}` }),
    ),
    h(
      "div",
      { class: "row" },
      room.state === "IN_GAME"
        ? h(
            "button",
            {
              type: "button",
              class: "danger",
              id: "end-game",
              onClick: async () => {
                if (await confirmDialog("End the game?", `The game in room ${code} ends as if its host ended it: nobody wins.`, "End game"))
                  await act("End game", "POST", `${base}/end`, undefined, `The game in ${code} was ended.`);
              },
            },
            "End game",
          )
        : null,
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "close-room",
          onClick: async () => {
            if (await confirmDialog("Close the room?", `Room ${code} closes and everyone in it is sent out.`, "Close room")) {
              await act("Close room", "DELETE", base, undefined, `Room ${code} was closed.`);
            }
          },
        },
        "Close room",
      ),
      d.replay_path ? h("a", { class: "button", id: "replay-link", href: d.replay_path }, "Replay of the last game") : null,
    ),
    h("h3", { text: "Members" }),
    h(
      "ul",
      { class: "members", id: "detail-members" },
      d.members.map((m) =>
        h(
          "li",
          {},
          h("span", { class: `dot${m.online ? " online" : ""}`, title: m.online ? "online" : "offline" }),
          h("span", { class: "uname", text: m.username }),
          m.host ? h("span", { class: "badge host", text: "host" }) : null,
          m.bot ? h("span", { class: "badge bot", text: "bot" }) : null,
          m.role === "spectator" ? h("span", { class: "badge", text: "spectator" }) : null,
          h(
            "button",
            {
              type: "button",
              "aria-label": `Kick ${m.username}`,
              onClick: async () => {
                if (await confirmDialog("Kick?", `${m.username} is removed from room ${code}.`, "Kick"))
                  await act("Kick", "POST", `${base}/kick`, { session_id: m.session_id }, `${m.username} was kicked.`);
              },
            },
            "Kick",
          ),
        ),
      ),
    ),
    h("h3", { text: "Game (as a spectator sees it)" }),
    d.game
      ? h("pre", { id: "detail-game", text: JSON.stringify({ game_id: d.game.game_id, version: d.game.version, result: d.game.result, state: d.game.state }, null, 1) })
      : h("p", { class: "muted", id: "detail-game", text: "No game runs in this room." }),
    h("h3", { text: `Recent frames (${d.frames.length})` }),
    h(
      "ol",
      { class: "admin-frames", id: "detail-frames", reversed: true },
      d.frames
        .slice()
        .reverse()
        .map((f) => h("li", { text: `#${f.seq} ${f.type}${f.to ? ` → ${f.to}` : ""}${f.frame ? ` ${JSON.stringify(f.frame).slice(0, 300)}` : " (players' own views)"}` })),
    ),
  );
}

// -- the page -------------------------------------------------------------------------------

async function refresh() {
  try {
    const figures = await call("GET", "/api/admin/metrics");
    history.push(figures);
    while (history.length > POINTS) history.shift();
    drawCharts();
    await Promise.all([loadRooms(), loadSessions(), loadDetail()]);
  } catch (err) {
    if (token) toast(err.message);
  }
}

function start() {
  nav();
  const search = h("input", { id: "room-search", type: "search", placeholder: "code, game, name or player", value: query });
  fill(
    main,
    h("h1", { text: "Admin console" }),
    h("section", { "aria-label": "Live figures" }, h("div", { class: "admin-charts", id: "charts" })),
    h(
      "div",
      { class: "admin-grid" },
      h(
        "section",
        { class: "panel", "aria-labelledby": "rooms-title" },
        h("h2", { id: "rooms-title", text: "Rooms" }),
        h(
          "form",
          {
            class: "toolbar",
            role: "search",
            onSubmit: async (e) => {
              e.preventDefault();
              query = search.value.trim();
              await loadRooms();
            },
          },
          h("div", { class: "field search" }, h("label", { for: "room-search" }, "Find a room"), search),
          h("button", { type: "submit" }, "Search"),
        ),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "rooms", id: "admin-rooms" },
            h("thead", {}, h("tr", {}, ["Code", "Name", "Game", "State", "Players", "Sockets", "Age"].map((t) => h("th", { scope: "col", text: t })))),
            h("tbody", { id: "rooms-body" }),
          ),
        ),
        h("h2", {}, "Sessions online: ", h("span", { id: "sessions-count", text: "…" })),
        h("ul", { class: "members", id: "sessions" }),
      ),
      h("section", { class: "panel admin-detail", id: "detail", tabindex: "-1", "aria-live": "polite" }),
    ),
  );
  drawCharts();
  refresh();
  clearInterval(poller);
  poller = setInterval(refresh, POLL_MS);
}

if (token) start();
else askToken();
