// Home: the games as cards, plus "All games"; a card opens that game's lobby. A first visit sees them
// without being asked for a name.

import { $, describe, fill, games, h, loadSession, rejoinBanner } from "/static/pages/common.js";

function players(game) {
  return game.min_players === game.max_players
    ? `${game.min_players} players`
    : `${game.min_players}–${game.max_players} players`;
}

async function main() {
  const session = await loadSession();
  const main = $("#main");
  let list;
  try {
    list = await games();
  } catch (err) {
    fill(main, h("p", { class: "notice", role: "alert", text: `Could not load the games: ${describe(err)}` }));
    return;
  }
  const cards = list.map((game) =>
    h(
      "a",
      { class: "game-card", href: `/lobby?game=${encodeURIComponent(game.id)}`, "data-game": game.id },
      h("span", { class: "title", text: game.name }),
      h("span", { text: game.description || "" }),
      h("span", { class: "meta", text: players(game) }),
    ),
  );
  cards.push(
    h(
      "a",
      { class: "game-card", href: "/lobby", "data-game": "all" },
      h("span", { class: "title", text: "All games" }),
      h("span", { text: "Every open room, whatever the game." }),
      h("span", { class: "meta", text: `${list.length} games` }),
    ),
  );
  fill(
    main,
    rejoinBanner(session),
    h("h1", { text: "Pick a game" }),
    h("div", { class: "cards" }, cards),
    h(
      "section",
      { class: "panel workshop-entry", id: "workshop", "aria-labelledby": "workshop-title" },
      h("h2", { id: "workshop-title", text: "Workshop" }),
      h("p", { text: "Build voxel sculptures together: invite friends to a project and see every cube they place as they place it." }),
      h("a", { class: "button primary", href: "/workshop" }, "Open the workshop"),
    ),
    h("h2", { text: "Leaderboards" }),
    h(
      "ul",
      { class: "plain leaderboards", id: "leaderboards" },
      list.map((game) =>
        h(
          "li",
          {},
          h("a", {
            href: `/leaderboard?game=${encodeURIComponent(game.id)}`,
            text: game.name,
            // Named for what it opens, so it is not taken for the game's own card.
            "aria-label": `Leaderboard: ${game.name}`,
          }),
        ),
      ),
    ),
  );
  document.addEventListener("left-room", () => $("#rejoin")?.remove());
}

main();
