// Tic-tac-toe table: a 3x3 grid of buttons. The view is the same for everyone (docs/games.md §6).

import { h } from "/static/pages/common.js";

const ROW = ["top", "middle", "bottom"];
const COL = ["left", "centre", "right"];
const GONE = { left: "left", kicked: "was removed by the host", disconnected: "lost their connection" };

/** Mount the table in `container`; `ctx` = {me, send(payload), name(id), log(text)}. */
export function mount(container, ctx) {
  const status = h("p", { class: "game-status", id: "ttt-status", "aria-live": "polite" });
  const cells = Array.from({ length: 9 }, (_, i) => h("button", { type: "button", "data-cell": i, onClick: () => ctx.send({ cell: i }) }));
  const grid = h("div", { class: "ttt", role: "group", "aria-label": "Board" }, cells);
  container.append(status, grid);

  return {
    update(frame) {
      const view = frame.state;
      const result = frame.result || {};
      const mine = view.marks[ctx.me];
      const myTurn = !view.over && !result.abandoned && view.turn === ctx.me;
      const line = new Set(view.line || []);
      view.board.forEach((mark, i) => {
        const button = cells[i];
        button.textContent = mark || "";
        button.classList.toggle("win", line.has(i));
        button.disabled = !myTurn || mark !== null;
        const where = `${ROW[Math.floor(i / 3)]} ${COL[i % 3]}`;
        button.setAttribute("aria-label", `${where}: ${mark || "empty"}`);
      });
      const markOf = (id) => view.marks[id];
      if (result.abandoned) {
        status.textContent = "The host ended the game.";
      } else if (view.over && result.forfeit) {
        const gone = `${ctx.name(result.forfeit.player)} ${GONE[result.forfeit.reason] || "left"}`;
        status.textContent = view.winner === ctx.me ? `${gone}: you win!` : `${gone}: ${ctx.name(view.winner)} wins.`;
      } else if (view.over) {
        if (view.draw) status.textContent = "It's a draw.";
        else if (view.winner === ctx.me) status.textContent = `You win! (${mine})`;
        else status.textContent = `${ctx.name(view.winner)} wins (${markOf(view.winner)}).`;
      } else if (myTurn) {
        status.textContent = `Your turn: you are ${mine}.`;
      } else if (mine) {
        status.textContent = `Waiting for ${ctx.name(view.turn)} (${markOf(view.turn)}). You are ${mine}.`;
      } else {
        status.textContent = `${ctx.name(view.turn)} (${markOf(view.turn)}) to play.`;
      }
    },
    event(frame) {
      const d = frame.data;
      const n = (id) => (id === ctx.me ? "You" : ctx.name(id));
      if (frame.event === "moved") ctx.log(`${n(d.player)} put ${d.mark} in cell ${d.cell + 1}.`);
      if (frame.event === "game_over" && d.forfeit) ctx.log(`Game over: ${n(d.forfeit.player)} ${GONE[d.forfeit.reason] || "left"}, so ${n(d.winner)} won.`);
      else if (frame.event === "game_over") ctx.log(d.winner ? `Game over: ${n(d.winner)} won.` : "Game over: a draw.");
    },
  };
}
