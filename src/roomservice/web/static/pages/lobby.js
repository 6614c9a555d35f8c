// Lobby: the public rooms as a sortable, filterable table that stays current by itself: a visitor
// with a session (and no seat elsewhere, whose tab holds the session's one socket) follows the lobby
// over the socket and applies each change as it comes; the others poll GET /api/rooms every few
// seconds and whenever the page gets focus. Also a create-room dialog, a join by code box, password
// prompts, and the room-limit dialog.

import { ApiError } from "/static/roomservice.js";
import {
  $,
  client,
  describe,
  dialog,
  fill,
  games,
  h,
  joinRoom,
  loadSession,
  lockIcon,
  needSession,
  rejoinBanner,
  showAlreadyInRoom,
  STATES,
  stateLabel,
  toast,
} from "/static/pages/common.js";
import { quickMatch } from "/static/pages/quickmatch.js";

const POLL_MS = 3000;
const PAGE_SIZE = 100;

const COLUMNS = [
  { key: "name", label: "Name" },
  { key: "game", label: "Game", mid: true },
  { key: "players", label: "Players" },
  { key: "state", label: "State", mid: true },
  { key: "created_at", label: "Created", wide: true },
  { key: "last_activity", label: "Last active", wide: true },
];

const params = new URLSearchParams(location.search);
const view = {
  filters: {
    game: params.get("game") || "",
    state: params.get("state") || "",
    has_password: params.get("has_password") || "",
    free_seats: params.get("free_seats") === "true",
    q: params.get("q") || "",
  },
  sort: params.get("sort") || "created_at",
  order: params.get("order") === "asc" ? "asc" : "desc",
  rooms: [],
  more: null,
  lastJson: "",
};

let catalogue = [];
const nameOf = (id) => catalogue.find((g) => g.id === id)?.name || id;
const lobbyTitle = (gameId) => (gameId ? `${nameOf(gameId)} lobby` : "Lobby");

