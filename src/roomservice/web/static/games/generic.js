// The table for a game without a table of its own: its view as text, and a box to send an action
// payload as JSON. Enough to play and to develop a new game before its table exists.

export function mount(container, ctx) {
  const view = document.createElement("pre");
  view.className = "generic-view";
  view.setAttribute("aria-label", "Game state");
  const form = document.createElement("form");
  const label = document.createElement("label");
  label.htmlFor = "generic-action";
  label.textContent = "Action (JSON)";
  const input = document.createElement("input");
  input.id = "generic-action";
  input.placeholder = '{"move": "..."}';
  const send = document.createElement("button");
  send.type = "submit";
  send.textContent = "Send";
  form.className = "row";
  form.append(label, input, send);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    try {
      ctx.send(JSON.parse(input.value));
    } catch {
      ctx.log("That is not valid JSON.");
    }
  });
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
