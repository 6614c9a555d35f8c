// A game's leaderboard (/leaderboard?game=<id>): ranks shared by ties, a page at a time, and "Find me"
// to centre the page on the visitor's own entry.

import { $, client, describe, fill, games, h, loadSession } from "/static/pages/common.js";

const PAGE_SIZE = 20;
const ORDER_NOTES = {
  tictactoe: "Most wins first.",
  cabo: "Best (lowest) final total first.",
  arena: "Most kills in total first.",
};

const params = new URLSearchParams(location.search);
let catalogue = [];
let gameId = params.get("game") || "";
let offset = 0;
let around = false;

function row(entry, me) {
  const mine = me && entry.player_id === me.session_id;
  return h(
    "tr",
    { class: mine ? "me" : null, "data-player": entry.player_id },
    h("td", { class: "num", text: entry.rank }),
    h("td", {}, h("span", { text: entry.username }), mine ? h("span", { class: "muted small", text: " (you)" }) : null),
    h("td", { class: "num", text: entry.wins }),
    h("td", { class: "num", text: entry.played }),
    h("td", { class: "num", text: entry.score }),
  );
}

async function show() {
  const body = $("#board tbody");
  const error = $("#board-error");
  error.textContent = "";
  let page;
  try {
    page = await client.leaderboard(gameId, around ? { limit: PAGE_SIZE, around: "me" } : { limit: PAGE_SIZE, offset });
  } catch (err) {
    error.textContent = describe(err);
    return;
  }
  const me = client.session;
  fill(body, page.entries.length ? page.entries.map((e) => row(e, me)) : h("tr", {}, h("td", { colspan: 5, class: "muted", text: "No finished games yet." })));
  if (around && page.entries.length) {
    // The server centred the page on us; Previous and Next go on from its first rank (equal ranks
    // listed before it may repeat a line or two).
    offset = Math.max(0, page.entries[0].rank - 1);
  }
  around = false;
  $("#board-count").textContent = page.total === 1 ? "1 player" : `${page.total} players`;
  $("#prev").disabled = offset === 0;
  $("#next").disabled = offset + PAGE_SIZE >= page.total;
}

function pick(id) {
  gameId = id;
  offset = 0;
  const url = new URL(location.href);
  url.searchParams.set("game", id);
  history.replaceState(null, "", url);
  render();
}

function render() {
  const game = catalogue.find((g) => g.id === gameId);
  document.title = `${game.name} leaderboard · roomservice`;
  fill(
    $("#main"),
    h(
      "div",
      { class: "lobby-head" },
      h("h1", { id: "board-title", text: `${game.name} leaderboard` }),
      h("a", { href: `/lobby?game=${encodeURIComponent(game.id)}`, id: "lobby-link" }, `${game.name} lobby`),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "board-game", text: "Game" }),
      h(
        "select",
        { id: "board-game", onChange: (e) => pick(e.target.value) },
        catalogue.map((g) => h("option", { value: g.id, selected: g.id === gameId, text: g.name })),
      ),
      client.session ? h("button", { type: "button", id: "find-me", onClick: () => { around = true; show(); } }, "Find me") : null,
    ),
    h("p", { class: "muted small", text: ORDER_NOTES[game.id] || "" }),
    h("p", { id: "board-error", class: "error-text", role: "alert" }),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "rooms", id: "board" },
        h("caption", { class: "sr-only", text: `${game.name} leaderboard` }),
        h(
          "thead",
          {},
          h("tr", {}, ["Rank", "Player", "Wins", "Played", "Score"].map((t) => h("th", { scope: "col", text: t }))),
        ),
        h("tbody", {}),
      ),
    ),
    h(
      "div",
      { class: "row" },
      h("span", { id: "board-count", class: "muted small", "aria-live": "polite" }),
      h("span", { class: "spacer" }),
      h("button", { type: "button", id: "prev", onClick: () => { offset = Math.max(0, offset - PAGE_SIZE); show(); } }, "Previous"),
      h("button", { type: "button", id: "next", onClick: () => { offset += PAGE_SIZE; show(); } }, "Next"),
    ),
  );
  show();
}

async function main() {
  await loadSession();
  try {
    catalogue = await games();
  } catch (err) {
    fill($("#main"), h("p", { class: "notice", role: "alert", text: describe(err) }));
    return;
  }
  if (!catalogue.some((g) => g.id === gameId)) {
    if (gameId) {
      fill($("#main"), h("p", { class: "notice", role: "alert", text: `No game with id ${gameId}.` }), h("p", {}, h("a", { href: "/", text: "Pick a game" })));
      return;
    }
    gameId = catalogue[0]?.id;
  }
  render();
}

main();
