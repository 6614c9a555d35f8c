// The editor: one project's sculpture, edited layer by layer with everyone who has it open. The grid
// is the layer being edited (x across, z down); the picture beside it is the whole sculpture. Every
// change arrives as an `edit` frame, ours included, so this page shows what the server holds.

import { ApiError } from "/static/roomservice.js";
import { $, client, describe, fill, h, loadSession, toast } from "/static/pages/common.js";
import { Cubes, ago, drawIsometric, key, needAccount, personColor } from "/static/pages/sculpture.js";

const PALETTE = ["#d94141", "#f08c2e", "#f2c94c", "#4caf50", "#2e9e9e", "#2f5fd0", "#7b4fd0", "#e05fa0", "#8d6e63", "#ffffff", "#9e9e9e", "#222222"];
const CURSOR_EVERY_MS = 100;

const projectId = decodeURIComponent(globalThis.location.pathname.split("/").pop() || "");
const state = {
  me: null,
  project: null,
  cubes: null,
  layer: 0,
  color: PALETTE[5],
  tool: "place",
  changed: false,
  /** username → cell {x, y, z} or null */
  present: new Map(),
  socket: null,
};

// -- the page ---------------------------------------------------------------------------------

function denied(main, title, text) {
  fill(
    main,
    h("h1", { text: title }),
    h("div", { class: "notice big", id: "denied", role: "alert" }, h("p", { text }), h("a", { href: "/workshop" }, "Back to the workshop")),
  );
}

function layout(main) {
  const size = state.cubes.size;
  const grid = h("div", { class: "voxel-grid", id: "grid", role: "grid", "aria-label": "Layer" });
  grid.style.gridTemplateColumns = `repeat(${size[0]}, 1fr)`;
  for (let z = 0; z < size[2]; z += 1) {
    for (let x = 0; x < size[0]; x += 1) {
      grid.append(h("button", { type: "button", class: "cell", "data-x": x, "data-z": z }));
    }
  }
  grid.addEventListener("click", (event) => act(event, state.tool));
  grid.addEventListener("contextmenu", (event) => {
    event.preventDefault();
    act(event, "remove");
  });
  grid.addEventListener("mousemove", pointAt);
  grid.addEventListener("mouseleave", () => sendCursor(null));

  const layerInput = h("input", { id: "layer", type: "range", min: 0, max: size[1] - 1, value: state.layer });
  layerInput.addEventListener("input", () => setLayer(Number(layerInput.value)));
  const swatches = PALETTE.map((color) => {
    const swatch = h("button", { type: "button", class: "paint", "data-color": color, "aria-label": `Colour ${color}`, onClick: () => pick(color) });
    swatch.style.backgroundColor = color;
    return swatch;
  });
  const picker = h("input", { type: "color", id: "color", value: state.color, "aria-label": "Any colour" });
  picker.addEventListener("input", () => pick(picker.value));
  const tool = (value, label) =>
    h("label", { class: "tool" }, h("input", { type: "radio", name: "tool", value, checked: state.tool === value, onChange: () => (state.tool = value) }), label);

  fill(
    main,
    h("div", { class: "editor-head" },
      h("h1", { id: "project-name", text: state.project.name }),
      h("p", { class: "muted", id: "project-meta" }),
    ),
    h("div", { class: "editor" },
      h("section", { class: "panel tools", "aria-label": "Tools" },
        h("div", { class: "row", role: "radiogroup", "aria-label": "Tool" }, tool("place", "Place"), tool("remove", "Remove")),
        h("div", { class: "palette", id: "palette" }, swatches, picker),
        h("div", { class: "field" }, h("label", { for: "layer", id: "layer-label" }), layerInput),
        h("div", { class: "row" },
          h("button", { type: "button", id: "undo", onClick: () => state.socket.undo() }, "Undo"),
          h("button", { type: "button", id: "redo", onClick: () => state.socket.redo() }, "Redo"),
        ),
        h("div", { class: "row" },
          h("button", { type: "button", class: "primary", id: "save", onClick: () => save() }, "Save"),
          h("span", { id: "save-status", role: "status" }),
        ),
        h("p", { class: "muted small", id: "cube-count" }),
      ),
      h("section", { class: "stage", "aria-label": "Sculpture" }, grid, h("canvas", { id: "iso", width: 420, height: 400, role: "img", "aria-label": "The whole sculpture" })),
      h("aside", { class: "panel side" },
        h("h2", { text: "Here now" }),
        h("ul", { class: "plain present", id: "present" }),
        h("h2", { text: "Versions" }),
        h("ol", { class: "plain versions", id: "versions" }),
        h("h2", { text: "Project" }),
        renameForm(),
        h("p", { id: "collaborators" }),
        addForm(),
      ),
    ),
  );
  pick(state.color);
  setLayer(state.layer);
}

