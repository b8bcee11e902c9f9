"""The timer's shorthand: "Fix login @website #bug" starts on the Website project, tagged "bug".

`@name` names a project the user may log to (matched without spaces and case, by its name or its
code; a unique prefix is enough), `@name/task` a task of it too; `#name` adds a tag (a new name
creates the tag, as everywhere). What is left is the description. A word that only looks like a
token (an e-mail address, "C#") stays in the text: a token starts the text or follows a space.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.utils.translation import gettext

from accounts.models import User
from timetracking.models import Project, Task
from timetracking.services.common import TimeTrackingError

T = TypeVar("T")

_TOKEN = re.compile(r"(?:(?<=\s)|^)([@#])([^\s@#]+)")


@dataclass
class Shorthand:
    description: str
    project: Project | None = None
    task: Task | None = None
    tags: list[str] = field(default_factory=list)


def _squashed(text: str) -> str:
    return "".join(text.split()).casefold()


def _one(candidates: list[T], wanted: str, names: Callable[[T], Iterable[str]], what: str, token: str) -> T:
    """The candidate whose name is `wanted`, else the only one it starts; else a clear error."""
    exact = [candidate for candidate in candidates if wanted in names(candidate)]
    if len(exact) == 1:
        return exact[0]
    starting = [candidate for candidate in candidates if any(name.startswith(wanted) for name in names(candidate))]
    if len(starting) == 1:
        return starting[0]
    if not starting and not exact:
        raise TimeTrackingError(
            gettext("No {what} you can log to matches “{token}”.").format(what=what, token=token),
            field="description",
            code="unknown",
        )
    raise TimeTrackingError(
        gettext("“{token}” matches several {what}s: type more of the name.").format(token=token, what=what),
        field="description",
        code="ambiguous",
    )


def timer_shorthand(*, user: User, text: str) -> Shorthand:
    """Split `text` into a description, a project (and task) and tags. One query when the text names
    a project (its loggable projects and their active tasks), none otherwise."""
    tokens = _TOKEN.findall(text)
    description = " ".join(_TOKEN.sub(" ", text).split())
    result = Shorthand(description=description)
    tags = [name for sign, name in tokens if sign == "#"]
    result.tags = list(dict.fromkeys(tags))
    projects = [name for sign, name in tokens if sign == "@"]
    if len(projects) > 1:
        raise TimeTrackingError(gettext("Name one project (one @)."), field="description", code="ambiguous")
    if projects:
        token = "@" + projects[0]
        project_part, _, task_part = projects[0].partition("/")
        candidates = list(Project.objects.loggable_by(user).prefetch_related("tasks"))
        project = _one(
            candidates,
            _squashed(project_part),
            lambda project: {_squashed(project.name), _squashed(project.code or "") or "\0"},
            "project",
            token,
        )
        result.project = project
        if task_part:
            tasks = [task for task in project.tasks.all() if task.active]
            result.task = _one(tasks, _squashed(task_part), lambda task: {_squashed(task.name)}, "task", token)
    return result
