// roomservice.js: the browser client of a roomservice server, as one dependency-free ES module.
//
//   import { Client } from "/static/roomservice.js";
//   const client = new Client();                      // same origin; the session cookie does the rest
//   await client.createSession("alice");
//   const { room_code } = await client.createRoom({ name: "Friday", game: "tictactoe" });
//   const socket = client.connect();
//   socket.on("room_state", (frame) => console.log(frame.room.players));
//   socket.on("game_state", (frame) => draw(frame.state));
//   socket.action({ cell: 4 });
//
// The socket notices a dead connection within seconds, reconnects by itself and resumes where it left
// off; see docs/client-js.md.

/** An HTTP call the server refused: `status`, the stable `code`, the human `message`, and any extra
 * fields of the error body in `details` (e.g. `details.rooms` for `room_limit`). */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Close codes after which reconnecting would not help (or would fight another tab). */
export const FINAL_CLOSE_CODES = Object.freeze({
  1000: "closed",
  1008: "rate_limited",
  4001: "unauthorized",
  4002: "session_replaced",
  4003: "already_connected",
  1009: "too_big",
});

function encodeQuery(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const code = (roomCode) => encodeURIComponent(String(roomCode).trim().toUpperCase());

/** The HTTP side: session, catalogue and rooms. One instance per page (or per player). */
export class Client {
  /**
   * @param {object} [options]
   * @param {string} [options.baseUrl] server origin, e.g. "https://games.example"; "" = this page's
   * @param {string|null} [options.token] a session token, sent as `Authorization: Bearer`; without one
   * the session cookie is used
   * @param {(() => Promise<string>)|null} [options.ticket] returns a one-time socket ticket (from the
   * server's `POST /api/session/ticket`, e.g. through your own back end); called before every socket
   * connection. Without it, a client with a `baseUrl` and a token fetches the ticket itself.
   */
  constructor({ baseUrl = "", token = null, ticket = null } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.ticketSource = ticket;
    /** The last session seen: `{session_id, username, account, room_code?}` or null. */
    this.session = null;
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: this.baseUrl ? "include" : "same-origin",
      });
    } catch (err) {
      throw new ApiError(0, "network_error", "The server cannot be reached.", { cause: String(err) });
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const { code: errCode, message, ...details } = error;
      throw new ApiError(
        response.status,
        errCode || "http_error",
        message || `HTTP ${response.status}`,
        details,
      );
    }
    return data;
  }

  // -- session ------------------------------------------------------------------------------

  /** The current session with the `room_code` it sits in, or null when there is none yet. */
  async getSession() {
    try {
      this.session = await this.request("GET", "/api/session");
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.session = null;
        return null;
      }
      throw err;
    }
    return this.session;
  }

  /** Start a guest session. Keeps its token for the Bearer header of later calls (and, from another
   * origin, to fetch the socket's tickets). */
  async createSession(username) {
    const session = await this.request("POST", "/api/session", { username });
    this.token = session.token;
    this.session = { session_id: session.session_id, username: session.username, room_code: null };
    return session;
  }

  /** A one-time socket ticket (`POST /api/session/ticket`, valid 30 s), for a socket that cannot
   * carry the session cookie. */
  async ticket() {
    return (await this.request("POST", "/api/session/ticket")).ticket;
  }

  async rename(username) {
    const renamed = await this.request("PATCH", "/api/session", { username });
    this.session = { ...(this.session || {}), ...renamed };
    return renamed;
  }

  // -- accounts -----------------------------------------------------------------------------

  /** Turn the current guest session into the account `username`: `{account, session}`. */
  async signUp(username, password) {
    const body = await this.request("POST", "/api/accounts", { username, password });
    this.session = { ...(this.session || {}), ...body.session };
    return body;
  }

  /** Log in: a new session of the account for this client, `{session_id, username, account, token}`
   * (the server also sets it as the session cookie). */
  async logIn(username, password) {
    const session = await this.request("POST", "/api/login", { username, password });
    this.token = session.token;
    this.session = { session_id: session.session_id, username: session.username, account: session.account, room_code: null };
    return session;
  }

  /** End this session (its token and cookie stop working). */
  async logOut() {
    await this.request("POST", "/api/logout");
    this.token = null;
    this.session = null;
  }

  /** The session's account: `{id, username, created_at, sessions}` (403 `account_required` for a guest). */
  async account() {
    return this.request("GET", "/api/account");
  }

  /** Sign out every other session of the account: `{signed_out}`. */
  async signOutOthers() {
    return this.request("DELETE", "/api/account/sessions");
  }

  // -- games --------------------------------------------------------------------------------

  async games() {
    return (await this.request("GET", "/api/games")).games;
  }

  /** One game, with its `options_schema`. */
  async game(gameId) {
    return this.request("GET", `/api/games/${encodeURIComponent(gameId)}`);
  }

  // -- rooms --------------------------------------------------------------------------------

  /** The lobby: `{rooms, next_cursor}`. Query keys: game, state, has_password, free_seats, q, sort,
   * order, limit, cursor. */
  async listRooms(query = {}) {
    return this.request("GET", `/api/rooms${encodeQuery(query)}`);
  }

  async myRooms() {
    return (await this.request("GET", "/api/rooms/mine")).rooms;
  }

  /** `{name, game, password?, private?, config?}` → `{room_code, room_id, room, players}`. */
  async createRoom(spec) {
    return this.request("POST", "/api/rooms", spec);
  }

  /** A finished game, step by step as a spectator saw it: `{game_id, game, seed, options, steps, result, …}`. */
  async replay(gameId) {
    return this.request("GET", `/api/replays/${encodeURIComponent(gameId)}`);
  }

  async getRoom(roomCode) {
    return this.request("GET", `/api/rooms/${code(roomCode)}`);
  }

  async join(roomCode, { password, spectator = false } = {}) {
    const body = { spectator };
    if (password) body.password = password;
    return this.request("POST", `/api/rooms/${code(roomCode)}/join`, body);
  }

  async leave(roomCode) {
    return this.request("POST", `/api/rooms/${code(roomCode)}/leave`);
  }

  /** Host: start (or play again), with the game's options if any. */
  async start(roomCode, options) {
    const body = options && Object.keys(options).length ? { options } : undefined;
    return this.request("POST", `/api/rooms/${code(roomCode)}/start`, body);
  }

  async configure(roomCode, patch) {
    return this.request("PATCH", `/api/rooms/${code(roomCode)}/config`, patch);
  }

  /** Host: end the running game (FINISHED, `result.abandoned`). */
  async end(roomCode) {
    return this.request("POST", `/api/rooms/${code(roomCode)}/end`);
  }

  async kick(roomCode, sessionId) {
    return this.request("POST", `/api/rooms/${code(roomCode)}/kick`, { session_id: sessionId });
  }

  async deleteRoom(roomCode) {
    return this.request("DELETE", `/api/rooms/${code(roomCode)}`);
  }

  // -- matchmaking --------------------------------------------------------------------------

  /** Queue for a game: `{ticket_id, game, status: "searching", queued_at}`. The socket then gets
   * `match_found` `{ticket_id, room_code}` (already seated; `room_state` follows), `match_countdown`
   * `{room_code, starts_at}` and `match_timeout` `{ticket_id}`. */
  async queue(game, options) {
    const body = options && Object.keys(options).length ? { options } : undefined;
    return this.request("POST", `/api/matchmaking/${encodeURIComponent(game)}/tickets`, body);
  }

  /** One of your tickets: `{ticket_id, game, status, queued_at, room_code?}`. */
  async ticket(ticketId) {
    return this.request("GET", `/api/matchmaking/tickets/${encodeURIComponent(ticketId)}`);
  }

  /** Cancel a searching ticket; its status afterwards (`"cancelled"`, or `"expired"`). A matched one
   * throws `ApiError` `already_matched` (its `details.room_code` is the room). */
  async cancel(ticketId) {
    return (await this.request("DELETE", `/api/matchmaking/tickets/${encodeURIComponent(ticketId)}`)).status;
  }

  /** How busy a game's queue is: `{searching, open_rooms, median_wait_seconds}`. */
  async matchmaking(game) {
    return this.request("GET", `/api/matchmaking/${encodeURIComponent(game)}`);
  }

  /** A game's leaderboard: `{entries: [{rank, username, player_id, wins, played, score}], total}`.
   * Query keys: limit, offset, around (`"me"`). */
  async leaderboard(game, query = {}) {
    return this.request("GET", `/api/leaderboards/${encodeURIComponent(game)}${encodeQuery(query)}`);
  }

  // -- workshop projects (docs/workshop.md; an account's session only) ------------------------

  /** A new project owned by your account: `{id, name, description, owner, collaborators, version,
   * saved_at, created_at, updated_at, content}`. */
  async createProject(name, description = "", content = undefined) {
    const body = { name, description };
    if (content !== undefined) body.content = content;
    return this.request("POST", "/api/projects", body);
  }

  /** Your projects and those shared with you (without content), the most recently changed first. */
  async projects() {
    return (await this.request("GET", "/api/projects")).projects;
  }

  /** A project as last saved, with its content. */
  async project(projectId) {
    return this.request("GET", `/api/projects/${encodeURIComponent(projectId)}`);
  }

  /** `{name?, description?, owner?}` (a new owner: the owner only). */
  async updateProject(projectId, patch) {
    return this.request("PATCH", `/api/projects/${encodeURIComponent(projectId)}`, patch);
  }

  async deleteProject(projectId) {
    return this.request("DELETE", `/api/projects/${encodeURIComponent(projectId)}`);
  }

  async addCollaborator(projectId, username) {
    const path = `/api/projects/${encodeURIComponent(projectId)}/collaborators/${encodeURIComponent(username)}`;
    return this.request("PUT", path);
  }

  async removeCollaborator(projectId, username) {
    const path = `/api/projects/${encodeURIComponent(projectId)}/collaborators/${encodeURIComponent(username)}`;
    return this.request("DELETE", path);
  }

  /** Every saved version, newest first: `[{version, cubes, saved_at, saved_by, auto}]`. */
  async versions(projectId) {
    return (await this.request("GET", `/api/projects/${encodeURIComponent(projectId)}/versions`)).versions;
  }

  // -- socket -------------------------------------------------------------------------------

  /** Open the session's socket (see {@link Socket}). */
  connect(options = {}) {
    return new Socket(this, options);
  }

  /** The socket's URL. A long-lived token never goes into it (URLs end up in logs and histories):
   * same-origin sockets carry the session cookie, others a one-time `?ticket=`. */
  async socketUrl() {
    const base = this.baseUrl || globalThis.location.origin;
    const url = new URL("/ws", base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let ticket = null;
    if (this.ticketSource) ticket = await this.ticketSource();
    else if (this.baseUrl && this.token) ticket = await this.ticket();
    if (ticket) url.searchParams.set("ticket", ticket);
    return url.toString();
  }
}

