// Arena table (docs/games.md §8): a canvas with the field, your own player predicted and reconciled,
// the others interpolated INTERP_MS in the past, projectiles, health, the scoreboard, the timer and a
// kill feed. Inputs (WASD/arrows, mouse aim, click or space to fire) go out 30 times a second.
//
// Prediction: each input sent is applied at once to your position with the server's own movement rule
// (speed cap, wall sliding, rounding), and kept until a view acknowledges it (`ack`). Each view resets
// your position to the server's and re-applies the inputs it has not acknowledged yet, so on a clean
// connection the corrected position is the one already shown.
//
// For tests the root carries data attributes: `data-tick` (the tick shown), `data-me-x`/`data-me-y`
// (your predicted position), `data-shots` (projectiles drawn) and each scoreboard row `data-x`/`data-y`
// (where that player is drawn).

import { h } from "/static/pages/common.js";

// -- the world, mirrored from roomservice.games.arena.world ------------------------------------

const TICK_RATE = 30;
const TICK_MS = 1000 / TICK_RATE;
const WIDTH = 32;
const HEIGHT = 24;
const RADIUS = 0.5;
const SPEED = 6;
const MAX_HEALTH = 100;
const WALLS = [
  [6, 4, 8, 10],
  [24, 14, 26, 20],
  [14, 10, 18, 14],
  [10, 18, 16, 19],
  [16, 5, 22, 6],
];
const BLOCKS = WALLS.map(([x0, y0, x1, y1]) => [x0 - RADIUS, y0 - RADIUS, x1 + RADIUS, y1 + RADIUS]);
const ALIVE = 0;
const DEAD = 1;
const LEFT = 2;

/** Others are drawn this far in the past, between the two views around that time (3 ticks). */
const INTERP_MS = 100;
/** Inputs sent and not yet acknowledged beyond which the page waits: the server queues 8, so more
 * could be refused. Inputs acknowledged within about 200 ms (a round trip plus a view period) keep
 * the full rate; a slower link sends fewer and the server carries the last one on. */
const MAX_PENDING = 8;
/** Ticks the input clock may catch up at once after a stall (a background tab, a slow frame). */
const MAX_CATCH_UP = 3;
const FEED_MS = 6000;
const FLASH_MS = 300;

/** The mirrored numbers, for the test that holds them to the server's. */
export const WORLD = { TICK_RATE, WIDTH, HEIGHT, RADIUS, SPEED, MAX_HEALTH, WALLS };

const round = (value, places) => {
  const f = 10 ** places;
  return Math.round(value * f) / f;
};

/** world.move: one axis after the other, stopping at the first wall on each (sliding along it). */
export function move(x, y, dx, dy) {
  let nx = Math.min(Math.max(x + dx, RADIUS), WIDTH - RADIUS);
  for (const [x0, y0, x1, y1] of BLOCKS) {
    if (y0 < y && y < y1) {
      if (x <= x0 && x0 < nx) nx = x0;
      else if (nx < x1 && x1 <= x) nx = x1;
    }
  }
  let ny = Math.min(Math.max(y + dy, RADIUS), HEIGHT - RADIUS);
  for (const [x0, y0, x1, y1] of BLOCKS) {
    if (x0 < nx && nx < x1) {
      if (y <= y0 && y0 < ny) ny = y0;
      else if (ny < y1 && y1 <= y) ny = y1;
    }
  }
  return [round(nx, 3), round(ny, 3)];
}

/** One tick of an input's movement, as rules.advance applies it (the `move` clamped to length 1). */
export function step(pos, mx, my) {
  if (!mx && !my) return pos;
  return move(pos[0], pos[1], (mx * SPEED) / TICK_RATE, (my * SPEED) / TICK_RATE);
}

function lerpAngle(a, b, f) {
  let d = (b - a) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  return a + d * f;
}

const KEYS = {
  KeyW: "up", ArrowUp: "up", KeyS: "down", ArrowDown: "down",
  KeyA: "left", ArrowLeft: "left", KeyD: "right", ArrowRight: "right", Space: "fire",
};

/** Mount the table in `container`; `ctx` = {me, send(payload) → false when not connected, name(id),
 * log(text)}. */
