from __future__ import annotations

from tests.conftest import Api


async def test_healthz_reports_database(api: Api) -> None:
    resp = await api.client().get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["database"]["ok"] is True


async def test_games_catalogue(api: Api) -> None:
    resp = await api.client().get("/api/games")
    assert resp.status_code == 200
    games = {g["id"]: g for g in resp.json()["games"]}
    assert games["tictactoe"] == {
        "id": "tictactoe",
        "name": "Tic-tac-toe",
        "description": games["tictactoe"]["description"],
        "min_players": 2,
        "max_players": 2,
        "realtime": False,
    }
    assert games["arena"] == {
        "id": "arena",
        "name": "Arena",
        "description": games["arena"]["description"],
        "min_players": 3,
        "max_players": 5,
        "realtime": True,
    }


async def test_openapi_docs(api: Api) -> None:
    client = api.client()
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/rooms/{code}/join" in spec["paths"]


async def test_unknown_route_has_error_shape(api: Api) -> None:
    resp = await api.client().get("/api/nope")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


async def test_games_from_config_paths(tmp_path: object) -> None:
    from roomservice.config import Settings
    from roomservice.services import build_services

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/g.db",
        games="roomservice.games.tictactoe.game:TicTacToe",
    )
    try:
        await build_services(settings)
    except ValueError as exc:  # the same class as the built-in: refused, by name
        assert "tictactoe" in str(exc)
    else:
        raise AssertionError("a duplicate game id must be refused")