function renameForm() {
  const input = h("input", { id: "rename-input", maxlength: 80, "aria-label": "Project name", value: state.project.name });
  const form = h("form", { class: "row", id: "rename" }, input, h("button", { type: "submit" }, "Rename"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value.trim()) state.socket.metaChange({ name: input.value.trim() });
  });
  return form;
}

function addForm() {
  const input = h("input", { id: "add-collaborator-name", maxlength: 24, "aria-label": "Username", autocomplete: "off" });
  const form = h("form", { class: "row", id: "add-collaborator" }, input, h("button", { type: "submit" }, "Add collaborator"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await client.addCollaborator(projectId, input.value.trim());
      input.value = "";
    } catch (err) {
      toast(describe(err));
    }
  });
  return form;
}

// -- showing ----------------------------------------------------------------------------------

function cellEl(x, z) {
  return $(`#grid .cell[data-x="${x}"][data-z="${z}"]`);
}

function paintCell(x, z) {
  const el = cellEl(x, z);
  if (!el) return;
  const color = state.cubes.get(x, state.layer, z);
  const below = state.layer > 0 ? state.cubes.get(x, state.layer - 1, z) : null;
  el.style.backgroundColor = color || "";
  el.classList.toggle("ghost", !color && Boolean(below));
  if (color) el.setAttribute("data-color", color);
  else el.removeAttribute("data-color");
  el.setAttribute("aria-label", `x ${x}, z ${z}: ${color || "empty"}`);
}

function paintLayer() {
  const [sx, , sz] = state.cubes.size;
  for (let z = 0; z < sz; z += 1) for (let x = 0; x < sx; x += 1) paintCell(x, z);
  paintCursors();
}

function paintCursors() {
  for (const el of document.querySelectorAll("#grid .cell.cursor")) {
    el.classList.remove("cursor");
    el.removeAttribute("data-cursor");
    el.style.outlineColor = "";
  }
  for (const [name, cell] of state.present) {
    if (name === state.me || !cell || cell.y !== state.layer) continue;
    const el = cellEl(cell.x, cell.z);
    if (!el) continue;
    el.classList.add("cursor");
    el.setAttribute("data-cursor", name);
    el.style.outlineColor = personColor(name);
  }
  const list = $("#present");
  if (list) {
    fill(
      list,
      [...state.present].map(([name, cell]) => {
        const dot = h("span", { class: "dot", "aria-hidden": "true" });
        dot.style.backgroundColor = personColor(name);
        const where = cell ? ` · layer ${cell.y}` : "";
        return h("li", { "data-person": name }, dot, name === state.me ? `${name} (you)` : name, h("span", { class: "muted", text: where }));
      }),
    );
  }
}

function paintPicture() {
  drawIsometric($("#iso"), state.cubes, state.layer);
  $("#cube-count").textContent = `${state.cubes.cells.size} cubes`;
}

function paintMeta() {
  const p = state.project;
  $("#project-name").textContent = p.name;
  document.title = `${p.name} · Workshop · roomservice`;
  $("#project-meta").textContent = `Owned by ${p.owner}${p.description ? ` · ${p.description}` : ""}`;
  $("#collaborators").textContent = p.collaborators.length ? `Collaborators: ${p.collaborators.join(", ")}` : "No collaborators yet.";
  $("#add-collaborator").hidden = p.owner !== state.me;
}

function paintStatus(text) {
  $("#save-status").textContent = text ?? (state.changed ? "Unsaved changes" : `Saved · version ${state.project.version}`);
}

async function paintVersions() {
  let versions;
  try {
    versions = await client.versions(projectId);
  } catch {
    return;
  }
  fill(
    $("#versions"),
    versions.map((v) =>
      h(
        "li",
        { "data-version": v.version },
        h("span", { text: `Version ${v.version} · ${v.cubes} cubes · ${v.auto ? "autosaved" : `by ${v.saved_by ?? "?"}`} · ${ago(v.saved_at)}` }),
        h("button", { type: "button", class: "small", onClick: () => state.socket.edit({ kind: "restore", version: v.version }) }, "Restore"),
      ),
    ),
  );
}

// -- acting -----------------------------------------------------------------------------------

function cellOf(event) {
  const el = event.target.closest?.(".cell");
  return el ? { x: Number(el.dataset.x), y: state.layer, z: Number(el.dataset.z) } : null;
}

