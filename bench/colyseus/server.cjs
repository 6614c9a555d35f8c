// The Colyseus baseline of `python -m bench fanout`: Colyseus 0.18 (@colyseus/core with
// @colyseus/ws-transport) and one room type, "chat", that broadcasts every chat it gets to the whole
// room, the sender included, as roomservice and the other baselines do.
//
// Run by bench/servers.py with the Node runtime and the packages it installs into its cache folder
// (see bench/colyseus.py): NODE_PATH points at their node_modules.
//   node server.cjs --port N
"use strict";

const { Server, Room } = require("@colyseus/core");
const { WebSocketTransport } = require("@colyseus/ws-transport");

class ChatRoom extends Room {
  onCreate(options) {
    this.maxClients = Number(options.maxClients) || 64;
    // The benchmark seats every player before it starts timing: rooms stay open, seats stay
    // reserved however long seating 2,000 sockets takes, and there is no state to patch.
    this.autoDispose = false;
    this.seatReservationTimeout = 600;
    this.patchRate = null;
    this.onMessage("chat", (client, message) => {
      this.broadcast("chat", { type: "chat", from: client.sessionId, text: message && message.text });
    });
  }
}

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const server = new Server({
  greet: false,
  // The same limits as roomservice's: 64 KiB frames, a ping every 20 s.
  transport: new WebSocketTransport({ maxPayload: 64 * 1024, pingInterval: 20000, pingMaxRetries: 2 }),
});
server.define("chat", ChatRoom);
server.listen(Number(option("--port", "2567")), "127.0.0.1");
