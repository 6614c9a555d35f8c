// Quick match on a game's lobby page: file a matchmaking ticket, show how long we have searched and
// how many players are searching, let the player cancel, and go to the room once matched. The
// socket's `match_found` takes the page there at once; the ticket is also read every couple of
// seconds, so a match made while the socket was away is not missed.

import { ApiError } from "/static/roomservice.js";
import { client, describe, h, needSession, showAlreadyInRoom, toast } from "/static/pages/common.js";

const POLL_MS = 2000;

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The quick-match control for `game`: a button, and a status line while searching. */
export function quickMatch(game) {
  let ticket = null;
  let socket = null;
  let ticker = null;
  let poller = null;
  let searching = "";

  const button = h("button", { type: "button", class: "primary", id: "quick-match" }, "Quick match");
  const elapsed = h("span", { id: "quick-elapsed", text: "0:00" });
  const found = h("span", { id: "quick-found", text: "" });
  const cancel = h("button", { type: "button", id: "quick-cancel" }, "Cancel");
  const status = h(
    "div",
    { class: "quick-status", id: "quick-status", role: "status", "aria-live": "polite", hidden: true },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    h("span", { text: "Searching… " }),
    elapsed,
    h("span", { class: "muted", text: " · " }),
    found,
    cancel,
  );

  const stop = () => {
    clearInterval(ticker);
    clearInterval(poller);
    ticker = poller = null;
    ticket = null;
    status.hidden = true;
    button.hidden = false;
  };

  const go = (roomCode) => {
    stop();
    socket?.close();
    location.assign(`/r/${encodeURIComponent(roomCode)}`);
  };

  const refresh = async () => {
    if (!ticket) return;
    try {
      const [mine, queue] = await Promise.all([client.ticket(ticket.ticket_id), client.matchmaking(game)]);
      if (!ticket) return;
      if (mine.status === "matched" && mine.room_code) return go(mine.room_code);
      if (mine.status !== "searching") {
        stop();
        toast(mine.status === "expired" ? "No match found in time: try again." : "Search cancelled.");
        return;
      }
      searching = queue.searching === 1 ? "1 player searching" : `${queue.searching} players searching`;
      found.textContent = searching;
    } catch (err) {
      found.textContent = describe(err);
    }
  };

  const openSocket = () => {
    if (socket) return;
    socket = client.connect();
    socket.on("match_found", (frame) => {
      if (ticket && frame.ticket_id === ticket.ticket_id) go(frame.room_code);
    });
    socket.on("match_timeout", (frame) => {
      if (ticket && frame.ticket_id === ticket.ticket_id) {
        stop();
        toast("No match found in time: try again.");
      }
    });
  };

  const searchWith = (filed) => {
    ticket = filed;
    const since = Date.parse(filed.queued_at) || Date.now();
    button.hidden = true;
    status.hidden = false;
    found.textContent = "";
    const tick = () => {
      elapsed.textContent = clock((Date.now() - since) / 1000);
    };
    tick();
    ticker = setInterval(tick, 500);
    poller = setInterval(refresh, POLL_MS);
    refresh();
  };

  button.addEventListener("click", async () => {
    if (!(await needSession())) return;
    openSocket();
    try {
      searchWith(await client.queue(game));
    } catch (err) {
      if (err instanceof ApiError && err.code === "already_queued" && err.details?.ticket_id) {
        searchWith(await client.ticket(err.details.ticket_id));
      } else if (err instanceof ApiError && err.code === "already_in_game") {
        showAlreadyInRoom(err);
      } else {
        toast(describe(err));
      }
    }
  });

  cancel.addEventListener("click", async () => {
    if (!ticket) return;
    const id = ticket.ticket_id;
    try {
      await client.cancel(id);
      stop();
      toast("Search cancelled.");
    } catch (err) {
      if (err instanceof ApiError && err.code === "already_matched" && err.details?.room_code) {
        go(err.details.room_code);
      } else {
        toast(describe(err));
      }
    }
  });

  return h("div", { class: "quick-match" }, button, status);
}