const MODEL_FRAMES = new Set([
  "player_joined",
  "player_left",
  "player_disconnected",
  "player_reconnected",
  "host_changed",
  "room_updated",
  "chat",
  "kicked",
  "room_closed",
]);

const LOBBY_FRAMES = new Set(["lobby_snapshot", "lobby_room_added", "lobby_room_updated", "lobby_room_removed"]);

/** Frames of the open workshop project: numbered by the project's own `seq`. */
const PROJECT_FRAMES = new Set(["project_snapshot", "collaborator_joined", "collaborator_left", "edit", "meta_change", "saved"]);

/**
 * The one socket of a session, with typed events, auto-reconnect and resume.
 *
 * Events (`on(type, handler)`): every server frame by its `type` (`room_state`, `chat`, `game_state`,
 * `error`, ...), `"*"` for every frame, and the lifecycle events `open` `{reconnected}`,
 * `reconnecting` `{attempt, delay, code, reason}` and `close` `{code, reason, kind}` (final: no
 * reconnect follows). `change` `{cause}` fires after the room model (`room`, `messages`, `game`)
 * changed. An `error` answering the automatic `resume` carries `resume: true`: the room is gone or
 * we are no longer in it.
 *
 * Frames replayed by a resume that the last `room_state` already covers arrive with `replayed: true`;
 * the model skips them, listeners may too. Duplicates (a `seq` already seen) are dropped.
 *
 * A dead connection is noticed within seconds: at once on the browser's `offline` event, and within
 * `pingEvery + pingTimeout` ms (9 s by default) on a socket gone silent, by a `ping` every `pingEvery`
 * ms that drops the socket unless some frame arrives within `pingTimeout` ms of it.
 */
