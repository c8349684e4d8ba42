"""Python API for notebooks and scripts: load a config, run it, keep the result as an object, and
read a finished run back.

    import sim
    config = sim.load_config("configs/peo_100x20.yaml", physics__temperature=333.15)
    result = sim.run(config, out="results/peo_333K")        # the run loop `sim run` uses
    result.metrics["current_density_A_m2"]                  # SI scalars, as in summary.json
    grid = result.to_pyvista()                              # pyvista mesh, coordinates in m
    saved = sim.open_results("results/peo_333K")            # summary, config, profiles, fields

Overrides are keyword arguments whose key path is spelled with `__` for the dots of `--set`
(`physics__temperature=333.15` is `--set physics.temperature=333.15`; list items by index,
`geometry__layers__0__thickness=5e-6`); values are Python objects. Errors are the CLI's, as
exceptions: an invalid config raises `ConfigError` ("file:line: key.path: message"), a run that
ends with a non-zero exit code raises `RunFailed` (its message is the summary's; `check=False`
returns the result instead, as `sim run` does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.config import ConfigError, LoadedConfig
from sim.config import load_config as _load_config

if TYPE_CHECKING:
    from sim.runner import RunOutcome

__all__ = [
    "ConfigError",
    "FieldSeries",
    "Result",
    "RunFailed",
    "SavedRun",
    "load_config",
    "open_results",
    "run",
]


class RunFailed(RuntimeError):
    """A run that ended with a non-zero exit code (2 invalid geometry, 3 solver failed, 130
    interrupted, 1 internal error); `.result` holds what it produced."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.exit_code = result.exit_code
        super().__init__(result.summary.get("message") or f"run ended with status {result.status}")


def load_config(path: str | Path, **overrides: Any) -> LoadedConfig:
    """Read and validate a config file with overrides (`physics__temperature=333.15`, see the module
    docstring); raises ConfigError with file:line: key.path."""
    assignments = [
        f"{key.replace('__', '.')}={json.dumps(value, default=str)}" for key, value in overrides.items()
    ]
    return _load_config(path, assignments)


def _profiles(summary: dict) -> dict[str, Any]:
    """summary["profiles"] as pandas DataFrames (one per profile) if pandas is installed, else dicts
    of columns."""
    profiles = summary.get("profiles") or {}
    try:
        import pandas as pd
    except ImportError:
        return profiles
    return {name: pd.DataFrame(columns) for name, columns in profiles.items()}


class _RunData:
    """What a run directory's summary says (shared by live and read-back results)."""

    out: Path
    summary: dict[str, Any]

    @property
    def status(self) -> str:
        """ "ok", "failed" or "interrupted"."""
        return self.summary["status"]

    @property
    def metrics(self) -> dict[str, float]:
        """Named SI scalars (summary.json's `metrics`)."""
        return dict(self.summary.get("metrics", {}))

    @property
    def profiles(self) -> dict[str, Any]:
        """Line profiles of the run (e.g. NPP's `central_axis`, `anode_flux`): DataFrames or dicts."""
        return _profiles(self.summary)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.summary.get('config_name')} {self.status} in {self.out}>"


class Result(_RunData):
    """A run made in this process: the summary plus the DOLFINx objects of its final state."""

    def __init__(self, outcome: RunOutcome) -> None:
        self.exit_code: int = outcome.exit_code
        self.out: Path = outcome.out
        self.summary: dict[str, Any] = outcome.summary
        self.functions: dict[str, Any] = outcome.functions
        """name → DOLFINx Function of the final state (the fields the model wrote, SI values)"""
        self.bundle = outcome.bundle
        """sim.mesh.MeshBundle: the mesh (in µm, `bundle.length_scale` m per unit) and named tags"""

    def to_pyvista(self, names: list[str] | None = None):
        """The final state as a pyvista UnstructuredGrid in metres (this rank's cells): Lagrange
        fields as point data (interpolated to P1), cell-wise constant ones as cell data, and the
        cell data `region_id` with the id → name map in field data `region_names`/`region_ids`.
        `names`: fields to include (default: all on the run's mesh; fields on a sub-mesh, e.g. the
        particle concentration of a composite cathode, are given by name on their own)."""
        from sim.pyvista_grid import functions_to_pyvista

        if self.bundle is None:
            raise ValueError(f"the run made no mesh ({self.summary.get('message', self.status)})")
        if names is None:
            names = [n for n, f in self.functions.items() if f.function_space.mesh is self.bundle.mesh]
        unknown = [n for n in names if n not in self.functions]
        if unknown:
            raise KeyError(f"no field {', '.join(unknown)}; fields: {', '.join(self.functions)}")
        return functions_to_pyvista({n: self.functions[n] for n in names}, self.bundle)


class FieldSeries:
    """One field file of a run directory (`fields/<name>.pvd`): its time steps as pyvista meshes."""

    def __init__(self, path: Path) -> None:
        import pyvista as pv

        self.path = path
        self.name = path.stem
        self._reader = pv.get_reader(str(path))
        self.times: list[float] = [float(t) for t in self._reader.time_values]
        """time of each step, s"""

    def __len__(self) -> int:
        return len(self.times)

    def __getitem__(self, step: int):
        """The mesh of time step `step` (negative counts from the end) with its named arrays."""
        return self.at(self.times[step])

    def at(self, t: float):
        """The mesh of the time step at time `t` (s), its pieces merged into one UnstructuredGrid."""
        self._reader.set_active_time_value(t)
        blocks = self._reader.read()  # a MultiBlock of the step's datasets (a .pvtu is read as one)
        return blocks[0] if blocks.n_blocks == 1 else blocks.combine()

    def __repr__(self) -> str:
        return f"<FieldSeries {self.name}: {len(self)} time step(s)>"


class SavedRun(_RunData):
    """A finished run directory read back: summary, resolved config, profiles and field files."""

    def __init__(self, out: Path) -> None:
        self.out = out
        summary = out / "summary.json"
        if not summary.is_file():
            raise FileNotFoundError(f"{out} has no summary.json (not a finished run directory)")
        self.summary = json.loads(summary.read_text())
        config = out / "config.yaml"
        self.config: dict[str, Any] = yaml.safe_load(config.read_text()) if config.is_file() else {}
        """the resolved config the run used (defaults filled in)"""
        self.fields: dict[str, FieldSeries] = {
            p.stem: FieldSeries(p) for p in sorted((out / "fields").glob("*.pvd"))
        }
        """field name → FieldSeries (fields/<name>.pvd)"""


def run(
    config: LoadedConfig | str | Path,
    out: str | Path | None = None,
    *,
    quiet: bool = False,
    check: bool = True,
    resume: bool = False,
    comm=None,
) -> Result:
    """Run a config (a LoadedConfig or a config file) into `out` (default: results/<name>/) with
    the run loop of `sim run`; collective under MPI. `check`: raise RunFailed on a non-zero exit
    code. `resume`: continue the run in `out` from its checkpoint."""
    from mpi4py import MPI

    from sim.runner import execute

    loaded = config if isinstance(config, LoadedConfig) else load_config(config)
    directory = Path(out) if out is not None else Path("results") / loaded.name
    outcome = execute(loaded, directory, comm or MPI.COMM_WORLD, quiet=quiet, resume=resume)
    result = Result(outcome)
    if check and result.exit_code != 0:
        raise RunFailed(result)
    return result


def open_results(run_dir: str | Path) -> SavedRun:
    """Read a finished run directory back (summary, config, profiles, fields as pyvista meshes)."""
    return SavedRun(Path(run_dir))
