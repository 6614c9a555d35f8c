// What the workshop's pages share: times, the guest's notice, the cubes of a sculpture kept by cell,
// and its isometric picture on a canvas.

import { fill, h } from "/static/pages/common.js";

/** "2 min ago"-style text for an ISO time. */
export function ago(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** What a guest sees on the workshop's pages. */
export function needAccount(main) {
  fill(
    main,
    h("h1", { text: "Workshop" }),
    h(
      "div",
      { class: "notice big", id: "need-account" },
      h("p", { text: "Projects belong to accounts: sign up or log in to build sculptures with others." }),
      h("div", { class: "row" }, h("a", { class: "button primary", href: "/account" }, "Sign up / Log in")),
    ),
  );
}

export const key = (x, y, z) => `${x},${y},${z}`;

/** A sculpture's cubes by cell, changed by the `set` and `removed` of each `edit` frame in order. */
export class Cubes {
  constructor(content) {
    this.size = content.size;
    this.cells = new Map();
    for (const c of content.cubes) this.cells.set(key(c.x, c.y, c.z), c.color);
  }

  get(x, y, z) {
    return this.cells.get(key(x, y, z)) || null;
  }

  /** Apply an `edit` frame; the cells it touched. */
  apply(frame) {
    for (const c of frame.set) this.cells.set(key(c.x, c.y, c.z), c.color);
    for (const c of frame.removed) this.cells.delete(key(c.x, c.y, c.z));
    return [...frame.set, ...frame.removed];
  }

  /** `[{x, y, z, color}]` in drawing order: back to front, bottom to top. */
  list() {
    const out = [];
    for (const [k, color] of this.cells) {
      const [x, y, z] = k.split(",").map(Number);
      out.push({ x, y, z, color });
    }
    return out.sort((a, b) => a.x + a.y + a.z - (b.x + b.y + b.z) || a.y - b.y);
  }
}

function shade(hex, factor) {
  const n = Number.parseInt(hex.slice(1), 16);
  const part = (shift) => Math.round(((n >> shift) & 255) * factor);
  return `rgb(${part(16)}, ${part(8)}, ${part(0)})`;
}

/** Draw the sculpture seen from above one corner, with the outline of the layer being edited. */
export function drawIsometric(canvas, cubes, layer) {
  const [sx, sy, sz] = cubes.size;
  const margin = 8;
  const s = Math.max(2, Math.floor((canvas.width - 2 * margin) / (sx + sz)));
  const cx = margin + sz * s;
  const cy = margin + sy * s;
  const at = (x, y, z) => [cx + (x - z) * s, cy + ((x + z) * s) / 2 - y * s];
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const face = (points, color) => {
    ctx.beginPath();
    points.forEach(([x, y, z], i) => {
      const [px, py] = at(x, y, z);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
  };
  // The floor, and the layer being edited.
  face([[0, 0, 0], [sx, 0, 0], [sx, 0, sz], [0, 0, sz]], "#e6e9ef");
  ctx.strokeStyle = "#2f5fd0";
  ctx.beginPath();
  [[0, layer, 0], [sx, layer, 0], [sx, layer, sz], [0, layer, sz], [0, layer, 0]].forEach(([x, y, z], i) => {
    const [px, py] = at(x, y, z);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
  for (const { x, y, z, color } of cubes.list()) {
    face([[x, y + 1, z], [x + 1, y + 1, z], [x + 1, y + 1, z + 1], [x, y + 1, z + 1]], color);
    face([[x + 1, y, z], [x + 1, y + 1, z], [x + 1, y + 1, z + 1], [x + 1, y, z + 1]], shade(color, 0.8));
    face([[x, y, z + 1], [x + 1, y, z + 1], [x + 1, y + 1, z + 1], [x, y + 1, z + 1]], shade(color, 0.62));
  }
}

/** A colour of its own for each collaborator's cursor. */
export function personColor(name) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360}, 70%, 42%)`;
}
