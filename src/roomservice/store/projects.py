"""Queries on workshop projects, their collaborators and their saved versions. Each function runs inside
a transaction the caller owns. Who may do what is ``roomservice.projects``'s business, not these."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.model import iso
from roomservice.store.models import AccountRow, ProjectCollaboratorRow, ProjectRow, ProjectVersionRow


@dataclasses.dataclass(frozen=True, slots=True)
class Person:
    """An account as a project shows it."""

    account_id: str
    username: str


@dataclasses.dataclass(frozen=True, slots=True)
class ProjectRecord:
    """A project as saved. ``content`` is None when it was not asked for (lists)."""

    project_id: str
    name: str
    description: str
    owner: Person
    collaborators: tuple[Person, ...]
    version: int
    saved_at: float
    created_at: float
    updated_at: float
    content: dict[str, Any] | None = None

    def can_open(self, account_id: str | None) -> bool:
        """The owner and the collaborators may read, open and change it."""
        return account_id is not None and (
            account_id == self.owner.account_id or any(p.account_id == account_id for p in self.collaborators)
        )

    def meta(self) -> dict[str, Any]:
        """Everything but the content, as the API and the socket show a project."""
        return {
            "id": self.project_id,
            "name": self.name,
            "description": self.description,
            "owner": self.owner.username,
            "collaborators": [p.username for p in self.collaborators],
            "version": self.version,
            "saved_at": iso(self.saved_at),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.meta(), "content": self.content}


@dataclasses.dataclass(frozen=True, slots=True)
class VersionRecord:
    version: int
    cubes: int
    saved_at: float
    #: Who pressed save; None for an autosave (or an account since deleted).
    saved_by: str | None
    auto: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cubes": self.cubes,
            "saved_at": iso(self.saved_at),
            "saved_by": self.saved_by,
            "auto": self.auto,
        }


# -- accounts ---------------------------------------------------------------------------------------


async def people(conn: AsyncConnection, usernames: Iterable[str]) -> dict[str, Person]:
    """The accounts named ``usernames`` (any case), keyed by the lower-cased name asked for."""
    wanted = {name.lower() for name in usernames}
    if not wanted:
        return {}
    rows = await conn.execute(
        select(AccountRow.id, AccountRow.username).where(func.lower(AccountRow.username).in_(wanted))
    )
    return {row[1].lower(): Person(row[0], row[1]) for row in rows}


async def person(conn: AsyncConnection, account_id: str) -> Person | None:
    row = (
        await conn.execute(select(AccountRow.id, AccountRow.username).where(AccountRow.id == account_id))
    ).first()
    return None if row is None else Person(row[0], row[1])


# -- projects ---------------------------------------------------------------------------------------


async def insert_project(
    conn: AsyncConnection, project: ProjectRecord, content: dict[str, Any], cubes: int
) -> None:
    """A new project and its version 0."""
    await conn.execute(
        insert(ProjectRow).values(
            id=project.project_id,
            name=project.name,
            description=project.description,
            owner_id=project.owner.account_id,
            content=content,
            version=0,
            saved_at=project.saved_at,
            created_at=project.created_at,
            updated_at=project.updated_at,
        )
    )
    await conn.execute(
        insert(ProjectVersionRow).values(
            project_id=project.project_id,
            version=0,
            content=content,
            cubes=cubes,
            saved_at=project.saved_at,
            saved_by=project.owner.account_id,
            auto=False,
        )
    )


_COLUMNS = (
    ProjectRow.id,
    ProjectRow.name,
    ProjectRow.description,
    ProjectRow.owner_id,
    AccountRow.username,
    ProjectRow.version,
    ProjectRow.saved_at,
    ProjectRow.created_at,
    ProjectRow.updated_at,
)


async def _collaborators(conn: AsyncConnection, project_ids: list[str]) -> dict[str, list[Person]]:
    found: dict[str, list[Person]] = {pid: [] for pid in project_ids}
    if not project_ids:
        return found
    rows = await conn.execute(
        select(ProjectCollaboratorRow.project_id, AccountRow.id, AccountRow.username)
        .join(AccountRow, AccountRow.id == ProjectCollaboratorRow.account_id)
        .where(ProjectCollaboratorRow.project_id.in_(project_ids))
        .order_by(ProjectCollaboratorRow.added_at, AccountRow.username)
    )
    for row in rows:
        found[row[0]].append(Person(row[1], row[2]))
    return found


def _record(row: Any, collaborators: list[Person], content: dict[str, Any] | None) -> ProjectRecord:
    return ProjectRecord(
        project_id=row[0],
        name=row[1],
        description=row[2],
        owner=Person(row[3], row[4]),
        collaborators=tuple(collaborators),
        version=row[5],
        saved_at=row[6],
        created_at=row[7],
        updated_at=row[8],
        content=content,
    )


async def get_project(
    conn: AsyncConnection, project_id: str, *, content: bool = False, lock: bool = False
) -> ProjectRecord | None:
    """The project (with its saved content when asked), or None. ``lock`` takes its row for the rest
    of a write transaction on PostgreSQL, so changes to one project are made one at a time."""
    columns = (*_COLUMNS, ProjectRow.content) if content else _COLUMNS
    query = (
        select(*columns)
        .join(AccountRow, AccountRow.id == ProjectRow.owner_id)
        .where(ProjectRow.id == project_id)
    )
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=ProjectRow)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    collaborators = await _collaborators(conn, [project_id])
    return _record(row, collaborators[project_id], row[9] if content else None)


async def projects_of(conn: AsyncConnection, account_id: str) -> list[ProjectRecord]:
    """The projects the account owns or collaborates on, the most recently changed first."""
    shared = select(ProjectCollaboratorRow.project_id).where(ProjectCollaboratorRow.account_id == account_id)
    rows = (
        await conn.execute(
            select(*_COLUMNS)
            .join(AccountRow, AccountRow.id == ProjectRow.owner_id)
            .where(or_(ProjectRow.owner_id == account_id, ProjectRow.id.in_(shared)))
            .order_by(ProjectRow.updated_at.desc(), ProjectRow.id)
        )
    ).all()
    collaborators = await _collaborators(conn, [row[0] for row in rows])
    return [_record(row, collaborators[row[0]], None) for row in rows]


async def owned_count(conn: AsyncConnection, account_id: str) -> int:
    count = await conn.scalar(
        select(func.count()).select_from(ProjectRow).where(ProjectRow.owner_id == account_id)
    )
    return int(count or 0)


async def update_project(conn: AsyncConnection, project_id: str, now: float, **values: Any) -> None:
    """Set ``name``, ``description`` or ``owner_id`` (those given)."""
    await conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(updated_at=now, **values))


async def add_collaborator(conn: AsyncConnection, project_id: str, account_id: str, now: float) -> None:
    """Add (a no-op for an account already there)."""
    exists = await conn.scalar(
        select(func.count())
        .select_from(ProjectCollaboratorRow)
        .where(
            ProjectCollaboratorRow.project_id == project_id, ProjectCollaboratorRow.account_id == account_id
        )
    )
    if not exists:
        await conn.execute(
            insert(ProjectCollaboratorRow).values(project_id=project_id, account_id=account_id, added_at=now)
        )


async def remove_collaborator(conn: AsyncConnection, project_id: str, account_id: str) -> None:
    await conn.execute(
        delete(ProjectCollaboratorRow).where(
            ProjectCollaboratorRow.project_id == project_id, ProjectCollaboratorRow.account_id == account_id
        )
    )


async def delete_project(conn: AsyncConnection, project_id: str) -> None:
    """The project, its collaborators and its versions."""
    await conn.execute(delete(ProjectVersionRow).where(ProjectVersionRow.project_id == project_id))
    await conn.execute(delete(ProjectCollaboratorRow).where(ProjectCollaboratorRow.project_id == project_id))
    await conn.execute(delete(ProjectRow).where(ProjectRow.id == project_id))


# -- versions ---------------------------------------------------------------------------------------


async def save_version(
    conn: AsyncConnection,
    project_id: str,
    content: dict[str, Any],
    cubes: int,
    *,
    saved_at: float,
    saved_by: str | None,
    auto: bool,
) -> int | None:
    """Write ``content`` as the project's next version; returns it, or None when the project is gone."""
    current = await conn.scalar(select(ProjectRow.version).where(ProjectRow.id == project_id))
    if current is None:
        return None
    version = int(current) + 1
    await conn.execute(
        insert(ProjectVersionRow).values(
            project_id=project_id,
            version=version,
            content=content,
            cubes=cubes,
            saved_at=saved_at,
            saved_by=saved_by,
            auto=auto,
        )
    )
    await conn.execute(
        update(ProjectRow)
        .where(ProjectRow.id == project_id)
        .values(content=content, version=version, saved_at=saved_at, updated_at=saved_at)
    )
    return version