function act(event, tool) {
  const cell = cellOf(event);
  if (!cell) return;
  if (tool === "remove") state.socket.edit({ kind: "remove", ...cell });
  else state.socket.edit({ kind: "place", ...cell, color: state.color });
}

function pick(color) {
  state.color = color.toLowerCase();
  for (const el of document.querySelectorAll(".paint")) el.setAttribute("aria-pressed", String(el.dataset.color === state.color));
  const picker = $("#color");
  if (picker && picker.value !== state.color) picker.value = state.color;
}

function setLayer(layer) {
  state.layer = layer;
  $("#layer-label").textContent = `Layer (height) ${layer}`;
  paintLayer();
  paintPicture();
}

let lastCursor = 0;
let cursorTimer = null;
let pendingCursor;
function sendCursor(cell) {
  pendingCursor = cell;
  const wait = lastCursor + CURSOR_EVERY_MS - Date.now();
  if (wait > 0) {
    cursorTimer ??= setTimeout(() => {
      cursorTimer = null;
      sendCursor(pendingCursor);
    }, wait);
    return;
  }
  lastCursor = Date.now();
  state.socket?.cursor(cell);
}

let lastPointed = "";
function pointAt(event) {
  const cell = cellOf(event);
  const k = cell ? key(cell.x, cell.y, cell.z) : "";
  if (k === lastPointed) return;
  lastPointed = k;
  sendCursor(cell);
}

function save() {
  paintStatus("Saving…");
  state.socket.save();
}

// -- the project's frames ---------------------------------------------------------------------

function listen(socket) {
  socket.on("project_snapshot", (frame) => {
    state.project = frame.project;
    state.cubes = new Cubes(frame.content);
    state.changed = frame.changed;
    state.present = new Map(frame.present.map((p) => [p.username, p.cursor ? { ...p.cursor } : null]));
    if (!$("#grid")) layout($("#main"));
    paintMeta();
    paintLayer();
    paintPicture();
    paintStatus();
    paintVersions();
  });
  socket.on("collaborator_joined", (frame) => {
    if (!state.present.has(frame.username)) state.present.set(frame.username, null);
    paintCursors();
  });
  socket.on("collaborator_left", (frame) => {
    state.present.delete(frame.username);
    paintCursors();
  });
  socket.on("cursor", (frame) => {
    if (!state.present.has(frame.username)) return;
    state.present.set(frame.username, frame.x === null ? null : { x: frame.x, y: frame.y, z: frame.z });
    paintCursors();
  });
  socket.on("edit", (frame) => {
    if (!state.cubes) return;
    const touched = state.cubes.apply(frame);
    for (const c of touched) if (c.y === state.layer || c.y === state.layer - 1) paintCell(c.x, c.z);
    paintPicture();
    if (touched.length) {
      state.changed = true;
      paintStatus();
    }
  });
  socket.on("saved", (frame) => {
    state.project = { ...state.project, version: frame.version, saved_at: frame.saved_at };
    if (frame.seq) state.changed = false;
    paintStatus();
    if (frame.seq) paintVersions();
  });
  socket.on("meta_change", (frame) => {
    state.project = { ...state.project, ...frame.project };
    paintMeta();
  });
  socket.on("project_closed", (frame) => {
    const text = frame.reason === "deleted" ? "This project was deleted." : "You are no longer a collaborator of this project.";
    denied($("#main"), "Project closed", text);
  });
  socket.on("error", (frame) => {
    if (["not_collaborator", "project_not_found", "account_required"].includes(frame.code) && !$("#grid")) {
      denied($("#main"), "Cannot open this project", frame.message);
      socket.close();
      return;
    }
    toast(frame.message);
    if ($("#save-status")?.textContent === "Saving…") paintStatus();
  });
  socket.on("reconnecting", () => paintStatus("Reconnecting…"));
  socket.on("open", ({ reconnected }) => reconnected && state.project && paintStatus());
}

async function main() {
  const session = await loadSession();
  const main = $("#main");
  if (!session?.account) {
    needAccount(main);
    return;
  }
  state.me = session.account.username;
  try {
    await client.project(projectId); // says at once when it is not ours to open
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) denied(main, "Not your project", "You are not a collaborator of this project: ask its owner to add you.");
    else if (err instanceof ApiError && err.status === 404) denied(main, "No such project", "This project does not exist (any more).");
    else denied(main, "Cannot open this project", describe(err));
    return;
  }
  const socket = client.connect();
  state.socket = socket;
  listen(socket);
  socket.openProject(projectId);
  globalThis.addEventListener("pagehide", () => {
    socket.leaveProject();
    socket.close();
  });
}

main();