export class Socket {
  constructor(
    client,
    { reconnect = true, minDelay = 500, maxDelay = 10000, pingEvery = 5000, pingTimeout = 4000 } = {},
  ) {
    this.client = client;
    this.options = { reconnect, minDelay, maxDelay, pingEvery, pingTimeout };
    /** "connecting" | "open" | "reconnecting" | "closed" */
    this.state = "connecting";
    /** The room as the socket knows it (the room dict, members with `online`), or null. */
    this.room = null;
    /** Chat messages of the room, oldest first, each with its `seq`. */
    this.messages = [];
    /** The last `game_state` frame of the room, or null. */
    this.game = null;
    /** Highest `seq` handled, sent back in `resume`. */
    this.lastSeq = 0;
    this.roomCode = null;
    this._modelSeq = 0;
    this._listeners = new Map();
    this._attempt = 0;
    this._refs = 0;
    this._ws = null;
    this._timer = null;
    this._pingTimer = null;
    this._deadlines = new Set();
    this._heard = 0; // frames received on the current socket: any of them proves it alive
    this._opening = 0; // bumped by each attempt, so a slow ticket fetch cannot open a stale socket
    this._resumeRef = null;
    this._firstState = true;
    this._stopped = false;
    /** The public rooms of the lobby followed (`subscribeLobby`), newest first, or null. */
    this.lobby = null;
    this._lobbyFrame = null;
    /** The workshop project open on this socket (`openProject`), and the highest `seq` seen of it. */
    this.projectId = null;
    this.projectSeq = 0;
    // The network came back: reconnect now, or check that the open socket survived the change.
    this._onOnline = () => (this.state === "reconnecting" ? this.reconnectNow() : this._probe());
    this._onOffline = () => this._drop("offline");
    // A hidden tab's timers are slowed down; coming back to it checks the socket at once.
    this._onVisible = () => globalThis.document?.visibilityState === "visible" && this._probe();
    this._watchNetwork(true);
    this._open(false);
  }

