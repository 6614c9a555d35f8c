// The table for a game without a table of its own: its view as text, and a box to send an action
// payload as JSON. Enough to play and to develop a new game before its table exists.

import { h } from "/static/pages/common.js";

/** Mount the table in `container`; `ctx` = {me, send(payload), name(id), log(text)}. */
export function mount(container, ctx) {
  const view = h("pre", { class: "generic-view", "aria-label": "Game state" });
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
  container.append(view, form);
  return {
    update(frame) {
      view.textContent = JSON.stringify({ state: frame.state, result: frame.result }, null, 2);
    },
    event(frame) {
      ctx.log(`${frame.event}: ${JSON.stringify(frame.data)}`);
    },
  };
}