_VERSION_COLUMNS = (
    ProjectVersionRow.version,
    ProjectVersionRow.cubes,
    ProjectVersionRow.saved_at,
    AccountRow.username,
    ProjectVersionRow.auto,
)


async def versions(conn: AsyncConnection, project_id: str) -> list[VersionRecord]:
    """Every saved version, newest first."""
    rows = await conn.execute(
        select(*_VERSION_COLUMNS)
        .outerjoin(AccountRow, AccountRow.id == ProjectVersionRow.saved_by)
        .where(ProjectVersionRow.project_id == project_id)
        .order_by(ProjectVersionRow.version.desc())
    )
    return [VersionRecord(row[0], row[1], row[2], row[3], row[4]) for row in rows]


async def version(
    conn: AsyncConnection, project_id: str, number: int
) -> tuple[VersionRecord, dict[str, Any]] | None:
    """One saved version and its content."""
    row = (
        await conn.execute(
            select(*_VERSION_COLUMNS, ProjectVersionRow.content)
            .outerjoin(AccountRow, AccountRow.id == ProjectVersionRow.saved_by)
            .where(ProjectVersionRow.project_id == project_id, ProjectVersionRow.version == number)
        )
    ).first()
    if row is None:
        return None
    return VersionRecord(row[0], row[1], row[2], row[3], row[4]), row[5]


async def version_info(conn: AsyncConnection, project_id: str, number: int) -> VersionRecord | None:
    """One saved version without its content."""
    row = (
        await conn.execute(
            select(*_VERSION_COLUMNS)
            .outerjoin(AccountRow, AccountRow.id == ProjectVersionRow.saved_by)
            .where(ProjectVersionRow.project_id == project_id, ProjectVersionRow.version == number)
        )
    ).first()
    return None if row is None else VersionRecord(row[0], row[1], row[2], row[3], row[4])
