"""Device profiles: register maps and behaviours in YAML, shared by devices and the controller.

The simulated devices serve a profile; the controller reads the same profile
to turn register names into addresses, so a plan never mentions an address
or a wire format.
"""

from __future__ import annotations

import re
from pathlib import Path

from simulators.profiles.schema import (
    DeviceProfile,
    ProfileError,
    RegisterSpec,
    load_profile,
    parse_profile,
)

__all__ = [
    "BUILTIN_DIR",
    "DeviceProfile",
    "ProfileError",
    "RegisterSpec",
    "builtin_names",
    "load_profile",
    "parse_profile",
    "resolve_profile",
]

_REGISTER_MAP = re.compile(r"^registers:", re.MULTILINE)

#: Where the built-in devices keep their ``profile.yaml``.
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "devices"


def builtin_names() -> list[str]:
    """The names of the built-in devices described by a register map."""
    return sorted(
        path.parent.name
        for path in BUILTIN_DIR.glob("*/profile.yaml")
        if _REGISTER_MAP.search(path.read_text(encoding="utf-8"))
    )


def resolve_profile(profile: str | Path | DeviceProfile) -> DeviceProfile:
    """A profile object, a path to a YAML file, or the name of a built-in device."""
    if isinstance(profile, DeviceProfile):
        return profile
    path = Path(profile)
    if path.suffix not in {".yaml", ".yml"}:
        if str(profile) not in builtin_names():
            known = ", ".join(builtin_names())
            raise ProfileError(f"no built-in profile {str(profile)!r}; known: {known}")
        path = BUILTIN_DIR / str(profile) / "profile.yaml"
    return load_profile(path)
