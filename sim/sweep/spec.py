"""Sweep files: a base config plus parameters (by `--set` key path) combined as a grid or zipped.

    base: ../seed002_bilayer.yaml        # relative to the sweep file
    set: {geometry.mesh.size: 5.0e-6}    # fixed overrides for every point (optional)
    grid:                                # Cartesian product of these axes
      physics.temperature: {start: 273.15, stop: 333.15, num: 4}
      geometry.layers[0].thickness: [5.0e-6, 10.0e-6]
    zip:                                 # varied together, as one more grid axis
      physics.cathode_potential: [0.01, 0.02]
      solver.preset: [direct, iterative]

Each point is a fully resolved run config (validated with `sim.config.load_config`) with a stable
id `<readable prefix>-<8 hex of the parameters' hash>` naming its run directory.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from sim.config import LoadedConfig, load_config
from sim.config.base import Strict
from sim.config.loader import ConfigError, Path_, format_path, load_yaml, locate, parse_path, read_text

SLURM_TIME = re.compile(r"^(\d+-\d{1,2}(:\d{1,2}){0,2}|\d+(:\d{1,2}){0,2}|UNLIMITED|INFINITE)$")
MEMORY = re.compile(r"^\d+[KMGT]?$")
CLI_NAMES = {"ntasks": "ranks"}
"""option → command-line flag where they differ (for error messages)"""


class Range(Strict):
    """`num` values from `start` to `stop` (both included), evenly or logarithmically spaced."""

    start: float
    stop: float
    num: int = Field(gt=0)
    """number of values"""
    log: bool = False
    """space the values evenly in log10 (start and stop must be positive)"""

    @model_validator(mode="after")
    def _check_log(self) -> Range:
        if self.log and (self.start <= 0 or self.stop <= 0):
            raise ValueError("a log range needs positive start and stop")
        return self

    def values(self) -> list[float]:
        space = np.geomspace if self.log else np.linspace
        return [float(f"{v:.12g}") for v in space(self.start, self.stop, self.num)]


def _kind(value: Any) -> str:
    return "range" if isinstance(value, (dict, Range)) else "list"


Values = Annotated[Annotated[list[Any], Tag("list")] | Annotated[Range, Tag("range")], Discriminator(_kind)]
"""a list of values, or a range {start, stop, num, log}"""


class LocalOptions(Strict):
    """Defaults of the local (process pool) backend; `--jobs` and `--ranks` override them."""

    jobs: int | None = Field(default=None, gt=0)
    """points run at the same time (default: CPU cores // ranks)"""
    ranks: int = Field(default=1, gt=0)
    """MPI ranks per point (run with the `mpiexec` next to this Python)"""


class SlurmOptions(Strict):
    """One job array, one array task per point; every task asks for these resources."""

    partition: str | None = None
    time: str | None = None
    """time limit per point, SLURM format: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS"""
    nodes: int = Field(default=1, gt=0)
    ntasks: int = Field(default=1, gt=0)
    """MPI ranks per point"""
    cpus_per_task: int = Field(default=1, gt=0)
    mem: str | None = None
    """memory per node, e.g. 4G or 2000M"""
    account: str | None = None
    job_name: str | None = None
    """default: sweep-<sweep name>"""
    max_parallel: int | None = Field(default=None, gt=0)
    """at most this many array tasks at once (`--array=...%N`)"""
    sbatch: list[str] = []
    """extra #SBATCH options, e.g. ["--qos=short", "--constraint=skylake"]"""
    setup: list[str] = []
    """shell lines run before the point, e.g. ["module load python", "source ~/venvs/sim/bin/activate"]"""
    launcher: Literal["srun", "mpiexec"] = "srun"
    """how each task starts its MPI ranks"""
    mpi: str | None = "pmi2"
    """srun --mpi plugin (pmi2 suits MPICH builds; null: the cluster's MpiDefault)"""
    command: str | None = None
    """command that runs `sim` on the compute nodes (default: this Python with -m sim.cli)"""

    @field_validator("time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and not SLURM_TIME.match(value):
            raise ValueError(f"'{value}' is not a SLURM time (MM, HH:MM:SS, D-HH:MM:SS, ...)")
        return value

    @field_validator("mem")
    @classmethod
    def _mem(cls, value: str | None) -> str | None:
        if value is not None and not MEMORY.match(value):
            raise ValueError(f"'{value}' is not a SLURM memory size (e.g. 4G, 2000M)")
        return value

    @field_validator("sbatch")
    @classmethod
    def _sbatch(cls, lines: list[str]) -> list[str]:
        lines = [line.strip().removeprefix("#SBATCH").strip() for line in lines]
        for line in lines:
            if not line.startswith("-") or "\n" in line:
                raise ValueError(f"an #SBATCH option must start with '-', got '{line}'")
        return lines


class SweepSpec(Strict):
    """The sweep file."""

    name: str | None = None
    """sweep name (default: the sweep file name); the default output is results/<name>/"""
    description: str = ""
    base: str
    """base run config, relative to the sweep file"""
    set: dict[str, Any] = {}
    """fixed overrides for every point: key path → value"""
    grid: dict[str, Values] = {}
    """key path → values; all combinations"""
    zip: dict[str, Values] = {}
    """key path → values of equal length, varied together (one more grid axis)"""
    local: LocalOptions = LocalOptions()
    slurm: SlurmOptions = SlurmOptions()


@dataclass
class Point:
    """One resolved point of a sweep."""

    index: int
    id: str
    parameters: dict[str, Any]
    """swept key path → value"""
    loaded: LoadedConfig


@dataclass
class Sweep:
    """A validated sweep file and its points."""

    spec: SweepSpec
    file: Path
    name: str
    base: Path
    points: list[Point]
    text: str
    """the sweep file's text (copied into the sweep directory)"""

    @property
    def swept(self) -> list[str]:
        return [*self.spec.grid, *self.spec.zip]


def point_id(parameters: dict[str, Any]) -> str:
    """Stable short id: a readable prefix from the values and 8 hex digits of their hash."""
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:8]
    parts: list[str] = []
    for key, value in parameters.items():
        names = [p for p in parse_path(key) if isinstance(p, str)]
        name = names[-2] if names[-1] == "value" and len(names) > 1 else names[-1]  # card.t.value → t
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        part = re.sub(r"\W+", "", name)[:12] + "=" + re.sub(r"[^\w.+-]+", "", text)[:12]
        if part not in parts:  # zipped keys with the same name and value appear once
            parts.append(part)
    prefix = "_".join(parts)[:48].rstrip("_")
    return f"{prefix}-{digest}" if prefix else digest


def _values(values: Values) -> list[Any]:
    return values.values() if isinstance(values, Range) else list(values)


def combinations(spec: SweepSpec) -> list[dict[str, Any]]:
    """The parameter dict of every point: the product of the grid axes and the zip group."""
    axes = [[{key: v} for v in _values(values)] for key, values in spec.grid.items()]
    if spec.zip:
        columns = [_values(v) for v in spec.zip.values()]
        axes.append([dict(zip(spec.zip, row, strict=False)) for row in zip(*columns, strict=False)])
    return [{k: v for part in combo for k, v in part.items()} for combo in itertools.product(*axes)]


def _check(spec: SweepSpec, data: dict, lines: dict, file: str) -> None:
    """Checks pydantic cannot do alone: empty values, zip lengths, keys swept twice."""
    seen: dict[Path_, str] = {}
    for section in ("set", "grid", "zip"):
        for key, values in getattr(spec, section).items():
            where = lines.get((section, key))
            try:
                path = parse_path(key)
            except ConfigError as exc:
                raise ConfigError(exc.message, file, where, f"{section}.{key}") from None
            if path in seen:
                raise ConfigError(f"key path also given in '{seen[path]}'", file, where, f"{section}.{key}")
            seen[path] = section
            if section != "set" and not _values(values):
                raise ConfigError(
                    "no values (give a non-empty list or a range)", file, where, f"{section}.{key}"
                )
    lengths = {key: len(_values(v)) for key, v in spec.zip.items()}
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        bad = next(k for k in lengths if lengths[k] != lengths[first])
        raise ConfigError(
            f"zipped value lists differ in length: {first} has {lengths[first]}, {bad} has {lengths[bad]}",
            file,
            lines.get(("zip", bad)),
            f"zip.{bad}",
        )
    if not spec.grid and not spec.zip:
        raise ConfigError("nothing to sweep: give 'grid' and/or 'zip' parameters", file, 1)


def _resolve(
    sweep_file: str, lines: dict, spec: SweepSpec, base: Path, parameters: dict[str, Any], name: str
) -> LoadedConfig:
    """Load one point's config; errors caused by a sweep key are reported at the sweep file's line."""
    values = spec.set | parameters
    overrides = [f"{k}={json.dumps(v)}" for k, v in values.items()]  # JSON is YAML: types survive
    try:
        return load_config(base, [*overrides, f"name={json.dumps(name)}"])
    except ConfigError as exc:
        if "--set" not in (exc.file, exc.line) or exc.key is None:
            point = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
            raise ConfigError(
                f"{exc.message} (base config {base}, sweep point {point})", exc.file, exc.line, exc.key
            ) from None
        target = parse_path(exc.key)
        key = max(values, key=lambda k: _shared_prefix(parse_path(k), target))
        section = next(s for s in ("set", "grid", "zip") if key in getattr(spec, s))
        message = exc.message if parse_path(key) == target else f"{exc.key}: {exc.message}"
        raise ConfigError(
            f"{message} (value {values[key]!r}, base config {base})",
            sweep_file,
            lines.get((section, key)),
            f"{section}.{key}",
        ) from None


def _shared_prefix(a: tuple[str | int, ...], b: tuple[str | int, ...]) -> int:
    """How many leading key-path parts a and b have in common."""
    return sum(1 for _ in itertools.takewhile(lambda pair: pair[0] == pair[1], zip(a, b, strict=False)))


def load_sweep(
    file: str | Path, slurm: dict[str, Any] | None = None, local: dict[str, Any] | None = None
) -> Sweep:
    """Read and validate a sweep file and every point's config; raises ConfigError (file:line:key).

    `slurm`/`local` are options from the command line: they replace the file's, except lists
    (extra #SBATCH and setup lines), which are appended; they are validated like the file's."""
    file = Path(file)
    text = read_text(file)
    data, lines = load_yaml(text, str(file))
    if not isinstance(data, dict):
        raise ConfigError("a sweep file must be a mapping (base, grid, zip, ...)", str(file), 1)
    for section, extra in (("slurm", slurm), ("local", local)):
        if extra:
            merged = dict(data.get(section) or {})
            for key, value in extra.items():  # lists (sbatch, setup) add to the file's
                merged[key] = [*(merged.get(key) or []), *value] if isinstance(value, list) else value
                lines[(section, key)] = "--" + CLI_NAMES.get(key, key).replace("_", "-")
            data[section] = merged
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(part for part in err["loc"] if part not in ("list", "range"))  # union tags
        path, line = locate(loc, data, lines)
        message = {"extra_forbidden": "unknown key", "missing": "required key is missing"}.get(
            err["type"], err["msg"].removeprefix("Value error, ")
        )
        if line is not None and str(line).startswith("--"):
            file_, line = "command line", line
        else:
            file_ = str(file)
        raise ConfigError(message, file_, line, format_path(path)) from None
    _check(spec, data, lines, str(file))
    base = file.parent / spec.base
    if not base.is_file():
        raise ConfigError(f"base config {base} not found", str(file), lines.get(("base",)), "base")
    name = spec.name or file.stem
    points = []
    seen: dict[str, int] = {}
    for index, parameters in enumerate(combinations(spec)):
        pid = point_id(parameters)
        if pid in seen:
            raise ConfigError(
                f"points {seen[pid]} and {index} have the same parameters {parameters}",
                str(file),
                None,
                "grid" if spec.grid else "zip",
            )
        seen[pid] = index
        loaded = _resolve(str(file), lines, spec, base, parameters, f"{name}-{pid}")
        points.append(Point(index, pid, parameters, loaded))
    return Sweep(spec, file, name, base, points, text)


def point_config_text(point: Point) -> str:
    """The resolved config of a point as YAML (what `sim run` is given)."""
    header = f"# sweep point {point.id}: " + ", ".join(f"{k}={v!r}" for k, v in point.parameters.items())
    return header + "\n" + point.loaded.resolved_yaml