function ago(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

function query() {
  const f = view.filters;
  return {
    game: f.game,
    state: f.state,
    has_password: f.has_password,
    free_seats: f.free_seats ? "true" : "",
    q: f.q.trim(),
    sort: view.sort,
    order: view.order,
    limit: PAGE_SIZE,
  };
}

/** A filter or the sort changed: show it in the address bar and fetch the rooms again. */
function viewChanged() {
  view.lastJson = "";
  syncUrl();
  live?.subscribeLobby(view.filters.game || null);
  refresh();
}

function syncUrl() {
  const q = query();
  delete q.limit;
  if (q.sort === "created_at") delete q.sort;
  if (q.order === "desc") delete q.order;
  const search = new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();
  history.replaceState(null, "", search ? `/lobby?${search}` : "/lobby");
}

// -- polling -----------------------------------------------------------------------------------

let inflight = null;
async function refresh() {
  if (inflight) return inflight;
  inflight = (async () => {
    try {
      const page = await client.listRooms(query());
      const json = JSON.stringify(page);
      $("#lobby-error").textContent = "";
      if (json !== view.lastJson) {
        view.lastJson = json;
        view.rooms = page.rooms;
        view.more = page.next_cursor;
        renderRows();
      }
    } catch (err) {
      $("#lobby-error").textContent = `Could not refresh the rooms: ${describe(err)}`;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

async function loadMore() {
  try {
    const page = await client.listRooms({ ...query(), cursor: view.more });
    view.rooms = [...view.rooms, ...page.rooms];
    view.more = page.next_cursor;
    renderRows();
  } catch (err) {
    toast(describe(err));
  }
}

let poller = null;
function startPolling() {
  if (poller === null) poller = setInterval(() => document.hidden || refresh(), POLL_MS);
}

function stopPolling() {
  clearInterval(poller);
  poller = null;
}

function watchFocus() {
  const again = () => live || document.hidden || refresh();
  window.addEventListener("focus", again);
  document.addEventListener("visibilitychange", again);
}

// -- live updates ------------------------------------------------------------------------------

let live = null;

/** Follow the lobby over the socket; poll instead without a session, while seated in a room (that
 * room's tab holds the session's socket), or once the socket stopped for good. */
function follow(session) {
  if (live) return;
  if (!session || session.room_code) {
    startPolling();
    return;
  }
  stopPolling();
  live = client.connect();
  // The snapshot comes first and after every reconnect: fetch the page's own view of it once.
  live.on("lobby_snapshot", () => refresh());
  for (const type of ["lobby_room_added", "lobby_room_updated", "lobby_room_removed"]) {
    live.on(type, applyChange);
  }
  live.on("close", () => {
    live = null;
    startPolling();
  });
  live.subscribeLobby(view.filters.game || null);
}

/** Whether the lobby, as filtered on this page, lists `room`. */
function matches(room) {
  const f = view.filters;
  const q = f.q.trim().toLowerCase();
  return (
    (!f.game || room.game === f.game) &&
    (!f.state || room.state === f.state) &&
    (!f.has_password || String(room.has_password) === f.has_password) &&
    (!f.free_seats || room.player_count < room.capacity) &&
    (!q || room.name.toLowerCase().includes(q))
  );
}

const SORT_KEYS = {
  name: (r) => r.name.toLowerCase(),
  game: (r) => r.game,
  players: (r) => r.player_count,
  capacity: (r) => r.capacity,
  state: (r) => r.state,
  created_at: (r) => r.created_at,
  last_activity: (r) => r.last_activity,
};

/** Whether `a` comes before `b` in the table's order (the server's: the sort key, then the id). */
function before(a, b) {
  const key = SORT_KEYS[view.sort] || SORT_KEYS.created_at;
  const [x, y] = [key(a), key(b)];
  const cmp = x < y ? -1 : x > y ? 1 : a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0;
  return view.order === "asc" ? cmp < 0 : cmp > 0;
}

/** One change from the socket, applied to the table without asking the server. */
function applyChange(frame) {
  const room = frame.room;
  const rooms = view.rooms.filter((r) => r.room_id !== room.room_id);
  if (frame.type !== "lobby_room_removed" && matches(room)) {
    const at = rooms.findIndex((r) => before(room, r));
    if (at >= 0) rooms.splice(at, 0, room);
    else if (!view.more) rooms.push(room); // past the rows loaded so far: "Load more" brings it
  }
  view.rooms = rooms;
  view.lastJson = "";
  renderRows();
}

// -- table -------------------------------------------------------------------------------------

function header() {
  return h(
    "tr",
    {},
    COLUMNS.map((col) => {
      const active = view.sort === col.key;
      const sortState = active ? (view.order === "asc" ? "ascending" : "descending") : "none";
      const arrow = active ? (view.order === "asc" ? " ▲" : " ▼") : "";
      return h(
        "th",
        { scope: "col", "aria-sort": sortState, class: col.wide ? "wide" : col.mid ? "mid" : null },
        h(
          "button",
          {
            type: "button",
            "data-sort": col.key,
            onClick: () => {
              if (view.sort === col.key) view.order = view.order === "asc" ? "desc" : "asc";
              else {
                view.sort = col.key;
                view.order = col.key === "created_at" || col.key === "last_activity" ? "desc" : "asc";
              }
              fill($("#rooms thead"), header());
              $(`#rooms th button[data-sort="${col.key}"]`).focus();
              viewChanged();
            },
          },
          col.label,
          h("span", { "aria-hidden": "true", text: arrow }),
        ),
      );
    }),
    h("th", { scope: "col" }, h("span", { class: "sr-only", text: "Actions" })),
  );
}

function actionFor(room) {
  const free = room.player_count < room.capacity;
  const spectators = room.config?.allow_spectators;
  const buttons = [];
  const label = (verb) => `${verb} ${room.name}`;
  if (room.state !== "IN_GAME" && free) {
    buttons.push(h("button", { type: "button", class: "primary", "aria-label": label("Join"), "data-join": room.room_code, onClick: () => enter(room, false) }, "Join"));
  } else if (!spectators) {
    buttons.push(h("span", { class: "muted small", text: room.state === "IN_GAME" ? "Playing" : "Full" }));
  }
  if (spectators) {
    buttons.push(h("button", { type: "button", "aria-label": label("Watch"), "data-watch": room.room_code, onClick: () => enter(room, true) }, "Watch"));
  }
  return h("td", {}, h("div", { class: "row" }, buttons));
}

function row(room) {
  return h(
    "tr",
    { "data-room": room.room_code },
    h(
      "td",
      { class: "name" },
      room.has_password ? lockIcon() : null,
      h("span", { text: room.name }),
      room.host ? h("div", { class: "muted small", text: `host: ${room.host}` }) : null,
      h("div", { class: "muted small meta-narrow", "aria-hidden": "true", text: `${nameOf(room.game)} · ${stateLabel(room.state)}` }),
    ),
    h("td", { class: "mid", text: nameOf(room.game) }),
    h("td", { text: `${room.player_count}/${room.capacity}` }),
    h("td", { class: "mid" }, h("span", { class: `state ${room.state}`, text: stateLabel(room.state) })),
    h("td", { class: "wide", text: ago(room.created_at), title: room.created_at }),
    h("td", { class: "wide", text: ago(room.last_activity), title: room.last_activity }),
    actionFor(room),
  );
}

function renderRows() {
  const body = $("#rooms tbody");
  // Keep keyboard focus on the same control across a refresh.
  const active = document.activeElement;
  const focusKey = body.contains(active)
    ? [active.closest("tr")?.dataset.room, active.dataset.join ? "join" : active.dataset.watch ? "watch" : null]
    : null;
  if (!view.rooms.length) {
    fill(body, h("tr", {}, h("td", { colspan: COLUMNS.length + 1, class: "muted", text: "No rooms match. Create one!" })));
  } else {
    fill(body, view.rooms.map(row));
  }
  $("#more").hidden = !view.more;
  $("#count").textContent = `${view.rooms.length}${view.more ? "+" : ""} room${view.rooms.length === 1 ? "" : "s"}`;
  if (focusKey?.[0] && focusKey[1]) {
    body.querySelector(`tr[data-room="${focusKey[0]}"] [data-${focusKey[1]}]`)?.focus();
  }
}

async function enter(room, spectator) {
  if (!(await needSession())) return;
  if (await joinRoom(room, { spectator })) location.assign(`/r/${encodeURIComponent(room.room_code)}`);
  else refresh();
}

// -- filters -----------------------------------------------------------------------------------

/** A select bound to `view.filters[key]`; `onChange(value)` runs before the rooms are fetched again. */
function select(id, label, key, options, onChange = null) {
  const el = h(
    "select",
    {
      id,
      onChange: (e) => {
        view.filters[key] = e.target.value;
        onChange?.(e.target.value);
        viewChanged();
      },
    },
    options.map(([v, text]) => h("option", { value: v, selected: v === view.filters[key], text })),
  );
  return h("div", { class: "field" }, h("label", { for: id, text: label }), el);
}

function toolbar() {
  let debounce = null;
  const search = h("input", {
    id: "search",
    type: "search",
    maxlength: 40,
    placeholder: "Room name…",
    value: view.filters.q,
    onInput: (e) => {
      view.filters.q = e.target.value;
      clearTimeout(debounce);
      debounce = setTimeout(viewChanged, 250);
    },
  });
  const free = h("input", {
    id: "free-seats",
    type: "checkbox",
    checked: view.filters.free_seats,
    onChange: (e) => {
      view.filters.free_seats = e.target.checked;
      viewChanged();
    },
  });
  return h(
    "form",
    { class: "toolbar", role: "search", onSubmit: (e) => e.preventDefault() },
    h("div", { class: "field search" }, h("label", { for: "search", text: "Search" }), search),
    select("filter-game", "Game", "game", [["", "All games"], ...catalogue.map((g) => [g.id, g.name])], (v) => {
      $("#lobby-title").textContent = lobbyTitle(v);
    }),
    select("filter-state", "State", "state", [["", "Any"], ...Object.entries(STATES)]),
    select("filter-password", "Password", "has_password", [["", "Any"], ["false", "No password"], ["true", "With password"]]),
    h("div", { class: "field check" }, free, h("label", { for: "free-seats", text: "Free seats only" })),
  );
}

// -- join by code ------------------------------------------------------------------------------

function joinByCode() {
  const input = h("input", {
    id: "join-code",
    name: "code",
    required: true,
    minlength: 6,
    maxlength: 6,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    placeholder: "ABC234",
  });
  return h(
    "form",
    {
      class: "joinbox",
      "aria-label": "Join by code",
      onSubmit: (e) => {
        e.preventDefault();
        const code = input.value.trim().toUpperCase();
        if (!/^[A-Z0-9]{6}$/.test(code)) {
          toast("A room code is 6 letters and digits.");
          input.focus();
          return;
        }
        location.assign(`/r/${code}`);
      },
    },
    h("div", { class: "field" }, h("label", { for: "join-code", text: "Room code" }), input),
    h("button", { type: "submit", class: "field" }, "Join by code"),
  );
}

// -- create room -------------------------------------------------------------------------------

function field(id, label, input, hint) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    input,
    hint ? h("span", { class: "hint", id: `${id}-hint`, text: hint }) : null,
    h("p", { class: "error-text", id: `${id}-error`, role: "alert" }),
  );
}

/** Create room: the name first if the visitor has none yet. */
async function openCreate() {
  if (await needSession()) createDialog();
}

function createDialog() {
  const gameId = view.filters.game || catalogue[0]?.id;
  const name = h("input", { id: "room-name", name: "name", required: true, maxlength: 40, autocomplete: "off", "aria-describedby": "room-name-error" });
  const game = h("select", { id: "room-game", name: "game" }, catalogue.map((g) => h("option", { value: g.id, selected: g.id === gameId, text: g.name })));
  const capacity = h("input", { id: "room-capacity", name: "capacity", type: "number", inputmode: "numeric", "aria-describedby": "room-capacity-hint room-capacity-error" });
  const password = h("input", { id: "room-password-new", name: "password", type: "password", maxlength: 128, autocomplete: "new-password", "aria-describedby": "room-password-new-hint room-password-new-error" });
  const isPrivate = h("input", { id: "room-private", name: "private", type: "checkbox" });
  const spectators = h("input", { id: "room-spectators", name: "spectators", type: "checkbox" });
  const formError = h("div", { class: "error-text", id: "create-error", role: "alert" });

  const capacityHint = h("span");
  const setLimits = () => {
    const g = catalogue.find((x) => x.id === game.value);
    if (!g) return;
    capacity.min = g.min_players;
    capacity.max = g.max_players;
    capacity.value = g.max_players;
    capacity.disabled = g.min_players === g.max_players;
    $("#room-capacity-hint", dlg).textContent = `${g.min_players}–${g.max_players} players for ${g.name}.`;
  };
  game.addEventListener("change", setLimits);

  const errors = {
    name: [name, "room-name-error"],
    password: [password, "room-password-new-error"],
    capacity: [capacity, "room-capacity-error"],
  };
  const clearErrors = () => {
    formError.replaceChildren();
    for (const [input, id] of Object.values(errors)) {
      input.removeAttribute("aria-invalid");
      $(`#${id}`, dlg).textContent = "";
    }
  };
  const fieldError = (key, message) => {
    const [input, id] = errors[key];
    input.setAttribute("aria-invalid", "true");
    $(`#${id}`, dlg).textContent = message;
    input.focus();
  };

  const form = h(
    "form",
    { novalidate: true },
    field("room-name", "Room name", name),
    field("room-game", "Game", game),
    field("room-capacity", "Capacity", capacity, " "),
    field("room-password-new", "Password (optional)", password, "Leave empty for an open room."),
    h("div", { class: "field check" }, isPrivate, h("label", { for: "room-private", text: "Private: hidden from the lobby, join by invite link" })),
    h("div", { class: "field check" }, spectators, h("label", { for: "room-spectators", text: "Allow spectators" })),
    formError,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onClick: () => dlg.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, "Create room"),
    ),
  );
  const dlg = dialog({ title: "Create a room", label: "create" }, form);
  setLimits();

  const submit = async () => {
    clearErrors();
    if (!name.value.trim()) {
      fieldError("name", "Give the room a name (1–40 characters).");
      return;
    }
    const spec = {
      name: name.value.trim(),
      game: game.value,
      private: isPrivate.checked,
      config: { allow_spectators: spectators.checked },
    };
    if (!capacity.disabled) spec.config.max_players = Number(capacity.value);
    if (password.value) spec.password = password.value;
    try {
      const created = await client.createRoom(spec);
      location.assign(`/r/${encodeURIComponent(created.room_code)}`);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        formError.textContent = describe(err);
      } else if (err.code === "room_limit") {
        roomLimitDialog(err, submit);
      } else if (err.code === "already_in_room") {
        dlg.close();
        showAlreadyInRoom(err);
      } else if (err.code === "invalid_name") {
        fieldError("name", err.message);
      } else if (err.code === "invalid_password") {
        fieldError("password", err.message);
      } else if (err.code === "invalid_config") {
        fieldError("capacity", err.message);
      } else {
        formError.textContent = err.message;
      }
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
}

/** At the room limit: list the rooms you created, delete one, then create again. */
function roomLimitDialog(err, retry) {
  const rooms = err.details?.rooms || [];
  const list = h(
    "ul",
    { class: "plain" },
    rooms.map((room) =>
      h(
        "li",
        {},
        h("span", {}, h("strong", { text: room.name }), h("span", { class: "muted small", text: ` ${nameOf(room.game)} · ${stateLabel(room.state)} · ${room.room_code}` })),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            "aria-label": `Delete ${room.name}`,
            onClick: async () => {
              try {
                await client.deleteRoom(room.room_code);
                dlg.close();
                toast(`Deleted ${room.name}.`);
                refresh();
                retry();
              } catch (e) {
                toast(describe(e));
              }
            },
          },
          "Delete",
        ),
      ),
    ),
  );
  const dlg = dialog(
    { title: "You have too many rooms", label: "room-limit" },
    h("p", { text: `${err.message} Delete one of them and your new room is created.` }),
    list,
    h("div", { class: "actions" }, h("button", { type: "button", onClick: () => dlg.close() }, "Cancel")),
  );
}

