"""Signing out closes the signed-out sessions' open sockets (4001) over a real server, and the
sessions cannot open new ones."""

from __future__ import annotations

from websockets.asyncio.client import connect

from tests.accounts.people import account, log_in
from tests.conftest import Api, Server
from tests.realtime.wsclient import Sock


async def test_signing_out_other_devices_closes_their_sockets_with_4001(server: Server, remote: Api) -> None:
    laptop = await account(remote, "alice")
    phone = await log_in(remote, "alice")
    await laptop.create_room("r", "cabo")
    here = await Sock.open(server, laptop)
    await here.expect("room_state")
    there = await Sock.open(server, phone)
    await there.send({"type": "ping"})
    await there.expect("pong")

    resp = await laptop.http.delete("/api/account/sessions")
    assert resp.json() == {"signed_out": 1}
    frame = await there.expect("error")
    assert frame["code"] == "signed_out"
    assert await there.closed() == 4001
    # The laptop's socket is untouched, and the phone cannot come back with its old token.
    await here.send({"type": "chat", "text": "still here"})
    assert (await here.expect("chat"))["text"] == "still here"
    again = await Sock.open(server, phone)
    assert (await again.next())["code"] == "invalid_token"
    assert await again.closed() == 4001
    await here.close()


async def test_logging_out_closes_the_session_s_own_socket(server: Server, remote: Api) -> None:
    user = await account(remote, "bob")
    sock = await Sock.open(server, user)
    await sock.send({"type": "ping"})
    await sock.expect("pong")
    assert (await user.http.post("/api/logout")).status_code == 204
    assert (await sock.expect("error"))["code"] == "signed_out"
    assert await sock.closed() == 4001


async def test_a_ticket_taken_before_signing_out_opens_nothing(server: Server, remote: Api) -> None:
    laptop = await account(remote, "carol")
    phone = await log_in(remote, "carol")
    ticket = (await phone.http.post("/api/session/ticket")).json()["ticket"]
    assert (await laptop.http.delete("/api/account/sessions")).json() == {"signed_out": 1}
    sock = Sock(await connect(f"{server.ws}?ticket={ticket}"))
    assert (await sock.next())["code"] == "invalid_token"
    assert await sock.closed() == 4001
