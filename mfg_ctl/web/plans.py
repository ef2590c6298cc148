"""The plans a web UI offers: the YAML files of one folder, and nothing outside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mfg_ctl.plan import Plan, PlanError, load_plan

__all__ = ["OfferedPlan", "find_plan", "offered_plans"]

#: The most plan files one folder may offer (a folder of thousands is a mistake).
MAX_PLANS = 200


@dataclass(frozen=True)
class OfferedPlan:
    """One plan file of the folder: its name (the file's stem), the plan, or why it won't load."""

    name: str
    plan: Plan | None
    error: str = ""

    @property
    def requirements(self) -> tuple[str, ...]:
        """The requirement ids its steps verify, in first-seen order."""
        if self.plan is None:
            return ()
        seen: dict[str, None] = {}
        for step in self.plan.steps:
            for requirement in step.requirements:
                seen.setdefault(requirement, None)
        return tuple(seen)


def _plan_files(folder: Path) -> list[Path]:
    try:
        found = sorted(
            path for path in folder.iterdir() if path.suffix in (".yaml", ".yml") and path.is_file()
        )
    except OSError:
        return []
    return found[:MAX_PLANS]


def offered_plans(folder: Path) -> list[OfferedPlan]:
    """Every plan file of ``folder`` by name; one that does not load carries its error line."""
    offered = []
    for path in _plan_files(folder):
        try:
            offered.append(OfferedPlan(path.stem, load_plan(path)))
        except PlanError as error:
            offered.append(OfferedPlan(path.stem, None, str(error)))
    return offered


def find_plan(folder: Path, name: str) -> OfferedPlan | None:
    """The plan called ``name`` in ``folder`` (a name, never a path), or None."""
    for path in _plan_files(folder):
        if path.stem == name:
            try:
                return OfferedPlan(name, load_plan(path))
            except PlanError as error:
                return OfferedPlan(name, None, str(error))
    return None
