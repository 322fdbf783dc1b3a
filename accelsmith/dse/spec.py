"""Campaign specs: the YAML a user writes to run a design-space exploration.

A minimal spec (the family's default space, NSGA-II, 1000 trials, seed 0)::

    name: sa-resnet50
    family: systolic
    workload: resnet50
    objectives: {latency_s: minimize, energy_j: minimize, area_um2: minimize}
    budget: 1000

Keys
    ``name`` (letters, digits, ``.``, ``_``, ``-``), ``family`` (a registered family),
    ``space`` (optional: entries override the family's default space parameter by parameter;
    ``null`` removes a default parameter), ``workload`` (a built-in name or file, a mapping
    ``{name|file, weight}``, or a list of those: metrics are then weighted means, see
    :mod:`accelsmith.dse.evaluator`), ``objectives`` (2 to 4 cost-model outputs, each
    ``minimize`` or ``maximize``), ``constraints`` (strings like ``"area_mm2 <= 4"`` or a
    mapping ``{area_mm2: {"<=": 4}}``), ``explorer`` (a name or ``{name, options}``),
    ``budget`` (trials), ``seed``, ``storage`` (default ``sqlite:///runs/<name>/study.db``,
    relative to the current directory), ``workers``, ``node_nm`` (technology node) and
    ``tech`` (YAML file overriding the technology table).

Every error is a one-line :class:`~accelsmith.core.errors.ConfigError` naming the key path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core.errors import ConfigError
from .space import Space

__all__ = ["CampaignSpec", "Constraint", "WorkloadEntry", "load_spec"]

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: a campaign name becomes a folder name and part of an Optuna study name
NAME_MAX = 100
_CONSTRAINT_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$"
)
DIRECTIONS = ("minimize", "maximize")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkloadEntry(_Strict):
    """One workload of a campaign: a built-in name or a file, with a relative weight."""

    name: str | None = None
    file: str | None = None
    weight: float = Field(default=1.0, gt=0)

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, v: Any) -> Any:
        return _finite(v)

    @property
    def source(self) -> str:
        return self.name if self.name is not None else str(self.file)


class Constraint(_Strict):
    """``metric op bound``; ``op`` is ``<=`` or ``>=`` (``<``/``>`` are read as such)."""

    metric: str
    op: Literal["<=", ">="]
    bound: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


class ExplorerSpec(_Strict):
    name: str = "nsga2"
    options: dict[str, Any] = Field(default_factory=dict)


class CampaignSpec(_Strict):
    """A validated campaign spec (see the module docstring for the keys)."""

    name: str
    family: str
    space: dict[str, Any] | None = None
    workload: list[WorkloadEntry]
    objectives: list[tuple[str, Literal["minimize", "maximize"]]]
    constraints: list[Constraint] = Field(default_factory=list)
    explorer: ExplorerSpec = Field(default_factory=ExplorerSpec)
    budget: int = Field(default=1000, ge=1)
    seed: int = Field(default=0, ge=0)
    storage: str | None = None
    workers: int = Field(default=1, ge=1)
    node_nm: int = Field(default=45, ge=1)
    tech: str | None = None

    @field_validator("budget", "seed", "workers", "node_nm", mode="before")
    @classmethod
    def _integer(cls, v: Any) -> Any:
        if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
            raise ValueError(f"must be an integer, not {v!r}")
        if isinstance(v, float):
            return int(v)
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if len(v) > NAME_MAX:
            raise ValueError(f"must be at most {NAME_MAX} characters, not {len(v)}")
        if not NAME_RE.match(v):
            raise ValueError(
                "must start with a letter or digit and hold only letters, digits, '.', '_' "
                f"and '-', not {v!r}"
            )
        return v

    @field_validator("workload", mode="before")
    @classmethod
    def _workload(cls, v: Any) -> Any:
        items = v if isinstance(v, list) else [v]
        if not items:
            raise ValueError("must name at least one workload")
        out = []
        for item in items:
            if isinstance(item, str):
                out.append({"name": item})
            elif isinstance(item, Mapping):
                if ("name" in item) == ("file" in item):
                    raise ValueError(
                        f"each entry needs exactly one of 'name' or 'file', not {dict(item)!r}"
                    )
                out.append(item)
            else:
                raise ValueError(
                    "must be a workload name, a file, {name|file, weight} or a list of those, "
                    f"not {item!r}"
                )
        return out

    @field_validator("objectives", mode="before")
    @classmethod
    def _objectives(cls, v: Any) -> Any:
        if isinstance(v, Mapping):
            pairs = list(v.items())
        elif isinstance(v, list):
            pairs = []
            for item in v:
                if isinstance(item, Mapping) and len(item) == 1:
                    pairs += list(item.items())
                elif isinstance(item, (list, tuple)) and len(item) == 2:
                    pairs.append(tuple(item))
                else:
                    raise ValueError(f"entries must be {{metric: minimize|maximize}}, not {item!r}")
        else:
            raise ValueError(f"must be a mapping {{metric: minimize|maximize}}, not {v!r}")
        for metric, direction in pairs:
            if direction not in DIRECTIONS:
                raise ValueError(f".{metric} must be 'minimize' or 'maximize', not {direction!r}")
        if not 2 <= len(pairs) <= 4:
            raise ValueError(f"must name 2 to 4 metrics, not {len(pairs)}")
        names = [m for m, _ in pairs]
        if len(set(names)) != len(names):
            raise ValueError(f"must not repeat a metric, not {names}")
        return pairs

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraints(cls, v: Any) -> Any:
        if v is None:
            return []
        out: list[dict[str, Any]] = []
        if isinstance(v, Mapping):  # {metric: {"<=": bound, ">=": bound}}
            for metric, ops in v.items():
                if not isinstance(ops, Mapping):
                    raise ValueError(f".{metric} must be a mapping like {{'<=': 4}}, not {ops!r}")
                for op, bound in ops.items():
                    out.append({"metric": metric, "op": _op(op), "bound": _bound(bound)})
            return out
        if not isinstance(v, list):
            v = [v]
        for item in v:
            if isinstance(item, str):
                m = _CONSTRAINT_RE.match(item)
                if not m:
                    raise ValueError(
                        f"must read like 'area_mm2 <= 4' (metric, <= or >=, number), not {item!r}"
                    )
                out.append({"metric": m[1], "op": _op(m[2]), "bound": _bound(float(m[3]))})
            elif isinstance(item, Mapping) and {"metric", "op", "bound"} <= set(item):
                out.append({**item, "op": _op(item["op"]), "bound": _bound(item["bound"])})
            else:
                raise ValueError(
                    f"entries must be strings like 'area_mm2 <= 4' or {{metric, op, bound}}, "
                    f"not {item!r}"
                )
        return out

    @field_validator("explorer", mode="before")
    @classmethod
    def _explorer(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v

    # derived ---------------------------------------------------------------------------------
    @property
    def directions(self) -> list[str]:
        return [d for _, d in self.objectives]

    @property
    def metric_names(self) -> list[str]:
        return [m for m, _ in self.objectives]

    def storage_url(self) -> str:
        """The storage URL (default ``sqlite:///runs/<name>/study.db``, relative to the cwd)."""
        return self.storage or f"sqlite:///runs/{self.name}/study.db"

    def space_entries(self) -> dict[str, Any]:
        """The family's default space with this spec's entries applied on top."""
        from ..core.registry import get_family

        merged = dict(get_family(self.family).space)
        for k, v in (self.space or {}).items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        return merged

    def build_space(self) -> Space:
        return Space.from_spec(self.space_entries())

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able form (what the run folder and the study attributes store)."""
        d = self.model_dump(mode="json")
        d["objectives"] = {m: direction for m, direction in self.objectives}
        d["constraints"] = [str(c) for c in self.constraints]
        d["workload"] = [w.model_dump(exclude_none=True) for w in self.workload]
        return d

    def with_overrides(self, **changes: Any) -> CampaignSpec:
        """A copy with some keys replaced (``None`` values are ignored), re-validated."""
        data = self.to_dict()
        data.update({k: v for k, v in changes.items() if v is not None})
        return parse_spec(data)


def _op(op: Any) -> str:
    ops = {"<=": "<=", "<": "<=", ">=": ">=", ">": ">="}
    if op not in ops:
        raise ValueError(f"operator must be <= or >=, not {op!r}")
    return ops[op]


def _bound(b: Any) -> float:
    if isinstance(b, bool) or not isinstance(b, (int, float)):
        raise ValueError(f"bound must be a number, not {b!r}")
    try:
        b = float(b)
    except OverflowError:
        raise ValueError("bound must be a finite number, not an integer that large") from None
    if not math.isfinite(b):
        raise ValueError(f"bound must be a finite number, not {b!r}")
    return b


def _finite(v: Any) -> Any:
    """``v`` unchanged unless it is a boolean or a non-finite float (refused)."""
    if isinstance(v, bool):
        raise ValueError(f"must be a number, not {v!r}")
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"must be a finite number, not {v!r}")
    return v


def _format_error(exc: ValidationError, source: str) -> str:
    errors = exc.errors()
    # a misspelled key also makes the real one "missing": name the misspelling first
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in err["loc"]) or "spec"
    typ = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if typ == "missing":
        return f"{source}: {loc} is required"
    if typ == "extra_forbidden":
        parent = ".".join(str(p) for p in err["loc"][:-1])
        model = {"": CampaignSpec, "explorer": ExplorerSpec}.get(parent)
        if parent.startswith("workload"):
            model = WorkloadEntry
        allowed = ", ".join(model.model_fields) if model else ""
        where = f"{parent}: " if parent else ""
        return f"{source}: {where}unknown key {err['loc'][-1]!r}; allowed keys are {allowed}"
    ctx = err.get("ctx") or {}
    if typ in ("greater_than_equal", "greater_than"):
        op, bound = (">=", ctx.get("ge")) if typ == "greater_than_equal" else (">", ctx.get("gt"))
        return f"{source}: {loc} must be {op} {bound}, not {value!r}"
    kinds = {
        "int": "an integer",
        "float": "a number",
        "string": "a string",
        "dict": "a mapping",
        "list": "a list",
        "bool": "true or false",
        "model": "a mapping",
    }
    kind = typ.split("_")[0]
    if kind in kinds and typ.endswith(("_type", "_parsing", "_from_float")):
        return f"{source}: {loc} must be {kinds[kind]}, not {value!r}"
    if typ == "literal_error":
        return f"{source}: {loc} must be {msg.removeprefix('Input should be ')}, not {value!r}"
    if loc.startswith(("objectives", "constraints", "workload", "name")):
        loc = loc.split(".")[0]
    sep = "" if msg.startswith(".") else " "
    return f"{source}: {loc}{sep}{msg}"


def parse_spec(data: Any, *, source: str = "spec", base_dir: Path | None = None) -> CampaignSpec:
    """Validate a spec mapping; relative workload/tech files are resolved against ``base_dir``.

    Raises
    ------
    ConfigError
        The first problem, as ``"<source>: <key path> ..."``.
    """
    from ..core.registry import get_family

    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: a campaign spec must be a mapping of keys, not {data!r}")
    data = dict(data)
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from None
    try:
        get_family(spec.family)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if base_dir is not None:
        entries = []
        for w in spec.workload:
            if w.file is not None and not Path(w.file).is_absolute():
                w = w.model_copy(update={"file": str((base_dir / w.file).resolve())})
            entries.append(w)
        tech = spec.tech
        if tech is not None and not Path(tech).is_absolute():
            tech = str((base_dir / tech).resolve())
        spec = spec.model_copy(update={"workload": entries, "tech": tech})
    from ..models.workloads import load_workload

    for i, w in enumerate(spec.workload):
        try:
            load_workload(w.source)
        except OSError as exc:  # e.g. a file name too long for the file system
            where = "workload" if len(spec.workload) == 1 else f"workload.{i}"
            name = w.source if len(w.source) <= 80 else w.source[:40] + "..." + w.source[-20:]
            why = exc.strerror
            raise ConfigError(f"{source}: {where}: {name!r} cannot be read: {why}") from None
        except ConfigError as exc:
            where = "workload" if len(spec.workload) == 1 else f"workload.{i}"
            text = str(exc)
            sep = " " if text.startswith("workload ") else ": "
            raise ConfigError(f"{source}: {where}{sep}{text.removeprefix('workload ')}") from None
    try:
        spec.build_space()
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    from .explorers import get_explorer

    try:
        get_explorer(spec.explorer.name).check_options(spec.explorer.options)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return spec


def load_spec(path: str | Path) -> CampaignSpec:
    """Read and validate a campaign spec YAML file."""
    from ..core.files import load_yaml

    p = Path(path)
    data = load_yaml(p, "campaign spec")
    return parse_spec(data, source=str(p), base_dir=p.parent)
