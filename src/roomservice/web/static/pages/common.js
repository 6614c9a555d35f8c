// What every page shares: the client, a DOM helper that only ever makes text nodes from data, the nav
// bar, the username prompt (asked only when a name is needed), dialogs, toasts and the rejoin banner.

import { ApiError, Client } from "/static/roomservice.js";

export const client = new Client();

export const USERNAME_PATTERN = "[A-Za-z0-9 _\\-]{1,24}";
export const USERNAME_RULE = "1–24 characters: letters A–Z, digits, spaces, '_' and '-'.";

/** Build an element. `attrs`: `class`, `text`, `on<Event>` handlers, booleans, anything else as an
 * attribute. Children: nodes or strings (always text, never HTML), null/false skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the content of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** A padlock icon (drawn, so it needs no emoji font), announced as `label`. */
export function lockIcon(label = "Password required") {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "lock");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const title = document.createElementNS(ns, "title");
  title.textContent = label;
  const body = document.createElementNS(ns, "rect");
  for (const [k, v] of Object.entries({ x: 2.5, y: 7, width: 11, height: 8, rx: 1.5 })) body.setAttribute(k, v);
  const shackle = document.createElementNS(ns, "path");
  shackle.setAttribute("d", "M5 7V5a3 3 0 0 1 6 0v2");
  shackle.setAttribute("fill", "none");
  shackle.setAttribute("stroke", "currentColor");
  shackle.setAttribute("stroke-width", "1.8");
  svg.append(title, body, shackle);
  return svg;
}

/** The label of each room state, in lifecycle order. */
export const STATES = { WAITING: "Waiting", IN_GAME: "In game", FINISHED: "Finished" };
export const stateLabel = (state) => STATES[state] || state;

let toastTimer = null;
/** A short message at the bottom of the screen, read out by screen readers. */
export function toast(message) {
  const el = $("#toast");
  el.textContent = message;
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 3500);
}

/** The message to show for a failed call. */
export function describe(err) {
  return String(err?.message || err);
}

// -- games -----------------------------------------------------------------------------------

let gamesPromise = null;
/** The catalogue, fetched once per page. */
export function games() {
  gamesPromise ||= client.games();
  return gamesPromise;
}

export async function gameName(id) {
  const found = (await games()).find((g) => g.id === id);
  return found ? found.name : id;
}

// -- dialogs ---------------------------------------------------------------------------------

/** A modal `<dialog>` appended to the body; removed when closed. `required` dialogs ignore Escape. */
export function dialog({ title, label, required = false }, ...content) {
  const heading = h("h2", { id: `dlg-${Math.random().toString(36).slice(2)}`, text: title });
  const el = h("dialog", { "aria-labelledby": heading.id, "data-dialog": label || title }, heading, ...content);
  el.addEventListener("cancel", (event) => required && event.preventDefault());
  el.addEventListener("close", () => el.remove());
  document.body.append(el);
  el.showModal();
  return el;
}

/** Ask for a username until the server accepts it; `save(name)` creates or renames the session. */
export function askUsername({ title, intro, initial = "", required = false, save }) {
  return new Promise((resolve) => {
    const input = h("input", {
      id: "username",
      name: "username",
      autocomplete: "nickname",
      required: true,
      maxlength: 24,
      pattern: USERNAME_PATTERN,
      "aria-describedby": "username-hint username-error",
      value: initial,
    });
    const error = h("p", { id: "username-error", class: "error-text", role: "alert" });
    const form = h(
      "form",
      { method: "dialog", novalidate: true },
      intro ? h("p", { text: intro }) : null,
      h(
        "div",
        { class: "field" },
        h("label", { for: "username", text: "Your name" }),
        input,
        h("span", { id: "username-hint", class: "hint", text: USERNAME_RULE }),
        error,
      ),
      h(
        "div",
        { class: "actions" },
        required ? null : h("button", { type: "button", value: "cancel", onClick: () => dlg.close() }, "Cancel"),
        h("button", { class: "primary", type: "submit" }, "Save"),
      ),
    );
    const dlg = dialog({ title, label: "username", required }, form);
    dlg.addEventListener("close", () => resolve(null));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!new RegExp(`^${USERNAME_PATTERN}$`).test(name)) {
        error.textContent = `A name is ${USERNAME_RULE}`;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      try {
        const result = await save(name);
        resolve(result);
        dlg.close();
      } catch (err) {
        error.textContent = describe(err);
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    });
  });
}

