"""Requirements a plan's steps verify: the file that lists them, and the names steps give them.

``traceability/requirements.yaml``::

    requirements:
      - id: REQ-PWR-001
        title: The output switches on within one command
        source: DUT-1000 product specification, section 3.1
        method: test            # optional: test, analysis, inspection or demonstration

A plan points at such a file (``requirements: ../traceability/requirements.yaml``,
relative to the plan) and its steps name what they verify (``requirements:
[REQ-PWR-001]``); a name the file lacks is a plan error with a "did you mean".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mfg_ctl.safe_yaml import read_text_file, read_yaml
from mfg_ctl.wording import clip, clip_text, describe_type

__all__ = [
    "Requirement",
    "RequirementError",
    "RequirementSet",
    "check_requirement_id",
    "load_requirements",
    "parse_requirements",
]

#: What a requirement id looks like: letters, digits, ``- _ .``, starting with a letter.
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")

Method = Literal["test", "analysis", "inspection", "demonstration"]


class RequirementError(Exception):
    """A requirements file is missing or invalid; one line naming the file and the entry."""


def check_requirement_id(value: str) -> str:
    """``value`` if it is a usable requirement id, else ValueError saying what one looks like."""
    if not _ID.fullmatch(value):
        raise ValueError(
            f"{clip(value)} is not a requirement id: start with a letter, then letters, "
            "digits, - _ or . (at most 64), e.g. REQ-PWR-001"
        )
    return value


class Requirement(BaseModel):
    """One requirement: its id, what it asks, where it comes from, how it is verified."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=1, max_length=500)
    source: str = ""
    method: Method | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return check_requirement_id(value)


class _RequirementsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requirements: list[Requirement] = Field(min_length=1)


@dataclass(frozen=True)
class RequirementSet:
    """The requirements of one file, by id, in the file's order."""

    by_id: Mapping[str, Requirement]
    path: Path

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.by_id

    def unknown(self, requirement_id: str) -> str:
        """What to say about an id the file lacks: the file, and the closest id if one is close."""
        close = difflib.get_close_matches(requirement_id, list(self.by_id), n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        return f"{clip(requirement_id)} is not in {self.path}: {hint}add it there or fix the name"


def parse_requirements(text: str, source: str | Path = "<requirements>") -> RequirementSet:
    """Validate the text of a requirements file; ``source`` names it in errors."""
    data = read_yaml(text, str(source), RequirementError)
    if not isinstance(data, dict):
        raise RequirementError(
            f"{source}: a requirements file is a mapping with requirements: [...], "
            f"not {describe_type(data)}"
        )
    try:
        parsed = _RequirementsFile.model_validate(data)
    except ValidationError as error:
        detail = error.errors()[0]
        loc = detail["loc"]
        where = f"requirement {int(loc[1]) + 1}" if len(loc) > 1 else "field requirements"
        field = f", field {clip_text(str(loc[2]))}" if len(loc) > 2 else ""
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, ValueError):
            message = str(cause)
        elif detail["type"] == "missing":
            message = "missing; add it"
        elif detail["type"] == "extra_forbidden":
            message = f"unknown field (known: {', '.join(Requirement.model_fields)})"
        else:
            message = f"{clip(detail['input'])}: {detail['msg'][:1].lower()}{detail['msg'][1:]}"
        raise RequirementError(f"{source}: {where}{field}: {message}") from None
    by_id: dict[str, Requirement] = {}
    for place, requirement in enumerate(parsed.requirements, start=1):
        if requirement.id in by_id:
            raise RequirementError(
                f"{source}: requirement {place}, field id: {requirement.id} is listed twice; "
                "give every requirement its own id"
            )
        by_id[requirement.id] = requirement
    return RequirementSet(by_id, Path(source))


def load_requirements(path: str | Path) -> RequirementSet:
    """Read and validate a requirements file."""
    return parse_requirements(read_text_file(path, "requirements", RequirementError), path)
