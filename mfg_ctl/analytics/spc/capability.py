"""Process capability: Cp, Cpk, Cpu, Cpl, Cpm (sigma within) and Pp, Ppk, Ppu, Ppl (overall).

    Cp  = (USL - LSL) / (6 sigma)        Cpu = (USL - mean) / (3 sigma)
    Cpl = (mean - LSL) / (3 sigma)       Cpk = min(Cpu, Cpl)
    Cpm = (USL - LSL) / (6 sqrt(sigma^2 + (mean - T)^2))

with sigma within (the chart's MR-bar/d2, R-bar/d2 or S-bar/c4) for the C indices and the
overall sample standard deviation for the P indices. The target T defaults to the middle
of the specification, as qcc does. An index that cannot be computed (a one-sided
specification for Cp, a sigma of 0 for constant data) is ``None`` with its reason in
``undefined``: never an infinity or a NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mfg_ctl.analytics.spc.errors import SpcError

__all__ = ["Capability", "capability"]

#: The indices in the order they are reported.
INDICES = ("cp", "cpk", "cpu", "cpl", "cpm", "pp", "ppk", "ppu", "ppl", "ppm")


@dataclass(frozen=True)
class Capability:
    """The capability indices against ``lsl``/``usl``; ``None`` where ``undefined`` says why.

    ``ppm`` is qcc's Ppm: Cpm with the overall sigma (not parts per million).
    """

    lsl: float | None
    usl: float | None
    target: float | None
    mean: float
    sigma_within: float
    sigma_overall: float
    cp: float | None
    cpk: float | None
    cpu: float | None
    cpl: float | None
    cpm: float | None
    pp: float | None
    ppk: float | None
    ppu: float | None
    ppl: float | None
    ppm: float | None
    undefined: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Specification, sigmas, every index (null when undefined) and the reasons."""
        return {
            "lsl": self.lsl,
            "usl": self.usl,
            "target": self.target,
            "mean": self.mean,
            "sigma_within": self.sigma_within,
            "sigma_overall": self.sigma_overall,
            **{name: getattr(self, name) for name in INDICES},
            "undefined": {
                name: self.undefined[name] for name in INDICES if name in self.undefined
            },
        }


def _finite(name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise SpcError(f"{name} must be a finite number, not {value}")


def _indices(
    prefix: str, sigma: float, mean: float, lsl: float | None, usl: float | None
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Cp/Cpk/Cpu/Cpl (prefix ``c``) or Pp/... (``p``) for one sigma."""
    names = [f"{prefix}p", f"{prefix}pk", f"{prefix}pu", f"{prefix}pl"]
    if sigma <= 0:
        label = "within" if prefix == "c" else "overall"
        reason = f"sigma {label} is 0 (constant data): the index would be infinite"
        return dict.fromkeys(names), dict.fromkeys(names, reason)
    values: dict[str, float | None] = {}
    undefined: dict[str, str] = {}
    values[f"{prefix}pu"] = None if usl is None else (usl - mean) / (3 * sigma)
    values[f"{prefix}pl"] = None if lsl is None else (mean - lsl) / (3 * sigma)
    if usl is None:
        undefined[f"{prefix}pu"] = "no upper specification limit"
    if lsl is None:
        undefined[f"{prefix}pl"] = "no lower specification limit"
    if usl is not None and lsl is not None:
        values[f"{prefix}p"] = (usl - lsl) / (6 * sigma)
    else:
        values[f"{prefix}p"] = None
        undefined[f"{prefix}p"] = "needs both specification limits"
    sides = [v for v in (values[f"{prefix}pu"], values[f"{prefix}pl"]) if v is not None]
    values[f"{prefix}pk"] = min(sides)
    return values, undefined


def capability(
    mean: float,
    sigma_within: float,
    sigma_overall: float,
    *,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
) -> Capability:
    """The indices for a process of this mean and sigmas against LSL and/or USL."""
    for name, value in (
        ("the mean", mean),
        ("sigma within", sigma_within),
        ("sigma overall", sigma_overall),
        ("LSL", lsl),
        ("USL", usl),
        ("the target", target),
    ):
        _finite(name, value)
    if lsl is None and usl is None:
        raise SpcError("capability needs a specification limit: give LSL, USL or both")
    if lsl is not None and usl is not None and lsl >= usl:
        raise SpcError(f"LSL {lsl} is not below USL {usl}")
    if sigma_within < 0 or sigma_overall < 0:
        raise SpcError("a sigma cannot be negative")
    if target is None and lsl is not None and usl is not None:
        target = (lsl + usl) / 2
    values, undefined = _indices("c", sigma_within, mean, lsl, usl)
    overall, overall_undefined = _indices("p", sigma_overall, mean, lsl, usl)
    values.update(overall)
    undefined.update(overall_undefined)
    for name, sigma in (("cpm", sigma_within), ("ppm", sigma_overall)):
        if lsl is None or usl is None or target is None:
            values[name] = None
            undefined[name] = "needs both specification limits"
        elif sigma == 0 and mean == target:
            values[name] = None
            undefined[name] = "sigma is 0 and the mean is on target: the index would be infinite"
        else:
            values[name] = (usl - lsl) / (6 * math.hypot(sigma, mean - target))
    return Capability(
        lsl=lsl,
        usl=usl,
        target=target,
        mean=mean,
        sigma_within=sigma_within,
        sigma_overall=sigma_overall,
        undefined=undefined,
        **values,
    )
