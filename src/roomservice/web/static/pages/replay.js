// The replay page (/replay/{game_id}): a finished game, step by step, as a spectator saw it. The
// table is the game's own table module (the one the room page mounts), fed the replay's spectator
// views and public events instead of a socket's frames.

import { $, client, describe, fill, gameName, h, loadSession, renderNav } from "/static/pages/common.js";

const gameId = decodeURIComponent(location.pathname.split("/")[2] || "");
const main = $("#main");
const SPEEDS = [0.5, 1, 2, 4];
const TURN_MS = 1000; // a turn-based game plays one step a second at 1×

let replay = null;
let table = null;
let shown = -1; // the step on the table
let timer = null;

const nameOf = (id) => replay.names?.[id] || (id ? `Player ${replay.players.indexOf(id) + 1}` : "");

async function mountTable() {
  let mod;
  try {
    mod = await import(`/static/games/${encodeURIComponent(replay.game)}.js`);
  } catch {
    mod = await import("/static/games/generic.js");
  }
  const container = fill($("#game"));
  fill($("#game-log"));
  return mod.mount(container, {
    me: null,
    send: () => false, // a replay takes no moves
    name: nameOf,
    log: (text) => {
      const log = $("#game-log");
      log.append(h("li", { text }));
      while (log.children.length > 50) log.firstElementChild.remove();
      log.scrollTop = log.scrollHeight;
    },
  });
}

function describeAction(action) {
  if (!action) return "The deal.";
  const who = action.player ? nameOf(action.player) : "";
  switch (action.kind) {
    case "action":
      return `${who}: ${JSON.stringify(action.payload)}`;
    case "timeout":
      return "Time ran out.";
    case "leave":
      return action.payload ? `${who} ${action.payload === "kicked" ? "was kicked" : "left"}.` : `${who} went offline.`;
    case "rejoin":
      return `${who} is back.`;
    case "end":
      return action.player ? "The host ended the game." : "An operator ended the game.";
    case "tick":
      return `Tick ${action.ticks}.`;
    default:
      return action.kind;
  }
}

/** Show step `target`: forward by feeding each step's events; backward by starting the table again. */
async function goTo(target) {
  const last = replay.steps.length - 1;
  target = Math.max(0, Math.min(last, target));
  if (target < shown || !table) {
    table = await mountTable();
    shown = -1;
  }
  for (let i = shown + 1; i <= target; i++) {
    for (const event of replay.steps[i].events) table.event?.({ type: "game_event", game: replay.game, event: event.type, data: event.data });
  }
  const step = replay.steps[target];
  table.update({
    type: "game_state",
    game: replay.game,
    game_id: replay.game_id,
    game_no: 1,
    version: target,
    state: step.view,
    result: target === last ? replay.result : null,
  });
  shown = target;
  $("#replay-pos").textContent = `Step ${target + 1} of ${last + 1}`;
  $("#replay-action").textContent = describeAction(step.action);
  $("#replay-seek").value = String(target);
  $("#replay-prev").disabled = target === 0;
  $("#replay-next").disabled = target === last;
  if (target === last) pause();
}

function delayAfter(i) {
  const speed = Number($("#replay-speed").value) || 1;
  const at = (k) => replay.steps[k].action?.at ?? replay.started_at;
  const gap = replay.tick_stride ? at(i + 1) - at(i) : TURN_MS;
  return Math.max(16, Math.min(2000, gap)) / speed;
}

function play() {
  if (shown >= replay.steps.length - 1) goTo(0);
  $("#replay-play").textContent = "Pause";
  $("#replay-play").setAttribute("aria-pressed", "true");
  const next = () => {
    timer = setTimeout(async () => {
      await goTo(shown + 1);
      if (timer !== null) next();
    }, delayAfter(shown));
  };
  clearTimeout(timer);
  next();
}

function pause() {
  clearTimeout(timer);
  timer = null;
  $("#replay-play").textContent = "Play";
  $("#replay-play").setAttribute("aria-pressed", "false");
}

const toggle = () => (timer === null ? play() : pause());
const step = (by) => {
  pause();
  goTo(shown + by);
};

async function render() {
  const last = replay.steps.length - 1;
  fill(
    main,
    h(
      "section",
      { class: "panel game-area", "aria-labelledby": "replay-title" },
      h("h1", { id: "replay-title", text: `Replay · ${await gameName(replay.game)}` }),
      h("p", { class: "muted", id: "replay-players", text: replay.players.map(nameOf).join(" · ") }),
      h(
        "div",
        { class: "row replay-controls", role: "group", "aria-label": "Replay controls" },
        h("button", { type: "button", id: "replay-prev", onClick: () => step(-1) }, "◀ Step"),
        h("button", { type: "button", class: "primary", id: "replay-play", "aria-pressed": "false", onClick: toggle }, "Play"),
        h("button", { type: "button", id: "replay-next", onClick: () => step(1) }, "Step ▶"),
        h(
          "label",
          {},
          "Speed ",
          h("select", { id: "replay-speed" }, SPEEDS.map((s) => h("option", { value: s, selected: s === 1 }, `${s}×`))),
        ),
        h("input", { type: "range", id: "replay-seek", min: 0, max: last, value: 0, "aria-label": "Step", onInput: (e) => { pause(); goTo(Number(e.target.value)); } }),
        h("span", { id: "replay-pos", class: "muted", "aria-live": "polite" }),
      ),
      h("p", { id: "replay-action", class: "game-status" }),
      h("div", { id: "game" }),
      h("ol", { id: "game-log", class: "game-log", "aria-label": "Game log" }),
    ),
  );
  await goTo(0);
}

/** An operator who opened the admin console in this tab may watch a private room's game too. */
async function asOperator(err) {
  const token = sessionStorage.getItem("roomservice.admin");
  if (!token) throw err;
  const response = await fetch(`/api/replays/${encodeURIComponent(gameId)}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw err;
  return response.json();
}

async function main_() {
  await loadSession();
  renderNav();
  try {
    replay = await client.replay(gameId).catch((err) => (err.code === "replay_not_found" ? asOperator(err) : Promise.reject(err)));
  } catch (err) {
    const text = err.code === "game_not_over"
      ? "This game is still being played: its replay opens when it ends."
      : err.status === 404 ? "There is no replay of this game that you may watch." : describe(err);
    fill(main, h("section", { class: "panel" }, h("h1", { text: "No replay" }), h("p", { id: "replay-missing", text })));
    return;
  }
  await render();
}

main_();
