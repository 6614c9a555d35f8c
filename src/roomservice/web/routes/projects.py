"""``/api/projects``: workshop projects, their collaborators and saved versions (docs/workshop.md).

Changes of metadata go through the workshop, so that whoever has the project open sees them at once
(``meta_change``); the content changes over the socket only. What these routes read is the project as
last saved.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel
from starlette.responses import Response

from roomservice.errors import Invalid
from roomservice.projects.service import Changes
from roomservice.web import bodies
from roomservice.web.deps import ServicesDep, SessionDep
from roomservice.web.openapi import body, errors
from roomservice.web.responses import JSON

router = APIRouter(prefix="/api/projects", tags=["projects"])

#: Versions are counted in the database's 32-bit integers.
VersionNo = Annotated[int, Path(ge=0, le=2**31 - 1)]


class NewProject(BaseModel):
    name: Any = None
    description: Any = None
    #: ``{"size": [x, y, z], "cubes": [{x, y, z, color}]}``; an empty grid of 32 by 32 by 32 when absent.
    content: Any = None


class ProjectPatch(BaseModel):
    name: Any = None
    description: Any = None
    #: The username of the account that is to own it (owner only).
    owner: Any = None


def _text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Invalid(f"invalid_{field}", f"{field} is text.")


@router.post(
    "",
    status_code=201,
    summary="Create a project owned by your account",
    responses={**body(bodies.ProjectWithContent, 201), **errors(401, 403, 409)},
)
async def create_project(new: NewProject, session: SessionDep, svc: ServicesDep) -> Response:
    project = await svc.projects.create(session, new.name, new.description, new.content)
    return JSON(project.to_dict(), 201)


@router.get(
    "",
    summary="Your projects and those shared with you, the most recently changed first",
    responses={**body(bodies.Projects), **errors(401, 403)},
)
async def list_projects(session: SessionDep, svc: ServicesDep) -> Response:
    return JSON({"projects": [p.meta() for p in await svc.projects.mine(session)]})


@router.get(
    "/{project_id}",
    summary="A project as last saved, with its content",
    responses={**body(bodies.ProjectWithContent), **errors(401, 403, 404)},
)
async def get_project(project_id: str, session: SessionDep, svc: ServicesDep) -> Response:
    return JSON((await svc.projects.get(session, project_id)).to_dict())


@router.patch(
    "/{project_id}",
    summary="Rename, describe or hand over a project (a new owner: the owner only)",
    responses={**body(bodies.Project), **errors(401, 403, 404)},
)
async def patch_project(
    project_id: str, patch: ProjectPatch, session: SessionDep, svc: ServicesDep
) -> Response:
    changes = Changes(
        name=_text(patch.name, "name"),
        description=_text(patch.description, "description"),
        owner=_text(patch.owner, "owner"),
    )
    changed = await svc.workshop.change(session, project_id, changes)
    return JSON(changed.project.meta())


@router.delete(
    "/{project_id}",
    summary="Delete a project and its versions (the owner only)",
    responses={**body(bodies.DeletedProject), **errors(401, 403, 404)},
)
async def delete_project(project_id: str, session: SessionDep, svc: ServicesDep) -> Response:
    project = await svc.workshop.delete(session, project_id)
    return JSON({"id": project.project_id, "deleted": True})


@router.put(
    "/{project_id}/collaborators/{username}",
    summary="Add a collaborator (the owner only)",
    responses={**body(bodies.Project), **errors(401, 403, 404)},
)
async def add_collaborator(project_id: str, username: str, session: SessionDep, svc: ServicesDep) -> Response:
    changed = await svc.workshop.change(session, project_id, Changes(add=username))
    return JSON(changed.project.meta())


@router.delete(
    "/{project_id}/collaborators/{username}",
    summary="Remove a collaborator (the owner; or a collaborator taking themselves off)",
    responses={**body(bodies.Project), **errors(401, 403, 404)},
)
async def remove_collaborator(
    project_id: str, username: str, session: SessionDep, svc: ServicesDep
) -> Response:
    changed = await svc.workshop.change(session, project_id, Changes(remove=username))
    return JSON(changed.project.meta())


@router.get(
    "/{project_id}/versions",
    summary="Every saved version, newest first",
    responses={**body(bodies.Versions), **errors(401, 403, 404)},
)
async def list_versions(project_id: str, session: SessionDep, svc: ServicesDep) -> Response:
    return JSON({"versions": [v.to_dict() for v in await svc.projects.versions(session, project_id)]})


@router.get(
    "/{project_id}/versions/{version}",
    summary="One saved version with its content",
    responses={**body(bodies.VersionWithContent), **errors(401, 403, 404)},
)
async def get_version(project_id: str, version: VersionNo, session: SessionDep, svc: ServicesDep) -> Response:
    record, content = await svc.projects.version(session, project_id, version)
    return JSON({**record.to_dict(), "content": content})
