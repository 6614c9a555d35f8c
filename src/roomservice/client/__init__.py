"""The Python client: HTTP calls and a socket that reconnects and resumes by itself.

```python
async with Client("http://127.0.0.1:8000") as client:
    await client.create_session("alice")
    room = await client.create_room("Friday night", "tictactoe")
    socket = await client.connect()
    await socket.chat("hello")
    async for event in socket:
        print(event)
```

See docs/protocol.md for the frames behind the events.
"""

from roomservice.client.errors import ApiError, SocketClosed
from roomservice.client.events import (
    Chat,
    Error,
    Event,
    GameEvent,
    GameState,
    HostChanged,
    Kicked,
    LobbyRoomAdded,
    LobbyRoomRemoved,
    LobbyRoomUpdated,
    LobbySnapshot,
    MatchCountdown,
    MatchFound,
    MatchTimeout,
    PlayerDisconnected,
    PlayerJoined,
    PlayerLeft,
    PlayerReconnected,
    Pong,
    RoomClosed,
    RoomState,
    RoomUpdated,
    Unknown,
)
from roomservice.client.http import Client
from roomservice.client.models import (
    GameInfo,
    LobbyPage,
    MatchmakingStats,
    Member,
    Room,
    RoomConfig,
    Session,
    Ticket,
)
from roomservice.client.socket import STOP_CODES, Socket, SocketState

__all__ = [
    "STOP_CODES",
    "ApiError",
    "Chat",
    "Client",
    "Error",
    "Event",
    "GameEvent",
    "GameInfo",
    "GameState",
    "HostChanged",
    "Kicked",
    "LobbyPage",
    "LobbyRoomAdded",
    "LobbyRoomRemoved",
    "LobbyRoomUpdated",
    "LobbySnapshot",
    "MatchCountdown",
    "MatchFound",
    "MatchTimeout",
    "MatchmakingStats",
    "Member",
    "PlayerDisconnected",
    "PlayerJoined",
    "PlayerLeft",
    "PlayerReconnected",
    "Pong",
    "Room",
    "RoomClosed",
    "RoomConfig",
    "RoomState",
    "RoomUpdated",
    "Session",
    "Socket",
    "SocketClosed",
    "SocketState",
    "Ticket",
    "Unknown",
]
