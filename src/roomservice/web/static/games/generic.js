// The table for a game without a table of its own: its view as text, and a box to send an action
// payload as JSON. Enough to play and to develop a new game before its table exists.

import { h } from "/static/pages/common.js";

/** Mount the table in `container`; `ctx` = {me, send(payload), name(id), log(text)}. */
export function mount(container, ctx) {
  const view = h("pre", { class: "generic-view", "aria-label": "Game state" });
  // A view with a `deadline` (epoch milliseconds, docs/games.md) gets a countdown ticking here.
  const countdown = h("p", { class: "game-status", id: "generic-deadline" });
  let deadline = null;
  const tick = () => {
    const left = deadline ? Math.max(0, Math.ceil((deadline - Date.now()) / 1000)) : 0;
    const text = left > 0 ? `${left} s left` : "";
    if (countdown.textContent !== text) countdown.textContent = text;
  };
  const timer = setInterval(() => (countdown.isConnected ? tick() : clearInterval(timer)), 250);
  const input = h("input", { id: "generic-action", placeholder: '{"move": "..."}' });
  const form = h(
    "form",
    {
      class: "row",
      onSubmit: (e) => {
        e.preventDefault();
        try {
          ctx.send(JSON.parse(input.value));
        } catch {
          ctx.log("That is not valid JSON.");
        }
      },
    },
    h("label", { for: "generic-action", text: "Action (JSON)" }),
    input,
    h("button", { type: "submit" }, "Send"),
  );
  container.append(countdown, view, form);
  return {
    update(frame) {
      view.textContent = JSON.stringify({ state: frame.state, result: frame.result }, null, 2);
      const due = frame.state?.deadline;
      deadline = Number.isInteger(due) && !frame.result ? due : null;
      tick();
    },
    event(frame) {
      ctx.log(`${frame.event}: ${JSON.stringify(frame.data)}`);
    },
  };
}
