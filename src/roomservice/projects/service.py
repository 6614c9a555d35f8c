"""Projects as saved: who may read and change them, their metadata, collaborators and versions. One
transaction per operation. The live copy of an open project is ``projects.workshop``'s; it calls in
here to load and to save.

Only accounts own or collaborate (``account_required``); only the owner and collaborators may read,
open or change a project (403 ``not_collaborator``, 404 ``project_not_found`` for an unknown id); only
the owner changes who collaborates, who owns it, or deletes it (403 ``not_owner``) — except that a
collaborator may take themselves off a project.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from roomservice.accounts import account_required, require_account
from roomservice.errors import Conflict, Forbidden, Invalid, NotFound
from roomservice.model import Session
from roomservice.store import projects as repo
from roomservice.store.database import Database
from roomservice.store.projects import Person, ProjectRecord, VersionRecord
from roomservice.types import Clock, wall_clock
from roomservice.workshop.sculpture import EditError, Sculpture

NAME_MAX = 80
DESCRIPTION_MAX = 1000
#: Projects one account may own.
MAX_PROJECTS = 100
#: Collaborators a project may have besides its owner.
MAX_COLLABORATORS = 50


def not_found() -> NotFound:
    return NotFound("project_not_found", "There is no such project.")


def not_collaborator() -> Forbidden:
    return Forbidden("not_collaborator", "Only the project's owner and collaborators can do that.")


def not_owner() -> Forbidden:
    return Forbidden("not_owner", "Only the project's owner can do that.")


def account_not_found(username: str) -> NotFound:
    return NotFound(
        "account_not_found", f"There is no account named {username[:40]!r}.", username=username[:40]
    )


def validate_name(raw: object) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not 1 <= len(name) <= NAME_MAX:
        raise Invalid("invalid_name", f"A project's name is 1–{NAME_MAX} characters.")
    return name


def validate_description(raw: object) -> str:
    if not isinstance(raw, str) or len(raw) > DESCRIPTION_MAX:
        raise Invalid(
            "invalid_description", f"A description is text of at most {DESCRIPTION_MAX} characters."
        )
    return raw.strip()


def read_content(raw: object) -> Sculpture:
    """Content sent over HTTP, or 422 with the rule it breaks (``invalid_content``, ``out_of_bounds``,
    ``too_many_cubes``, ``invalid_color``)."""
    try:
        return Sculpture.from_content(raw)
    except EditError as exc:
        raise Invalid(exc.code, exc.message) from None


@dataclasses.dataclass(frozen=True)
class Changes:
    """A change of metadata; None leaves an attribute as it is. ``collaborators`` is the whole new list,
    ``add`` and ``remove`` name single accounts (usernames, any case)."""

    name: str | None = None
    description: str | None = None
    owner: str | None = None
    collaborators: list[str] | None = None
    add: str | None = None
    remove: str | None = None

    @property
    def owner_only(self) -> bool:
        return self.owner is not None or self.collaborators is not None or self.add is not None


@dataclasses.dataclass(frozen=True)
class Changed:
    """What a change made: the project now, the attributes that differ (as the API shows them), and the
    accounts that lost access."""

    project: ProjectRecord
    attributes: dict[str, Any]
    lost: tuple[Person, ...]


class ProjectService:
    def __init__(self, db: Database, clock: Clock = wall_clock) -> None:
        self.db = db
        self.clock = clock

    # -- reading ------------------------------------------------------------------------------

    async def create(
        self, session: Session, name: object, description: object = "", content: object = None
    ) -> ProjectRecord:
        """A new project owned by the session's account, at version 0 (empty, or ``content``)."""
        owner_id = require_account(session)
        clean_name = validate_name(name)
        clean_description = validate_description("" if description is None else description)
        sculpture = Sculpture() if content is None else read_content(content)
        now = self.clock()
        async with self.db.write() as conn:
            owner = await repo.person(conn, owner_id)
            if owner is None:
                raise account_required()
            if await repo.owned_count(conn, owner_id) >= MAX_PROJECTS:
                raise Conflict("project_limit", f"An account owns at most {MAX_PROJECTS} projects.")
            project = ProjectRecord(
                str(uuid.uuid4()), clean_name, clean_description, owner, (), 0, now, now, now
            )
            stored = sculpture.to_content()
            await repo.insert_project(conn, project, stored, len(sculpture.cubes))
        return dataclasses.replace(project, content=stored)

    async def mine(self, session: Session) -> list[ProjectRecord]:
        """The account's own projects and those shared with it, the most recently changed first."""
        account_id = require_account(session)
        async with self.db.read() as conn:
            return await repo.projects_of(conn, account_id)

    async def get(self, session: Session, project_id: str, *, content: bool = True) -> ProjectRecord:
        """The project as last saved, for its owner and collaborators."""
        account_id = require_account(session)
        async with self.db.read() as conn:
            project = await repo.get_project(conn, project_id, content=content)
        return self._readable(project, account_id)

    @staticmethod
    def _readable(project: ProjectRecord | None, account_id: str) -> ProjectRecord:
        if project is None:
            raise not_found()
        if not project.can_open(account_id):
            raise not_collaborator()
        return project

    async def load(self, project_id: str) -> tuple[ProjectRecord, VersionRecord] | None:
        """The project with its saved content, and its last save, whoever asks (the workshop checks
        access itself)."""
        async with self.db.read() as conn:
            project = await repo.get_project(conn, project_id, content=True)
            last = None if project is None else await repo.version_info(conn, project_id, project.version)
        if project is None or last is None:
            return None
        return project, last

    async def versions(self, session: Session, project_id: str) -> list[VersionRecord]:
        await self.get(session, project_id, content=False)
        async with self.db.read() as conn:
            return await repo.versions(conn, project_id)

    async def version(
        self, session: Session, project_id: str, number: int
    ) -> tuple[VersionRecord, dict[str, Any]]:
        await self.get(session, project_id, content=False)
        return await self.saved_version(project_id, number)

    async def saved_version(self, project_id: str, number: int) -> tuple[VersionRecord, dict[str, Any]]:
        """A saved version and its content; 404 ``version_not_found``."""
        async with self.db.read() as conn:
            found = await repo.version(conn, project_id, number)
        if found is None:
            raise NotFound("version_not_found", f"This project has no version {number}.")
        return found

    # -- changing -----------------------------------------------------------------------------

    async def change(self, account_id: str | None, project_id: str, changes: Changes) -> Changed:
        """Apply a change of metadata for ``account_id`` in one transaction (see the module's rules)."""
        if account_id is None:
            raise account_required()
        name = None if changes.name is None else validate_name(changes.name)
        description = None if changes.description is None else validate_description(changes.description)
        now = self.clock()
        async with self.db.write() as conn:
            before = self._readable(await repo.get_project(conn, project_id, lock=True), account_id)
            is_owner = before.owner.account_id == account_id
            leaving_self = changes.remove is not None and changes.remove.lower() == _own_name(
                before, account_id
            )
            if (changes.owner_only or (changes.remove is not None and not leaving_self)) and not is_owner:
                raise not_owner()
            if changes.remove is not None:
                await self._people(conn, [changes.remove])
            values: dict[str, Any] = {}
            if name is not None:
                values["name"] = name
            if description is not None:
                values["description"] = description
            owner = before.owner
            if changes.owner is not None:
                owner = (await self._people(conn, [changes.owner]))[0]
                values["owner_id"] = owner.account_id
            collaborators = self._collaborators_after(before, changes, owner)
            named = await self._people(conn, [n for n in collaborators if isinstance(n, str)])
            by_name = {p.username.lower(): p for p in named}
            new_list = [by_name[c.lower()] if isinstance(c, str) else c for c in collaborators]
            new_list = [p for p in dict.fromkeys(new_list) if p.account_id != owner.account_id]
            if len(new_list) > MAX_COLLABORATORS:
                raise Invalid(
                    "too_many_collaborators", f"A project has at most {MAX_COLLABORATORS} collaborators."
                )
            await repo.update_project(conn, project_id, now, **values)
            old_ids = {p.account_id for p in before.collaborators}
            new_ids = {p.account_id for p in new_list}
            for gone in old_ids - new_ids:
                await repo.remove_collaborator(conn, project_id, gone)
            for person in new_list:
                if person.account_id not in old_ids:
                    await repo.add_collaborator(conn, project_id, person.account_id, now)
            after = await repo.get_project(conn, project_id)
        assert after is not None
        return Changed(after, _differences(before, after), _lost(before, after))

    def _collaborators_after(
        self, before: ProjectRecord, changes: Changes, owner: Person
    ) -> list[Person | str]:
        """The new list: people already known, or names still to look up."""
        listed: list[Person | str] = list(before.collaborators)
        if changes.collaborators is not None:
            listed = list(changes.collaborators)
        if changes.add is not None:
            listed.append(changes.add)
        if changes.remove is not None:
            gone = changes.remove.lower()
            listed = [p for p in listed if (p if isinstance(p, str) else p.username).lower() != gone]
        if owner.account_id != before.owner.account_id:
            listed.append(before.owner)  # the owner who hands over stays on as a collaborator
        return listed

    @staticmethod
    async def _people(conn: Any, usernames: list[str]) -> list[Person]:
        found = await repo.people(conn, usernames)
        for name in usernames:
            if name.lower() not in found:
                raise account_not_found(name)
        return [found[name.lower()] for name in usernames]

    async def delete(self, session: Session, project_id: str) -> ProjectRecord:
        """Delete the project and its versions; the owner only."""
        account_id = require_account(session)
        async with self.db.write() as conn:
            project = self._readable(await repo.get_project(conn, project_id, lock=True), account_id)
            if project.owner.account_id != account_id:
                raise not_owner()
            await repo.delete_project(conn, project_id)
        return project

    async def save(
        self, project_id: str, sculpture: Sculpture, *, saved_by: str | None, auto: bool
    ) -> tuple[int, float] | None:
        """Write the content as the next version: ``(version, saved_at)``, or None when the project
        was deleted meanwhile."""
        now = self.clock()
        async with self.db.write() as conn:
            version = await repo.save_version(
                conn,
                project_id,
                sculpture.to_content(),
                len(sculpture.cubes),
                saved_at=now,
                saved_by=saved_by,
                auto=auto,
            )
        return None if version is None else (version, now)


def _own_name(project: ProjectRecord, account_id: str) -> str | None:
    for person in (project.owner, *project.collaborators):
        if person.account_id == account_id:
            return person.username.lower()
    return None


def _differences(before: ProjectRecord, after: ProjectRecord) -> dict[str, Any]:
    old, new = before.meta(), after.meta()
    return {
        key: new[key] for key in ("name", "description", "owner", "collaborators") if old[key] != new[key]
    }


def _lost(before: ProjectRecord, after: ProjectRecord) -> tuple[Person, ...]:
    return tuple(p for p in (before.owner, *before.collaborators) if not after.can_open(p.account_id))
