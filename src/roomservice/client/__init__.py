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
    CollaboratorJoined,
    CollaboratorLeft,
    CursorMoved,
    EditApplied,
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
    MetaChanged,
    PlayerDisconnected,
    PlayerJoined,
    PlayerLeft,
    PlayerReconnected,
    Pong,
    ProjectClosed,
    ProjectSnapshot,
    RoomClosed,
    RoomState,
    RoomUpdated,
    Saved,
    Unknown,
)
from roomservice.client.http import Client
from roomservice.client.models import (
    GameInfo,
    LobbyPage,
    MatchmakingStats,
    Member,
    Project,
    ProjectVersion,
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
    "CollaboratorJoined",
    "CollaboratorLeft",
    "CursorMoved",
    "EditApplied",
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
    "MetaChanged",
    "PlayerDisconnected",
    "PlayerJoined",
    "PlayerLeft",
    "PlayerReconnected",
    "Pong",
    "Project",
    "ProjectClosed",
    "ProjectSnapshot",
    "ProjectVersion",
    "Room",
    "RoomClosed",
    "RoomConfig",
    "RoomState",
    "RoomUpdated",
    "Saved",
    "Session",
    "Socket",
    "SocketClosed",
    "SocketState",
    "Ticket",
    "Unknown",
]