/** Ask a yes/no question in a dialog; resolves true for `confirm`. */
export function confirmDialog(title, message, confirmLabel = "OK") {
  return new Promise((resolve) => {
    let answer = false;
    const dlg = dialog(
      { title },
      h("p", { text: message }),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onClick: () => dlg.close() }, "Cancel"),
        h("button", { class: "primary", type: "button", onClick: () => ((answer = true), dlg.close()) }, confirmLabel),
      ),
    );
    dlg.addEventListener("close", () => resolve(answer));
  });
}

// -- identity --------------------------------------------------------------------------------

// The session cookie is HttpOnly and `GET /api/session` answers 401 without one, which the browser
// logs as an error. So this browser remembers that it made a session, and a first visit asks nothing.
const SESSION_MARK = "roomservice.session";

function hasSessionMark() {
  try {
    return globalThis.localStorage.getItem(SESSION_MARK) === "1";
  } catch {
    return true; // no storage: ask the server
  }
}

/** Remember (or forget) that this browser holds a session cookie, after logging in or out. */
export function setSessionMark(present) {
  try {
    if (present) globalThis.localStorage.setItem(SESSION_MARK, "1");
    else globalThis.localStorage.removeItem(SESSION_MARK);
  } catch {
    // storage refused (private mode): we ask the server next time
  }
}

/** The session if this browser has one, without asking for a name. Draws the nav bar. */
export async function loadSession() {
  let session = null;
  if (hasSessionMark()) {
    session = await client.getSession();
    setSessionMark(Boolean(session));
  } else {
    client.session = null;
  }
  renderNav();
  return session;
}

const WELCOME = {
  title: "Welcome! Pick a name",
  intro: "Other players see this name. You can change it later.",
};

async function createSession(name) {
  const created = await client.createSession(name);
  setSessionMark(true);
  document.dispatchEvent(new CustomEvent("session-created", { detail: created }));
  return created;
}

/** The session, asking for a name first when there is none: before creating or joining a room.
 * Resolves null when the visitor cancels (unless `required`). */
export async function needSession({ required = false } = {}) {
  if (client.session) return client.session;
  const created = await askUsername({ ...WELCOME, required, save: createSession });
  if (!created) return null;
  const session = await client.getSession();
  renderNav($("[data-nav=lobby]")?.textContent === "Back to lobby");
  return session;
}

/** The session, asking for a name if there is none yet: for a page that cannot show anything
 * without one (a room's page, opened by its invite link). */
export async function ensureSession() {
  await loadSession();
  return needSession({ required: true });
}

/** The nav bar: home, lobby, who you are and a rename control; `inRoom` makes "Lobby" a way back. */
export function renderNav(inRoom = false) {
  const nav = $("#nav");
  const session = client.session;
  fill(
    nav,
    h("a", { class: "brand", href: "/" }, "roomservice"),
    h(
      "nav",
      { class: "links", "aria-label": "Main" },
      h("a", { href: "/" }, "Games"),
      h("a", { href: "/lobby", "data-nav": "lobby" }, inRoom ? "Back to lobby" : "Lobby"),
      h("a", { href: "/workshop", "data-nav": "workshop" }, "Workshop"),
      h("a", { href: "/account", "data-nav": "account" }, session?.account ? "Account" : "Sign up / Log in"),
    ),
    session
      ? h(
          "div",
          { class: "who" },
          h("span", { class: "name", title: session.username }, "Playing as ", h("strong", { id: "me", text: session.username })),
          h("button", { type: "button", id: "rename", onClick: rename }, "Rename"),
        )
      : h("div", { class: "who" }, h("button", { type: "button", id: "pick-name", onClick: () => needSession() }, "Pick a name")),
  );
}