// -- page --------------------------------------------------------------------------------------

async function main() {
  const session = await loadSession();
  try {
    catalogue = await games();
  } catch (err) {
    fill($("#main"), h("p", { class: "notice", role: "alert", text: describe(err) }));
    return;
  }
  const title = lobbyTitle(view.filters.game);
  document.title = `${title} · roomservice`;
  fill(
    $("#main"),
    rejoinBanner(session),
    h(
      "div",
      { class: "lobby-head" },
      h("h1", { id: "lobby-title", text: title }),
      h(
        "div",
        { class: "lobby-actions" },
        view.filters.game && catalogue.some((g) => g.id === view.filters.game)
          ? [
              h("a", { href: `/leaderboard?game=${encodeURIComponent(view.filters.game)}`, id: "leaderboard-link" }, "Leaderboard"),
              quickMatch(view.filters.game),
            ]
          : null,
        h("button", { type: "button", class: "primary", id: "create-room", onClick: openCreate }, "Create room"),
      ),
    ),
    h("div", { class: "toolbar" }, joinByCode()),
    toolbar(),
    h("p", { id: "lobby-error", class: "error-text", role: "alert" }),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "rooms", id: "rooms" },
        h("caption", { class: "sr-only", text: "Public rooms; select a column header to sort" }),
        h("thead", {}, header()),
        h("tbody", {}),
      ),
    ),
    h("div", { class: "row" }, h("span", { id: "count", class: "muted small", "aria-live": "polite" }), h("span", { class: "spacer" }), h("button", { type: "button", id: "more", hidden: true, onClick: loadMore }, "Load more")),
  );
  document.addEventListener("left-room", () => {
    refresh();
    if (client.session) follow({ ...client.session, room_code: null });
  });
  // A name picked on this page gives a session: follow the lobby from then on.
  document.addEventListener("session-created", () => follow(client.session));
  await refresh();
  watchFocus();
  follow(session);
}

main();
