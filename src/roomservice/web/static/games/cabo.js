// Cabo table (docs/games.md §7): your row of cards (the ones you know shown), the other players' rows,
// the draw and discard piles, the drawn card, exchanges of one or more selected cards, the powers with
// their targets, the Cabo call, whose turn it is, and round results with running totals.
//
// Everything is drawn from the view in each game_state; events only feed the log.

import { fill, h } from "/static/pages/common.js";

const POWER_HELP = {
  peek: "Peek: select one of your cards to look at it.",
  spy: "Spy: select a card of another player to look at it.",
  swap: "Swap: select one of your cards and one of another player's, then swap them (unseen).",
};

/** Why a player lost their seat (`gone` in the view, `player_gone` events): as a sentence, as a badge. */
const GONE = { left: "left", kicked: "was removed by the host", disconnected: "lost their connection" };
const GONE_BADGE = { left: "left", kicked: "removed", disconnected: "disconnected" };
const rankText = (rank) => (rank === null || rank === undefined ? "?" : String(rank));
const article = (rank) => (rank === 8 || rank === 11 ? "an" : "a");

/** Mount the table in `container`; `ctx` = {me, send(payload), name(id), log(text)}. */
export function mount(container, ctx) {
  let view = null;
  let mine = new Set(); // selected positions in your hand
  let theirs = null; // {player, card} selected in another hand
  let phaseKey = "";
  const root = h("div", { class: "cabo" });
  container.append(root);

  // The countdown ticks here, between frames: `deadline` is epoch milliseconds (docs/games.md).
  const timer = setInterval(() => {
    if (!root.isConnected) clearInterval(timer);
    else if (view?.deadline) updateCountdown();
  }, 250);

  const selected = () => [...mine].sort((a, b) => a - b);
  /** "You" for the viewer, else the player's name. */
  const who = (player) => (player === view.you ? "You" : ctx.name(player));

  const send = (payload) => {
    mine = new Set();
    theirs = null;
    ctx.send(payload);
    render();
  };

  function updateCountdown() {
    const node = root.querySelector("#cabo-deadline");
    if (!node) return;
    const left = view.deadline ? Math.max(0, Math.ceil((view.deadline - Date.now()) / 1000)) : 0;
    const text = left > 0 && left < 7200 ? ` (${left} s left)` : "";
    if (node.textContent !== text) node.textContent = text;
  }

  function myTurn() {
    return view.you !== null && view.turn === view.you;
  }

  function statusText() {
    if (view.phase === "ended") return "The host ended the game.";
    const turnName = view.turn ? (view.turn === view.you ? "your" : `${ctx.name(view.turn)}'s`) : "";
    switch (view.phase) {
      case "setup":
        if (view.you && !view.ready.includes(view.you)) return "Choose two of your cards to look at, then press Look.";
        return "Waiting for everyone to look at two cards.";
      case "turn":
        if (myTurn()) return "Your turn: draw a card, take the discard (select your cards first), or call Cabo.";
        return `It is ${turnName} turn.`;
      case "drawn":
        if (myTurn()) return `You drew ${article(view.drawn)} ${rankText(view.drawn)}: select cards to exchange it for, or discard it.`;
        return `${ctx.name(view.turn)} drew a card.`;
      case "power":
        if (myTurn()) return POWER_HELP[view.power];
        return `${ctx.name(view.turn)} may use a ${view.power} power.`;
      case "round_over":
        return "the round is over: the scores are below.";
      case "game_over": {
        const winners = (view.winners || []).map((id) => ctx.name(id));
        return `Game over. ${winners.length > 1 ? "Winners" : "Winner"}: ${winners.join(", ")}.`;
      }
      default:
        return view.phase;
    }
  }

  function card(owner, pos, c, { selectable, pressed, onClick }) {
    const whose = owner === view.you ? "Your" : `${ctx.name(owner)}'s`;
    const label = `${whose} card ${pos + 1}: ${c.rank === null ? "hidden" : c.rank}${c.face_up ? ", face up" : ""}`;
    const cls = `card${c.rank === null ? " back" : ""}${c.face_up ? " faceup" : ""}`;
    const content = [c.rank === null ? "" : String(c.rank), h("span", { class: "pos", "aria-hidden": "true", text: pos + 1 })];
    if (!selectable) return h("span", { class: cls, role: "img", "aria-label": label, "data-owner": owner, "data-card": pos }, content);
    return h(
      "button",
      { type: "button", class: cls, "aria-label": label, "aria-pressed": pressed ? "true" : "false", "data-owner": owner, "data-card": pos, onClick },
      content,
    );
  }

  function myRow() {
    const hand = view.hands[view.you] || [];
    const phase = view.phase;
    const mayPick =
      (phase === "setup" && !view.ready.includes(view.you)) ||
      (myTurn() && (phase === "turn" || phase === "drawn" || (phase === "power" && view.power !== "spy")));
    const single = phase === "power";
    return h(
      "div",
      { class: "cabo-row", role: "group", "aria-label": "Your cards" },
      hand.map((c, i) =>
        card(view.you, i, c, {
          selectable: mayPick,
          pressed: mine.has(i),
          onClick: () => {
            if (mine.has(i)) mine.delete(i);
            else {
              if (single || (phase === "setup" && mine.size >= 2)) mine = new Set(phase === "setup" ? [...mine].slice(1) : []);
              mine.add(i);
            }
            render(`[data-owner="${view.you}"][data-card="${i}"]`);
          },
        }),
      ),
    );
  }

  function otherRow(player) {
    const hand = view.hands[player] || [];
    const targetable = myTurn() && view.phase === "power" && (view.power === "spy" || view.power === "swap");
    return h(
      "div",
      { class: "cabo-row", role: "group", "aria-label": `${ctx.name(player)}'s cards` },
      hand.map((c, i) =>
        card(player, i, c, {
          selectable: targetable,
          pressed: theirs?.player === player && theirs.card === i,
          onClick: () => {
            theirs = theirs?.player === player && theirs.card === i ? null : { player, card: i };
            render(`[data-owner="${player}"][data-card="${i}"]`);
          },
        }),
      ),
    );
  }

  function playerBox(player) {
    const badges = [];
    if (view.turn === player) badges.push(h("span", { class: "badge host", text: "to play" }));
    if (view.caller === player) badges.push(h("span", { class: "badge", text: "called Cabo" }));
    if (view.phase === "setup" && view.ready.includes(player)) badges.push(h("span", { class: "badge", text: "ready" }));
    if (view.gone?.[player]) badges.push(h("span", { class: "badge", text: GONE_BADGE[view.gone[player]] || "left" }));
    return h(
      "section",
      { class: `cabo-player${view.turn === player ? " current" : ""}`, "data-player": player, "aria-label": who(player) },
      h(
        "div",
        { class: "who" },
        h("strong", { text: who(player) }),
        badges,
        h("span", { class: "muted small", text: `total ${view.totals[player] ?? 0}` }),
      ),
      player === view.you ? myRow() : otherRow(player),
    );
  }

  function piles() {
    const canDraw = myTurn() && view.phase === "turn";
    const canTake = canDraw && view.discard_top !== null && mine.size > 0;
    const pile = (title, node, ...buttons) => h("div", { class: "cabo-pile" }, h("span", { text: title }), node, ...buttons);
    const nodes = [
      pile(
        `Draw pile (${view.deck_count})`,
        h("span", { class: "card back", role: "img", "aria-label": `Draw pile, ${view.deck_count} cards` }),
        canDraw ? h("button", { type: "button", id: "cabo-draw", onClick: () => send({ move: "draw" }) }, "Draw") : null,
      ),
      pile(
        `Discard (${view.discard_count})`,
        view.discard_top === null
          ? h("span", { class: "card", role: "img", "aria-label": "Discard pile: empty", text: "–" })
          : h("span", { class: "card", role: "img", "aria-label": `Discard pile: ${view.discard_top}`, id: "cabo-discard-top", text: view.discard_top }),
        canDraw
          ? h(
              "button",
              { type: "button", id: "cabo-take", disabled: !canTake, title: canTake ? null : "Select the cards to replace first", onClick: () => send({ move: "take_discard", cards: selected() }) },
              mine.size > 1 ? `Take it for your ${mine.size} cards` : "Take it for the selected card",
            )
          : null,
      ),
    ];
    if (view.phase === "drawn" && myTurn()) {
      nodes.push(
        pile(
          "You drew",
          h("span", { class: "card", role: "img", "aria-label": `Drawn card: ${view.drawn}`, id: "cabo-drawn", text: rankText(view.drawn) }),
          h(
            "button",
            { type: "button", id: "cabo-exchange", disabled: mine.size === 0, onClick: () => send({ move: "exchange", cards: selected() }) },
            mine.size > 1 ? `Exchange for ${mine.size} cards` : "Exchange for selected",
          ),
          h("button", { type: "button", id: "cabo-discard", onClick: () => send({ move: "discard" }) }, "Discard it"),
        ),
      );
    } else if (view.phase === "drawn") {
      nodes.push(pile(`${ctx.name(view.turn)} drew`, h("span", { class: "card back", role: "img", "aria-label": "A drawn card, hidden" })));
    }
    return h("div", { class: "cabo-piles" }, nodes);
  }

  function actions() {
    if (view.you === null) return null;
    const buttons = [];
    const phase = view.phase;
    if (phase === "setup" && !view.ready.includes(view.you)) {
      buttons.push(
        h("button", { type: "button", class: "primary", id: "cabo-look", disabled: mine.size !== 2, onClick: () => send({ move: "peek_initial", cards: selected() }) }, "Look at these two"),
      );
    }
    if (phase === "turn" && myTurn() && view.caller === null) {
      buttons.push(h("button", { type: "button", id: "cabo-call", onClick: () => send({ move: "cabo" }) }, "Call Cabo"));
    }
    if (phase === "power" && myTurn()) {
      const one = [...mine][0];
      if (view.power === "peek") {
        buttons.push(h("button", { type: "button", class: "primary", id: "cabo-peek", disabled: one === undefined, onClick: () => send({ move: "peek", card: one }) }, "Look at it"));
      } else if (view.power === "spy") {
        buttons.push(h("button", { type: "button", class: "primary", id: "cabo-spy", disabled: !theirs, onClick: () => send({ move: "spy", player: theirs.player, card: theirs.card }) }, "Spy on it"));
      } else if (view.power === "swap") {
        buttons.push(
          h("button", { type: "button", class: "primary", id: "cabo-swap", disabled: one === undefined || !theirs, onClick: () => send({ move: "swap", card: one, player: theirs.player, their_card: theirs.card }) }, "Swap them"),
        );
      }
      buttons.push(h("button", { type: "button", id: "cabo-skip", onClick: () => send({ move: "skip_power" }) }, "Skip the power"));
    }
    if (phase === "round_over") {
      buttons.push(h("button", { type: "button", class: "primary", id: "cabo-next", onClick: () => send({ move: "next_round" }) }, "Next round"));
    }
    return buttons.length ? h("div", { class: "cabo-actions" }, buttons) : null;
  }

  function scores() {
    const last = view.last_round;
    const rows = view.players.map((p) =>
      h(
        "tr",
        { "data-player": p },
        h("th", { scope: "row", text: who(p) }),
        last ? h("td", { text: (last.hands[p] || []).join(" ") }) : null,
        last ? h("td", { text: last.sums[p] ?? "–" }) : null, // a player who is gone was not scored
        last ? h("td", { text: last.scores[p] ?? "–" }) : null,
        h("td", { text: view.totals[p] ?? 0 }),
      ),
    );
    const head = h(
      "tr",
      {},
      h("th", { scope: "col", text: "Player" }),
      last ? h("th", { scope: "col", text: `Round ${last.round} cards` }) : null,
      last ? h("th", { scope: "col", text: "Sum" }) : null,
      last ? h("th", { scope: "col", text: "Score" }) : null,
      h("th", { scope: "col", text: "Total" }),
    );
    const notes = [];
    if (last?.caller) notes.push(`${who(last.caller)} called Cabo.`);
    if (last?.kamikaze) notes.push(`Kamikaze by ${ctx.name(last.kamikaze)}!`);
    if (last?.reason === "deck_empty") notes.push("The draw pile ran out.");
    if (last?.reset?.length) notes.push(`Reset from 100 to 50: ${last.reset.map(ctx.name).join(", ")}.`);
    return h(
      "div",
      { id: "cabo-scores" },
      h("table", { class: "scores" }, h("caption", { class: "sr-only", text: "Scores" }), h("thead", {}, head), h("tbody", {}, rows)),
      notes.length ? h("p", { class: "muted small", text: notes.join(" ") }) : null,
    );
  }

  function render(focusSelector = null) {
    if (!view) return;
    const active = root.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focusSelector || (active?.id ? `#${active.id}` : active?.dataset.card !== undefined ? `[data-owner="${active.dataset.owner}"][data-card="${active.dataset.card}"]` : null);
    fill(
      root,
      h(
        "p",
        { class: "game-status", id: "cabo-status", "aria-live": "polite" },
        h("span", { text: `Round ${view.round} · ` }),
        h("span", { text: statusText() }),
        h("span", { id: "cabo-deadline" }),
      ),
      view.players.filter((p) => p !== view.you).map(playerBox),
      piles(),
      view.you ? playerBox(view.you) : null,
      actions(),
      scores(),
    );
    updateCountdown();
    if (focusKey) root.querySelector(focusKey)?.focus();
  }

  return {
    update(frame) {
      // A game the host ended keeps its last state: shown as it was, with nothing left to play.
      view = frame.result?.abandoned ? { ...frame.state, phase: "ended", turn: null, deadline: null } : frame.state;
      const key = `${view.round}/${view.phase}/${view.turn}`;
      if (key !== phaseKey) {
        phaseKey = key;
        mine = new Set();
        theirs = null;
      }
      const size = (view.hands[view.you] || []).length;
      mine = new Set([...mine].filter((i) => i < size));
      render();
    },
    event(frame) {
      const d = frame.data;
      const n = (id) => (id === ctx.me ? "You" : ctx.name(id));
      const their = (id) => (id === ctx.me ? "your" : `${ctx.name(id)}'s`);
      const a = (rank) => `${article(rank)} ${rank}`;
      const cards = (list) => list.map((i) => i + 1).join(", ");
      const text = {
        round_started: () => `Round ${d.round} starts; ${n(d.starter)} begin${d.starter === ctx.me ? "" : "s"}. The discard pile shows ${d.discard_top}.`,
        initial_peek: () => `You looked at your cards: ${d.cards.map((c) => `card ${c.card + 1} is ${c.rank}`).join(", ")}.`,
        ready: () => (d.player === ctx.me ? null : `${n(d.player)} looked at cards ${cards(d.cards)}.`),
        turn: () => null,
        drew: () => (d.player === ctx.me ? null : `${n(d.player)} drew a card (${d.deck_count} left).`),
        drew_card: () => `You drew ${a(d.rank)}.`,
        took_discard: () => `${n(d.player)} took the ${d.rank} from the discard pile.`,
        exchanged: () =>
          d.matched
            ? `${n(d.player)} exchanged card${d.cards.length > 1 ? "s" : ""} ${cards(d.cards)} (${d.ranks.join(", ")}).`
            : `${n(d.player)} tried cards ${cards(d.cards)} (${d.ranks.join(", ")}): no match, a penalty card.`,
        discarded: () => `${n(d.player)} discarded ${a(d.rank)}${d.power ? ` and may ${d.power}` : ""}.`,
        peeked: () => (d.player === ctx.me ? null : `${n(d.player)} looked at their card ${d.card + 1}.`),
        peek_result: () => `You looked at your card ${d.card + 1}: it is ${d.rank}.`,
        spied: () => (d.player === ctx.me ? null : `${n(d.player)} spied on ${their(d.target)} card ${d.card + 1}.`),
        spy_result: () => `${ctx.name(d.target)}'s card ${d.card + 1} is ${d.rank}.`,
        swapped: () => `${n(d.player)} swapped card ${d.card + 1} with ${their(d.target)} card ${d.their_card + 1}.`,
        power_skipped: () => `${n(d.player)} skipped the ${d.power}.`,
        cabo: () => `${n(d.player)} called Cabo! Everyone else has one more turn.`,
        timed_out: () => (d.players.length ? `Time ran out for ${d.players.map(n).join(", ")}.` : "Time ran out."),
        round_over: () => `Round ${d.round} is over.`,
        player_gone: () => `${n(d.player)} ${GONE[d.reason] || "left"}: their turns are skipped.`,
        game_over: () =>
          d.forfeit
            ? `Game over: ${n(d.forfeit.player)} ${GONE[d.forfeit.reason] || "left"}, so ${d.winners.map(n).join(", ")} won.`
            : `Game over: ${d.winners.map(n).join(", ")} won.`,
      }[frame.event];
      const line = text ? text() : `${frame.event}`;
      if (line) ctx.log(line);
    },
  };
}