  // -- events -------------------------------------------------------------------------------

  /** Call `handler(frame)` for frames of `type`; returns a function that unsubscribes. */
  on(type, handler) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(handler);
    return () => this._listeners.get(type)?.delete(handler);
  }

  /** The next frame of `type` (optionally matching `predicate`), as a promise. */
  once(type, predicate = () => true) {
    return new Promise((resolve) => {
      const off = this.on(type, (frame) => {
        if (predicate(frame)) {
          off();
          resolve(frame);
        }
      });
    });
  }

  _emit(type, payload) {
    for (const key of [type, "*"]) {
      if (key === "*" && !payload?.type) continue;
      for (const handler of [...(this._listeners.get(key) || [])]) {
        try {
          handler(payload);
        } catch (err) {
          console.error(`roomservice: a ${type} handler failed`, err);
        }
      }
    }
  }

  // -- sending ------------------------------------------------------------------------------

  /** Send a frame; returns its `ref` (echoed by an `error` about it), or null if the socket is down. */
  send(frame) {
    if (!this._ws || this._ws.readyState !== WebSocket.OPEN) return null;
    const ref = frame.ref ?? `c${++this._refs}`;
    this._ws.send(JSON.stringify({ ...frame, ref }));
    return ref;
  }

  chat(text) {
    return this.send({ type: "chat", text });
  }

  /** A game move: the payload documented by the game (docs/games.md). */
  action(payload) {
    return this.send({ type: "action", payload });
  }

  /** An application-level ping; the server answers `pong` with the same `ref`. The socket sends
   * these by itself (`pingEvery`). */
  ping() {
    return this.send({ type: "ping" });
  }

  /** Follow the public rooms of `game` (of every game when null): a `lobby_snapshot` first, then
   * `lobby_room_added`, `lobby_room_updated` and `lobby_room_removed`. `socket.lobby` holds the
   * rooms and a `lobby {cause}` event fires after it changed. Subscribed again after a reconnect
   * (a new snapshot replaces the list); if the socket is not open yet, subscribed once it opens. */
  subscribeLobby(game = null) {
    this._lobbyFrame = game ? { type: "lobby_subscribe", game } : { type: "lobby_subscribe" };
    return this.send(this._lobbyFrame);
  }

  unsubscribeLobby() {
    this._lobbyFrame = null;
    this.lobby = null;
    return this.send({ type: "lobby_unsubscribe" });
  }

  // -- the workshop (docs/workshop.md) --------------------------------------------------------

  /** Open a workshop project: a `project_snapshot` follows, then its frames (`edit`, `saved`,
   * `collaborator_joined`, `cursor`, ...). Opened again after a reconnect: within the reconnect grace
   * the server replays what was missed, later a new snapshot comes. */
  openProject(projectId) {
    this.projectId = projectId;
    this.projectSeq = 0;
    return this.send({ type: "project_open", project_id: projectId });
  }

  leaveProject() {
    this.projectId = null;
    return this.send({ type: "project_leave" });
  }

  /** An edit of the open project: `{kind: "place", x, y, z, color}`, `remove`, `recolour`, `fill`,
   * `clear`, `restore`. It comes back as an `edit` frame carrying the returned `ref`. */
  edit(op) {
    return this.send({ type: "edit", op });
  }

  undo() {
    return this.send({ type: "undo" });
  }

  redo() {
    return this.send({ type: "redo" });
  }

  save() {
    return this.send({ type: "save" });
  }

  /** Where you point: `{x, y, z}`, or null for nowhere. */
  cursor(cell) {
    return this.send(cell ? { type: "cursor", x: cell.x, y: cell.y, z: cell.z } : { type: "cursor" });
  }

  /** `{name}`, `{description}`, `{collaborators: [usernames]}` or `{owner}`. */
  metaChange(attributes) {
    return this.send({ type: "meta_change", ...attributes });
  }

  /** Close for good (no reconnect). */
  close() {
    this._stopped = true;
    this._opening += 1;
    this._clearTimers();
    this._watchNetwork(false);
    if (this._ws) this._ws.close(1000, "client closed");
    else this._finish(1000, "client closed");
  }

  /** Reconnect at once: after a final close (e.g. to take the session back from another tab) or
   * to skip the remaining backoff. */
  reconnectNow() {
    if (this._stopped) {
      this._stopped = false;
      this._watchNetwork(true);
    }
    clearTimeout(this._timer);
    if (this._ws && this._ws.readyState <= WebSocket.OPEN) return;
    this._open(true);
  }

  // -- connection ---------------------------------------------------------------------------

  async _open(reconnecting) {
    const attempt = ++this._opening;
    this.state = reconnecting ? "reconnecting" : "connecting";
    this._firstState = true;
    this._resumeRef = null;
    let ws;
    try {
      const url = await this.client.socketUrl();
      if (attempt !== this._opening) return; // closed, or another attempt started meanwhile
      ws = new WebSocket(url);
    } catch (err) {
      if (attempt !== this._opening) return;
      // A ticket refused for the token is as final as a socket refused for it.
      if (err instanceof ApiError && err.status === 401) this._closed(4001, err.code);
      else this._closed(1006, String(err?.message || err));
      return;
    }
    this._ws = ws;
    this._heard = 0;
    this._openDeadline(ws);
    ws.onopen = () => {
      if (this._ws !== ws) return;
      const reconnected = this._attempt > 0 || reconnecting;
      this._attempt = 0;
      this.state = "open";
      if (reconnected && this.roomCode && this.lastSeq) {
        this._resumeRef = this.send({ type: "resume", room_code: this.roomCode, last_seq: this.lastSeq });
      }
      if (this._lobbyFrame) this.send(this._lobbyFrame);
      if (this.projectId) {
        const frame = { type: "project_open", project_id: this.projectId };
        if (this.projectSeq) frame.last_seq = this.projectSeq;
        this.send(frame);
      }
      this._startPing();
      this._emit("open", { reconnected });
    };
    ws.onmessage = (message) => {
      if (this._ws !== ws) return; // a socket given up on may still deliver
      this._heard += 1;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === "string") this._receive(frame);
    };
    ws.onclose = (event) => {
      if (this._ws === ws) this._closed(event.code, event.reason);
    };
  }

  _closed(closeCode, reason) {
    this._ws = null;
    this._clearTimers();
    const kind = FINAL_CLOSE_CODES[closeCode];
    if (this._stopped || kind || !this.options.reconnect) {
      this._finish(closeCode, reason, kind || "closed");
      return;
    }
    this._attempt += 1;
    const base = Math.min(this.options.maxDelay, this.options.minDelay * 2 ** (this._attempt - 1));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.state = "reconnecting";
    this._emit("reconnecting", { attempt: this._attempt, delay, code: closeCode, reason });
    this._retryAfter(delay);
  }

  /** Try again after `delay` ms; while the browser says it is offline, wait for its `online` event
   * (which reconnects at once), checking again every `maxDelay` ms in case it never comes. */
  _retryAfter(delay) {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      if (globalThis.navigator?.onLine === false) this._retryAfter(this.options.maxDelay);
      else this._open(true);
    }, delay);
  }

  _finish(closeCode, reason, kind = "closed") {
    this.state = "closed";
    this._emit("close", { code: closeCode, reason, kind });
  }

  _watchNetwork(on) {
    const method = on ? "addEventListener" : "removeEventListener";
    globalThis[method]?.("online", this._onOnline);
    globalThis[method]?.("offline", this._onOffline);
    globalThis.document?.[method]?.("visibilitychange", this._onVisible);
  }

  /** A connection attempt into a dead network can hang for minutes: give up on it after
   * `pingEvery + pingTimeout` ms, as on an open socket gone silent. */
  _openDeadline(ws) {
    const { pingEvery, pingTimeout } = this.options;
    if (!pingEvery) return;
    const deadline = setTimeout(() => {
      this._deadlines.delete(deadline);
      if (this._ws === ws && ws.readyState === WebSocket.CONNECTING) this._drop("open timeout");
    }, pingEvery + pingTimeout);
    this._deadlines.add(deadline);
  }

  _startPing() {
    clearInterval(this._pingTimer);
    if (this.options.pingEvery) this._pingTimer = setInterval(() => this._probe(), this.options.pingEvery);
  }

  /** Browsers do not notice a dead network path for minutes; a ping that nothing answers does. Each
   * ping has its own deadline, and any frame received after it (its pong or another) is an answer. */
  _probe() {
    if (!this.options.pingEvery) return;
    const heard = this._heard;
    if (!this.ping()) return;
    const deadline = setTimeout(() => {
      this._deadlines.delete(deadline);
      if (this._heard === heard) this._drop("no pong");
    }, this.options.pingTimeout);
    this._deadlines.add(deadline);
  }

  /** Give up on the current socket (the network is gone or the socket went silent) and reconnect. */
  _drop(reason) {
    const ws = this._ws;
    if (!ws || this._stopped) return;
    ws.onclose = null; // a dead path may never finish the closing handshake
    ws.onmessage = null;
    try {
      ws.close(4000, reason);
    } catch {
      // closing a socket still connecting can throw in some browsers; it is dropped all the same
    }
    this._closed(1006, reason);
  }

  _clearTimers() {
    clearTimeout(this._timer);
    clearInterval(this._pingTimer);
    this._pingTimer = null;
    for (const deadline of this._deadlines) clearTimeout(deadline);
    this._deadlines.clear();
  }

  // -- frames -------------------------------------------------------------------------------

  _receive(frame) {
    if (LOBBY_FRAMES.has(frame.type)) {
      if (this._lobbyFrame) this._applyLobby(frame);
      this._emit(frame.type, frame);
      if (this._lobbyFrame) this._emit("lobby", { cause: frame.type });
      return;
    }
    const seq = typeof frame.seq === "number" ? frame.seq : null;
    if (PROJECT_FRAMES.has(frame.type) && seq !== null) {
      if (frame.type !== "project_snapshot" && seq <= this.projectSeq) return; // seen already
      this.projectSeq = seq;
      this._emit(frame.type, frame);
      return;
    }
    if (frame.type === "project_closed") this.projectId = null;
    if (frame.type === "room_state") {
      this._roomState(frame);
    } else if (frame.type === "game_state") {
      if (seq !== null) this.lastSeq = Math.max(this.lastSeq, seq);
      if (!this._olderGame(frame)) {
        this.game = frame;
        this._emit("game_state", frame);
        this._emit("change", { cause: "game_state" });
      }
      return;
    } else if (seq !== null) {
      if (seq <= this.lastSeq) return; // seen already
      this.lastSeq = seq;
      if (seq <= this._modelSeq) frame.replayed = true;
      else if (MODEL_FRAMES.has(frame.type)) this._apply(frame);
    } else if (frame.type === "error" && frame.ref != null && frame.ref === this._resumeRef) {
      // While we were away the room went, or we were taken out of it.
      this._resumeRef = null;
      frame.resume = true;
      this._emit(frame.type, frame);
      this._leaveRoom();
      return;
    }
    this._emit(frame.type, frame);
    if (frame.type === "room_state" || (MODEL_FRAMES.has(frame.type) && !frame.replayed)) {
      this._emit("change", { cause: frame.type });
    }
    const me = this.client.session?.session_id;
    const outOfRoom =
      frame.type === "kicked" ||
      frame.type === "room_closed" ||
      (frame.type === "player_left" && frame.session_id === me && !frame.replayed);
    if (outOfRoom && this.room) this._leaveRoom();
  }

  _roomState(frame) {
    const code = frame.room?.room_code ?? null;
    const resuming = this._firstState && this._resumeRef !== null && code === this.roomCode;
    if (!resuming) this._resumeRef = null;
    if (code !== this.roomCode) this.game = null;
    this.roomCode = code;
    this.room = withOnline(frame.room, null);
    this.messages = [...(frame.chat || [])];
    this._modelSeq = frame.seq;
    if (!resuming) {
      this.lastSeq = frame.seq;
      if (this._firstState) {
        // Releases frames the server holds back for a returning socket until it resumes.
        this.send({ type: "resume", room_code: code, last_seq: frame.seq });
      }
    }
    this._firstState = false;
  }

  _applyLobby(frame) {
    if (frame.type === "lobby_snapshot") {
      this.lobby = [...frame.rooms];
      return;
    }
    const others = (this.lobby || []).filter((r) => r.room_id !== frame.room.room_id);
    if (frame.type === "lobby_room_removed") this.lobby = others;
    else {
      const at = (this.lobby || []).findIndex((r) => r.room_id === frame.room.room_id);
      if (at < 0) this.lobby = [frame.room, ...others];
      else this.lobby = (this.lobby || []).map((r, i) => (i === at ? frame.room : r));
    }
  }

  _olderGame(frame) {
    const last = this.game;
    if (!last || last.game !== frame.game) return false;
    if (frame.game_no !== last.game_no) return frame.game_no < last.game_no;
    return frame.version < last.version;
  }

  _leaveRoom() {
    this.room = null;
    this.roomCode = null;
    this.game = null;
    this._emit("change", { cause: "left" });
  }

  _apply(frame) {
    const room = this.room;
    if (!room) return;
    const members = () => [...room.players, ...room.spectators];
    switch (frame.type) {
      case "player_joined": {
        const member = { online: true, ...frame.player };
        const list = member.role === "spectator" ? room.spectators : room.players;
        if (!members().some((m) => m.session_id === member.session_id)) list.push(member);
        room.player_count = room.players.length;
        break;
      }
      case "player_left":
        room.players = room.players.filter((m) => m.session_id !== frame.session_id);
        room.spectators = room.spectators.filter((m) => m.session_id !== frame.session_id);
        room.player_count = room.players.length;
        break;
      case "player_disconnected":
      case "player_reconnected":
        for (const m of members()) {
          if (m.session_id === frame.session_id) m.online = frame.type === "player_reconnected";
        }
        break;
      case "host_changed":
        room.host_session_id = frame.host_session_id;
        room.host = frame.username;
        break;
      case "room_updated":
        this.room = withOnline(frame.room, room);
        break;
      case "chat":
        if (!this.messages.some((m) => m.seq === frame.seq)) {
          this.messages.push(frame);
          if (this.messages.length > 200) this.messages.splice(0, this.messages.length - 200);
        }
        break;
      default:
        break;
    }
  }
}

/** A copy of `room` whose members carry `online`, taken from `previous` where it is known. */
function withOnline(room, previous) {
  if (!room) return null;
  const known = new Map();
  for (const m of previous ? [...previous.players, ...previous.spectators] : []) known.set(m.session_id, m.online);
  const mark = (m) => ({ ...m, online: m.online ?? known.get(m.session_id) ?? true });
  return { ...room, players: (room.players || []).map(mark), spectators: (room.spectators || []).map(mark) };
}