async function rename() {
  const renamed = await askUsername({
    title: "Change your name",
    initial: client.session?.username || "",
    save: (name) => client.rename(name),
  });
  if (renamed) {
    renderNav($("[data-nav=lobby]")?.textContent === "Back to lobby");
    toast(`You are now ${renamed.username}.`);
    document.dispatchEvent(new CustomEvent("renamed", { detail: renamed }));
  }
}

/** On home and lobby: the room you have a seat in, and a way back to it (or out of it). */
export function rejoinBanner(session) {
  if (!session?.room_code) return null;
  const code = session.room_code;
  const box = h(
    "div",
    { class: "notice", id: "rejoin" },
    h("strong", { text: "You have a seat in room " }),
    h("strong", { class: "code", text: code }),
    ". ",
    h(
      "span",
      { class: "row" },
      h("a", { class: "button primary", href: `/r/${encodeURIComponent(code)}` }, "Back to your seat"),
      h(
        "button",
        {
          type: "button",
          onClick: async () => {
            try {
              await client.leave(code);
              box.remove();
              toast("You left the room.");
              document.dispatchEvent(new CustomEvent("left-room"));
            } catch (err) {
              toast(describe(err));
            }
          },
        },
        "Leave that room",
      ),
    ),
  );
  return box;
}

/** Take a seat (or a spectator's place) in `room`, asking for its password if it has one. Resolves
 * true when seated; shows what went wrong otherwise. */
export async function joinRoom(room, { spectator = false } = {}) {
  if (!room.has_password) return attemptJoin(room, { spectator });
  return new Promise((resolve) => {
    let seated = false;
    const input = h("input", { id: "room-password", type: "password", autocomplete: "off", required: true, "aria-describedby": "room-password-error" });
    const error = h("p", { id: "room-password-error", class: "error-text", role: "alert" });
    const form = h(
      "form",
      { novalidate: true },
      h("p", {}, lockIcon(), " ", h("span", { text: `"${room.name}" is protected by a password.` })),
      h("div", { class: "field" }, h("label", { for: "room-password", text: "Password" }), input, error),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onClick: () => dlg.close() }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, spectator ? "Watch" : "Join"),
      ),
    );
    const dlg = dialog({ title: `Join ${room.name}`, label: "password" }, form);
    dlg.addEventListener("close", () => resolve(seated));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await client.join(room.room_code, { password: input.value, spectator });
        seated = true;
        dlg.close();
      } catch (err) {
        if (err instanceof ApiError && err.code === "already_in_room") {
          dlg.close();
          showAlreadyInRoom(err);
          return;
        }
        error.textContent = describe(err);
        input.setAttribute("aria-invalid", "true");
        input.select();
      }
    });
  });
}

async function attemptJoin(room, options) {
  try {
    await client.join(room.room_code, options);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === "already_in_room") showAlreadyInRoom(err);
    else toast(describe(err));
    return false;
  }
}

/** Someone who sits in another room: go back there, or leave it. */
export function showAlreadyInRoom(err) {
  const other = err.details?.room;
  const dlg = dialog(
    { title: "You are in another room" },
    h("p", { text: err.message }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onClick: () => dlg.close() }, "Cancel"),
      other
        ? h(
            "button",
            {
              type: "button",
              onClick: async () => {
                try {
                  await client.leave(other.room_code);
                  toast(`You left ${other.name}. Try again.`);
                  document.dispatchEvent(new CustomEvent("left-room"));
                } catch (e) {
                  toast(describe(e));
                }
                dlg.close();
              },
            },
            "Leave it",
          )
        : null,
      other ? h("a", { class: "button primary", href: `/r/${encodeURIComponent(other.room_code)}` }, "Go there") : null,
    ),
  );
}