export function mount(container, ctx) {
  const canvas = h("canvas", { class: "arena-canvas", id: "arena-canvas", tabindex: "0", "aria-label": "The arena: move with WASD or the arrows, aim with the mouse, click or press space to fire" });
  const timer = h("span", { class: "arena-timer", id: "arena-timer" });
  const status = h("p", { class: "game-status", id: "arena-status", "aria-live": "polite" });
  const health = h("span", { class: "arena-health", id: "arena-health" });
  const board = h("tbody");
  const feed = h("ol", { class: "arena-feed", id: "arena-feed", "aria-label": "Kill feed" });
  const root = h(
    "div",
    { class: "arena" },
    h("div", { class: "arena-bar" }, status, h("span", { class: "spacer" }), health, timer),
    h(
      "div",
      { class: "arena-body" },
      h("div", { class: "arena-field" }, canvas, feed),
      h(
        "table",
        { class: "arena-scores", id: "arena-scores" },
        h("caption", { text: "" }),
        h("thead", {}, h("tr", {}, h("th", { text: "Player" }), ...[["Kills", "K"], ["Deaths", "D"], ["Health", "HP"]].map(([long, short]) => h("th", {}, h("abbr", { title: long, text: short }))))),
        board,
      ),
    ),
    h("p", { class: "muted small", text: "Move with WASD or the arrow keys, aim with the mouse, click or hold space to fire." }),
  );
  container.append(root);
  const scoreCaption = board.parentElement.querySelector("caption");

  const g = canvas.getContext("2d");
  let views = []; // the last second of views: {t, view}, oldest first
  let latest = null; // the newest view
  let result = null;
  let offset = null; // server tick time minus local time, ms (smoothed)
  // A page reloaded mid-match must send newer seqs than it did before (older ones are ignored): from
  // the clock in milliseconds they are, since 30 inputs a second never catch up with it.
  let seq = Date.now();
  let pending = []; // inputs sent and not yet acknowledged: [seq, mx, my]
  let predicted = null; // [x, y] after every input sent
  let before = null; // predicted position one input earlier, to draw between the two
  let lastStep = 0; // local time of the last input
  let nextTick = null;
  const held = new Set();
  let mouse = null; // world coordinates of the pointer
  let mouseFire = false;
  let aim = 0;
  let rows = new Map(); // player id → scoreboard row
  let shown = new Map(); // player id → [x, y] drawn this frame
  let ended = false;
  const flashes = new Map(); // player id → local time from which a hit on them shows

  /** Set a text only when it changes: views come 20 times a second, and a live region re-announces. */
  const setText = (el, text) => {
    if (el.textContent !== String(text)) el.textContent = String(text);
  };
  const mineIn = (view) => view?.p.find((p) => p[0] === ctx.me) || null;
  const playing = () => latest && !ended && mineIn(latest) && mineIn(latest)[9] !== LEFT;
  const who = (id) => (id === ctx.me ? "You" : ctx.name(id));

  // -- time: the server's tick clock as seen here --------------------------------------------------

  let observed = null; // local time of the last view
  function observe(t, now) {
    const sample = t * TICK_MS - now;
    // Views that arrive early say the link is quick: follow them at once; late ones only slowly, so
    // one delayed view does not push everyone back in time, and never by more than a tenth of the time
    // since the last view, so the picture never runs backwards.
    if (offset === null || sample > offset) offset = sample;
    else offset += Math.max((sample - offset) * 0.05, -(now - (observed ?? now)) * 0.1);
    observed = now;
  }
  const serverTick = (now) => (offset === null ? 0 : (now + offset) / TICK_MS);
  const renderTick = (now) => serverTick(now) - INTERP_MS / TICK_MS;

  // -- inputs ------------------------------------------------------------------------------------

  function direction() {
    let mx = (held.has("right") ? 1 : 0) - (held.has("left") ? 1 : 0);
    let my = (held.has("down") ? 1 : 0) - (held.has("up") ? 1 : 0);
    const length = Math.hypot(mx, my);
    if (length > 1) {
      mx = round(mx / length, 4);
      my = round(my / length, 4);
    }
    return [mx, my];
  }

  function sendInput(now) {
    const me = mineIn(latest);
    if (!me || pending.length >= MAX_PENDING) return;
    const [mx, my] = direction();
    const alive = me[9] === ALIVE;
    if (mouse && predicted) aim = Math.atan2(mouse[1] - predicted[1], mouse[0] - predicted[0]);
    const tick = Math.max(0, Math.floor(renderTick(now)));
    const input = { seq: seq + 1, tick, move: [mx, my], aim: round(aim, 4), fire: alive && (mouseFire || held.has("fire")) };
    if (ctx.send(input) === false) return; // not connected: nothing to predict
    seq += 1;
    pending.push([seq, mx, my]);
    before = predicted;
    if (alive && predicted) predicted = step(predicted, mx, my);
    lastStep = now;
  }

  function inputClock() {
    if (!root.isConnected) return stop();
    const now = performance.now();
    if (!playing()) {
      nextTick = null;
      return;
    }
    if (nextTick === null || now - nextTick > MAX_CATCH_UP * TICK_MS) nextTick = now;
    while (now >= nextTick) {
      sendInput(now);
      nextTick += TICK_MS;
    }
  }

  // -- views -------------------------------------------------------------------------------------

  function reconcile(view) {
    const me = mineIn(view);
    if (!me) {
      predicted = before = null;
      return;
    }
    if (view.ack !== null) pending = pending.filter((input) => input[0] > view.ack);
    // Should this clock be behind the one that sent the inputs the server holds, start past them
    // (past the most that can still wait in its queue too).
    if (view.ack !== null && seq < view.ack) seq = view.ack + MAX_PENDING;
    if (me[9] !== ALIVE) {
      predicted = before = [me[1], me[2]];
      return;
    }
    const old = predicted;
    let pos = [me[1], me[2]];
    for (const [, mx, my] of pending) pos = step(pos, mx, my);
    predicted = pos;
    // A correction moves the path drawn between the last two inputs along with it.
    if (before && old) before = [before[0] + pos[0] - old[0], before[1] + pos[1] - old[1]];
    else before = pos;
  }

  // -- drawing -----------------------------------------------------------------------------------

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * ratio);
    const height = Math.round((width * HEIGHT) / WIDTH);
    if (width && (canvas.width !== width || canvas.height !== height)) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  /** Where each player is drawn: you where you predict yourself, the others INTERP_MS in the past. */
  function positions(now) {
    const out = new Map();
    if (!latest) return out;
    const rt = renderTick(now);
    let a = views[0];
    let b = views[0];
    for (const entry of views) {
      if (entry.t <= rt) a = entry;
      if (entry.t >= rt) {
        b = entry;
        break;
      }
      b = entry;
    }
    const f = b.t > a.t ? Math.min(Math.max((rt - a.t) / (b.t - a.t), 0), 1) : 0;
    const from = new Map(a.view.p.map((p) => [p[0], p]));
    for (const p of b.view.p) {
      const q = from.get(p[0]) || p;
      // Someone who died or respawned between the two views jumps: no sliding across the field.
      const same = q[9] === p[9];
      const x = same ? q[1] + (p[1] - q[1]) * f : f < 0.5 ? q[1] : p[1];
      const y = same ? q[2] + (p[2] - q[2]) * f : f < 0.5 ? q[2] : p[2];
      const status = f < 0.5 ? q[9] : p[9];
      out.set(p[0], { x, y, aim: lerpAngle(q[5], p[5], f), status, colour: p[10], hp: f < 0.5 ? q[6] : p[6] });
    }
    const me = mineIn(latest);
    if (me && out.has(ctx.me)) {
      const mine = out.get(ctx.me);
      mine.status = me[9];
      mine.hp = me[6];
      if (me[9] === ALIVE && predicted) {
        const f2 = before ? Math.min((now - lastStep) / TICK_MS, 1) : 1;
        const from2 = before || predicted;
        mine.x = from2[0] + (predicted[0] - from2[0]) * f2;
        mine.y = from2[1] + (predicted[1] - from2[1]) * f2;
        mine.aim = mouse ? Math.atan2(mouse[1] - mine.y, mouse[0] - mine.x) : aim;
      } else {
        mine.x = me[1];
        mine.y = me[2];
      }
    }
    return out;
  }

  /** Projectiles at the render time: each flies straight, so the older view's copy is carried on. */
  function shots(now) {
    if (!views.length) return [];
    const rt = renderTick(now);
    let a = views[0];
    let b = null;
    for (const entry of views) {
      if (entry.t <= rt) a = entry;
      else {
        b = entry;
        break;
      }
    }
    const later = b ? new Set(b.view.s.map((s) => s[0])) : null;
    const dt = Math.max(rt - a.t, 0) / TICK_RATE;
    const out = [];
    for (const s of a.view.s) {
      if (later && !later.has(s[0]) && dt > 0.5 / TICK_RATE) continue; // it hit something by then
      out.push({ x: s[2] + s[4] * dt, y: s[3] + s[5] * dt, owner: s[1], vx: s[4], vy: s[5] });
    }
    return out;
  }

  function draw(now) {
    resize();
    const u = canvas.width / WIDTH;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = "#f4f6f9";
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.setTransform(u, 0, 0, u, 0, 0);
    g.strokeStyle = "#e3e7ee";
    g.lineWidth = 1 / u;
    g.beginPath();
    for (let x = 2; x < WIDTH; x += 2) g.moveTo(x, 0), g.lineTo(x, HEIGHT);
    for (let y = 2; y < HEIGHT; y += 2) g.moveTo(0, y), g.lineTo(WIDTH, y);
    g.stroke();
    g.fillStyle = "#3b4252";
    for (const [x0, y0, x1, y1] of WALLS) g.fillRect(x0, y0, x1 - x0, y1 - y0);
    g.strokeStyle = "#3b4252";
    g.lineWidth = 0.25;
    g.strokeRect(0.125, 0.125, WIDTH - 0.25, HEIGHT - 0.25);

    const view = latest;
    shown = positions(now);
    if (view) {
      const colours = view.p.map((p) => p[10]);
      const flying = shots(now);
      root.dataset.shots = String(flying.length);
      for (const s of flying) {
        g.fillStyle = colours[s.owner] || "#000";
        g.beginPath();
        g.arc(s.x, s.y, 0.18, 0, 2 * Math.PI);
        g.fill();
        g.strokeStyle = colours[s.owner] || "#000";
        g.globalAlpha = 0.35;
        g.lineWidth = 0.12;
        g.beginPath();
        g.moveTo(s.x, s.y);
        g.lineTo(s.x - s.vx * 0.03, s.y - s.vy * 0.03);
        g.stroke();
        g.globalAlpha = 1;
      }
      g.font = `${0.7}px system-ui, sans-serif`;
      g.textAlign = "center";
      for (const [id, p] of shown) {
        if (p.status !== ALIVE) continue;
        const mine = id === ctx.me;
        g.fillStyle = p.colour;
        g.beginPath();
        g.arc(p.x, p.y, RADIUS, 0, 2 * Math.PI);
        g.fill();
        g.lineWidth = mine ? 0.16 : 0.08;
        g.strokeStyle = mine ? "#111" : "rgba(0,0,0,0.45)";
        g.stroke();
        const since = now - (flashes.get(id) ?? -Infinity);
        if (since >= 0 && since < FLASH_MS) {
          g.beginPath(); // just hit: a ring that fades
          g.arc(p.x, p.y, RADIUS + 0.15 + since / FLASH_MS / 2, 0, 2 * Math.PI);
          g.strokeStyle = `rgba(208, 52, 44, ${1 - since / FLASH_MS})`;
          g.lineWidth = 0.14;
          g.stroke();
        }
        g.beginPath(); // the barrel
        g.moveTo(p.x + Math.cos(p.aim) * 0.3, p.y + Math.sin(p.aim) * 0.3);
        g.lineTo(p.x + Math.cos(p.aim) * 0.95, p.y + Math.sin(p.aim) * 0.95);
        g.lineWidth = 0.2;
        g.strokeStyle = "#111";
        g.stroke();
        const bar = Math.max(p.hp, 0) / MAX_HEALTH; // health above the head
        g.fillStyle = "rgba(0,0,0,0.25)";
        g.fillRect(p.x - 0.6, p.y - 1.05, 1.2, 0.16);
        g.fillStyle = bar > 0.5 ? "#2e9e5b" : bar > 0.25 ? "#d49b00" : "#d0342c";
        g.fillRect(p.x - 0.6, p.y - 1.05, 1.2 * bar, 0.16);
        g.fillStyle = "#1d2330";
        g.fillText(mine ? "you" : ctx.name(id), p.x, p.y + 1.35);
      }
      if (mouse && playing() && mineIn(view)[9] === ALIVE) {
        g.strokeStyle = "rgba(0,0,0,0.5)"; // the crosshair
        g.lineWidth = 0.08;
        g.beginPath();
        g.arc(mouse[0], mouse[1], 0.35, 0, 2 * Math.PI);
        g.moveTo(mouse[0] - 0.55, mouse[1]), g.lineTo(mouse[0] + 0.55, mouse[1]);
        g.moveTo(mouse[0], mouse[1] - 0.55), g.lineTo(mouse[0], mouse[1] + 0.55);
        g.stroke();
      }
    }
    if (!view || ended) {
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.fillStyle = "rgba(255,255,255,0.6)";
      g.fillRect(0, 0, canvas.width, canvas.height);
    }
  }

  // -- the DOM around the canvas ----------------------------------------------------------------

  function renderBoard(view) {
    const places = result?.placement || null;
    const order = [...view.p].sort((a, b) => (places ? places[a[0]] - places[b[0]] : 0) || b[7] - a[7] || a[8] - b[8]);
    const next = new Map();
    const trs = order.map((p) => {
      const tr = rows.get(p[0]) || h("tr", { "data-player": p[0] }, h("td"), h("td"), h("td"), h("td"));
      const [nameCell, kills, deaths, hp] = tr.children;
      const label = `${p[0] === ctx.me ? "you" : ctx.name(p[0])}${p[9] === LEFT ? " (left)" : p[9] === DEAD && !ended ? " (down)" : ""}`;
      const text = `${places ? `${places[p[0]]}. ` : ""}${label}`;
      if (nameCell.dataset.text !== text) {
        nameCell.dataset.text = text;
        const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
        swatch.style.background = p[10]; // CSSOM, which the page's style-src policy allows
        nameCell.replaceChildren(swatch, text);
      }
      setText(kills, p[7]);
      setText(deaths, p[8]);
      setText(hp, p[9] === ALIVE ? p[6] : "–");
      tr.classList.toggle("me", p[0] === ctx.me);
      next.set(p[0], tr);
      return tr;
    });
    if (trs.some((tr, i) => board.children[i] !== tr) || board.children.length !== trs.length) board.replaceChildren(...trs);
    rows = next;
    setText(scoreCaption, `First to ${view.kt} kill${view.kt === 1 ? "" : "s"}`);
  }

  function renderStatus(view) {
    const me = mineIn(view);
    let text;
    if (result?.abandoned) text = "The host ended the game.";
    else if (ended) {
      const winners = result?.winners || [];
      const why = { kill_target: "kill target reached", time_limit: "time is up", players: "too few players left" }[result?.reason] || "match over";
      text = winners.includes(ctx.me)
        ? `You win! (${why})`
        : winners.length
          ? `${winners.map(who).join(" and ")} ${winners.length > 1 ? "win" : "wins"} (${why}).`
          : `Match over (${why}).`;
    } else if (!me) text = "Watching the match.";
    else if (me[9] === DEAD) text = "You are down: back in 2 seconds.";
    else if (me[9] === LEFT) text = "You are out of this match.";
    else text = "Fight!";
    setText(status, text);
    setText(health, me && !ended ? `Health ${me[9] === ALIVE ? me[6] : 0}` : "");
    health.classList.toggle("low", !!me && me[6] <= 25);
  }

  function renderTimer() {
    if (!latest) return;
    const left = ended ? 0 : Math.max(0, Math.ceil((latest.end - Date.now()) / 1000));
    const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (timer.textContent !== text) timer.textContent = text;
  }

  function feedLine(text) {
    const li = h("li", { text, "data-at": Date.now() });
    feed.append(li);
    while (feed.children.length > 5) feed.firstElementChild.remove();
  }

  function expose(now) {
    root.dataset.tick = String(Math.max(0, Math.floor(renderTick(now))));
    const mine = shown.get(ctx.me);
    if (mine && predicted) {
      root.dataset.meX = predicted[0].toFixed(3);
      root.dataset.meY = predicted[1].toFixed(3);
    }
    for (const [id, p] of shown) {
      const tr = rows.get(id);
      if (!tr) continue;
      tr.dataset.x = p.x.toFixed(3);
      tr.dataset.y = p.y.toFixed(3);
      tr.dataset.status = String(p.status);
    }
    for (const li of [...feed.children]) if (Date.now() - Number(li.dataset.at) > FEED_MS) li.remove();
  }

  // -- the loops and the controls ---------------------------------------------------------------

  let frame = 0;
  function animate() {
    if (!root.isConnected) return stop();
    const now = performance.now();
    draw(now);
    expose(now);
    renderTimer();
    frame = requestAnimationFrame(animate);
  }

  /** Keys typed into a field (the chat, a dialog) are not moves. */
  const typing = (e) =>
    document.querySelector("dialog[open]") ||
    (e.target instanceof HTMLElement && (e.target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName)));
  const onKeyDown = (e) => {
    const key = KEYS[e.code];
    if (!key || e.ctrlKey || e.metaKey || e.altKey || typing(e) || !playing()) return;
    e.preventDefault(); // no scrolling, and space does not press the button that has the focus
    held.add(key);
  };
  const onKeyUp = (e) => {
    const key = KEYS[e.code];
    if (!key) return;
    if (held.delete(key)) e.preventDefault();
  };
  const onBlur = () => {
    held.clear();
    mouseFire = false;
  };
  const onMouseMove = (e) => {
    const box = canvas.getBoundingClientRect();
    if (!box.width) return;
    mouse = [((e.clientX - box.left) / box.width) * WIDTH, ((e.clientY - box.top) / box.height) * HEIGHT];
  };
  const onMouseDown = (e) => {
    if (e.button !== 0) return;
    onMouseMove(e);
    canvas.focus({ preventScroll: true });
    mouseFire = true;
  };
  const onMouseUp = () => {
    mouseFire = false;
  };
  canvas.addEventListener("mousemove", onMouseMove);
  canvas.addEventListener("mousedown", onMouseDown);
  canvas.addEventListener("mouseleave", () => (mouse = null));
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("keyup", onKeyUp);
  window.addEventListener("mouseup", onMouseUp);
  window.addEventListener("blur", onBlur);
  const clock = setInterval(inputClock, TICK_MS / 2);
  frame = requestAnimationFrame(animate);

  function stop() {
    clearInterval(clock);
    cancelAnimationFrame(frame);
    document.removeEventListener("keydown", onKeyDown);
    document.removeEventListener("keyup", onKeyUp);
    window.removeEventListener("mouseup", onMouseUp);
    window.removeEventListener("blur", onBlur);
  }

  return {
    update(frame) {
      const view = frame.state;
      if (!view || !Array.isArray(view.p)) return;
      result = frame.result || null;
      const now = performance.now();
      const last = views[views.length - 1];
      if (last && view.t < last.t) return; // older than what is shown
      if (last && view.t === last.t) views[views.length - 1] = { t: view.t, view };
      else views.push({ t: view.t, view });
      while (views.length > 2 && views[1].t < view.t - TICK_RATE) views.shift();
      observe(view.t, now);
      latest = view;
      ended = view.over || !!result;
      if (ended) held.clear();
      reconcile(view);
      renderBoard(view);
      renderStatus(view);
    },
    event(frame) {
      const d = frame.data || {};
      if (frame.event === "hit") {
        // The others are drawn INTERP_MS in the past: their flash waits until the shot reaches them there.
        flashes.set(d.player, performance.now() + (d.player === ctx.me ? 0 : INTERP_MS));
      } else if (frame.event === "killed") {
        const text = `${who(d.by)} eliminated ${d.player === ctx.me ? "you" : ctx.name(d.player)}`;
        feedLine(text);
        ctx.log(`${text}.`);
      } else if (frame.event === "player_left") {
        feedLine(`${who(d.player)} left the match`);
      } else if (frame.event === "game_over") {
        const why = { kill_target: "the kill target was reached", time_limit: "time is up", players: "too few players are left" }[d.reason] || "it ended";
        ctx.log(`Match over: ${why}.`);
      }
    },
    error(frame) {
      // Inputs still in flight when the match ends are refused: the status already says it is over.
      return frame.code === "game_over";
    },
  };
}
