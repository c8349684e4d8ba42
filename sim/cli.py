"""The `sim` command: run, mesh, validate, info, schema.

Invalid configs end with exit code 2 and one line `error: FILE:LINE: key.path: message` on
stderr (rank 0 only), never a traceback. Works under `mpiexec -n N sim run ...`.
"""

from __future__ import annotations

# Interrupts first, before any heavy import (sim.interrupts): from here on Ctrl-C and SIGTERM end the
# process with exit 130 and one line (a run that has claimed its directory also writes summary.json
# with status `interrupted`), never a traceback or a silent exit 143.
from sim import interrupts

interrupts.install()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import click  # noqa: E402

from sim.sweep.cli import sweep  # noqa: E402

if TYPE_CHECKING:
    from sim.config import LoadedConfig

EXIT_INVALID, EXIT_INTERRUPTED = 2, 130


def _rank() -> int:
    from mpi4py import MPI

    return MPI.COMM_WORLD.rank


def _echo(message: str, err: bool = False) -> None:
    if _rank() == 0:
        click.echo(message, err=err)


def _load(config: str, overrides: tuple[str, ...]) -> LoadedConfig:
    from sim.config import ConfigError, load_config

    try:
        return load_config(config, list(overrides))
    except ConfigError as exc:
        _echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)


class _Main(click.Group):
    """The `sim` group: an interrupt anywhere in a command that was not handled there (e.g. while
    loading the config or importing DOLFINx) ends with exit 130 and one line."""

    def invoke(self, ctx: click.Context):
        try:
            interrupts.arm()
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted before the run started (nothing written)", err=True)
            sys.exit(EXIT_INTERRUPTED)


_set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override a config value, e.g. --set physics.temperature=333.15 (repeatable; value parsed as YAML).",
)
_config_arg = click.argument("config", type=click.Path(dir_okay=False))


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sim", prog_name="sim")
def main() -> None:
    """Finite-element multiphysics for solid-state Li-metal battery electrolytes."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Run directory (default: results/<config name>/).",
)
@_set_option
@click.option("--quiet", is_flag=True, help="Only write log.txt; print nothing but errors.")
@click.option(
    "--resume",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Continue the run in this directory from its checkpoint (with its config.yaml; --set may "
    "change solver.*, physics.time's step control and t_end, output.figures).",
)
def run(
    config: str | None, out: str | None, overrides: tuple[str, ...], quiet: bool, resume: str | None
) -> None:
    """Run CONFIG and write summary.json, fields, figures and log.txt."""
    with interrupts.deferred():  # a signal while loading or importing DOLFINx ends here, exit 130
        loaded, directory = _run_target(config, out, overrides, resume)
        from sim.api import run as run_config

    result = run_config(loaded, directory, quiet=quiet, check=False, resume=resume is not None)
    from sim.output import leave

    leave(result.exit_code)


def _run_target(
    config: str | None, out: str | None, overrides: tuple[str, ...], resume: str | None
) -> tuple[LoadedConfig, Path]:
    """The config and run directory of `sim run` (exit 2 for a wrong combination of arguments)."""
    if resume is not None:
        if out or config:
            _echo(
                "error: --resume DIR continues DIR with its own config.yaml; give no CONFIG or --out",
                err=True,
            )
            sys.exit(EXIT_INVALID)
        _check_resumable(overrides)
        directory = Path(resume)
        loaded = _load(str(directory / "config.yaml"), overrides)
        from sim.physics.model import not_resumable

        why = not_resumable(loaded.config)
        if why is not None:
            _echo(f"error: {directory / 'config.yaml'}: physics: cannot resume: {why}", err=True)
            sys.exit(EXIT_INVALID)
        loaded.name, before = _previous_run(directory)
        loaded.overrides = before + loaded.overrides
    elif config is None:
        _echo("error: give a CONFIG (or --resume DIR)", err=True)
        sys.exit(EXIT_INVALID)
    else:
        loaded = _load(config, overrides)
        directory = Path(out) if out else Path("results") / loaded.name
    return loaded, directory


def _check_resumable(overrides: tuple[str, ...]) -> None:
    """Exit 2 unless every `--set` of a resume changes a key in sim.config.RESUMABLE_KEYS."""
    from sim.config import ConfigError, resumable
    from sim.config.loader import parse_path

    for assignment in overrides:
        key = assignment.partition("=")[0].strip()
        try:
            ok = resumable(parse_path(key))
        except ConfigError as exc:
            _echo(f"error: --set {assignment}: {exc.message}", err=True)
            sys.exit(EXIT_INVALID)
        if not ok:
            _echo(
                f"error: --set {key}: a resume may change only solver.*, physics.time's step control "
                "and t_end, output.figures and output.figure_width_px (the rest changes what the "
                "checkpointed state means: start afresh with --out)",
                err=True,
            )
            sys.exit(EXIT_INVALID)


def _previous_run(directory: Path) -> tuple[str, list[str]]:
    """The config name and `--set` overrides of the run in `directory` from its summary; the
    directory's name and none if the summary is missing or unreadable (the resume writes a new one)."""
    try:
        summary = json.loads((directory / "summary.json").read_text())
        name, overrides = summary.get("config_name"), summary.get("overrides")
    except (OSError, ValueError, AttributeError):
        name, overrides = None, None
    if not (isinstance(overrides, list) and all(isinstance(o, str) for o in overrides)):
        overrides = []
    return (name if isinstance(name, str) and name else directory.name), overrides


@main.command()
@click.argument("config_a", type=click.Path(dir_okay=False))
@click.argument("config_b", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for both runs and the comparison (default: results/<A>_vs_<B>/).",
)
@_set_option
@click.option("--quiet", is_flag=True, help="Only write log.txt; print nothing but errors.")
def compare(config_a: str, config_b: str, out: str | None, overrides: tuple[str, ...], quiet: bool) -> None:
    """Run CONFIG_A and CONFIG_B (--set applies to both) and write side-by-side figures."""
    with interrupts.deferred():
        a, b = _load(config_a, overrides), _load(config_b, overrides)
        if a.name == b.name:
            _echo(f"error: both configs are named '{a.name}'", err=True)
            sys.exit(EXIT_INVALID)
        from sim.compare import compare as run_compare
        from sim.compare import fit_lines, impedance_mismatch

        mismatch = impedance_mismatch(a, b)
        if mismatch is not None:
            _echo(f"error: {mismatch}", err=True)
            sys.exit(EXIT_INVALID)

    directory = Path(out) if out else Path("results") / f"{a.name}_vs_{b.name}"
    code = run_compare(a, b, directory, quiet=quiet)
    if _rank() == 0 and (directory / "comparison.json").exists():
        fit = json.loads((directory / "comparison.json").read_text()).get("fit")
        for line in fit_lines(fit) if fit else []:
            _echo(line)
    _echo(f"comparison: {directory / 'comparison.json'}, figures in {directory / 'figures'}")
    from sim.output import leave

    leave(code)


@main.command()
@_config_arg
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="meshes",
    show_default=True,
    help="Directory for <name>.msh, <name>.vtu and <name>_boundaries.vtu.",
)
@_set_option
def mesh(config: str, out: str, overrides: tuple[str, ...]) -> None:
    """Build CONFIG's geometry and write meshes/<name>.msh (gmsh, named groups), <name>.vtu (cells,
    region_id) and <name>_boundaries.vtu (facets, boundary_id); coordinates in metres."""
    with interrupts.deferred():
        loaded = _load(config, overrides)
        from mpi4py import MPI

        from sim.geometry import GeometryError
        from sim.mesh import build_mesh, mesh_summary, write_mesh

    try:
        bundle = build_mesh(loaded.config.geometry, MPI.COMM_WORLD, keep_model=True)
    except GeometryError as exc:
        _echo(f"error: {config}: geometry: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    paths = write_mesh(bundle, Path(out), loaded.name)
    stats = mesh_summary(bundle)
    _echo(
        f"{loaded.name}: {stats['num_cells']} cells, {stats['num_vertices']} vertices; "
        f"regions {', '.join(bundle.regions)}; boundaries {', '.join(bundle.boundaries)}"
    )
    for path in paths:
        _echo(f"wrote {path}")


@main.command()
@_config_arg
@_set_option
def validate(config: str, overrides: tuple[str, ...]) -> None:
    """Check CONFIG without running it (exit 0 if valid, 2 with the first problem if not)."""
    with interrupts.deferred():
        loaded = _load(config, overrides)
        from sim.config import region_names

    cfg = loaded.config
    _echo(
        f"ok: {loaded.name} ({cfg.physics.kind} on {cfg.geometry.kind} geometry; regions "
        f"{', '.join(region_names(cfg.geometry))})"
    )


@main.command()
@click.option("--materials", is_flag=True, help="Also list the material library cards.")
def info(materials: bool) -> None:
    """Versions, MPI ranks and the PETSc solvers this installation has."""
    with interrupts.deferred():
        from mpi4py import MPI
        from petsc4py import PETSc

        from sim.output import versions

    for name, version in versions().items():
        _echo(f"{name:10s} {version}")
    _echo(f"{'mpi ranks':10s} {MPI.COMM_WORLD.size} ({MPI.Get_library_version().splitlines()[0]})")
    solvers = []
    for pc in ("gamg", "hypre", "ml", "asm", "bjacobi", "fieldsplit"):
        try:
            ksp = PETSc.PC().create(PETSc.COMM_SELF)
            ksp.setType(pc)
            solvers.append(pc)
            ksp.destroy()
        except PETSc.Error:
            pass
    _echo(f"{'pc types':10s} {', '.join(solvers)}")
    factor = [
        s
        for s in ("mumps", "superlu_dist", "superlu", "petsc")
        if PETSc.Sys.hasExternalPackage(s) or s == "petsc"
    ]
    _echo(f"{'lu solvers':10s} {', '.join(factor)}")
    if materials:
        from sim.config import material_library

        for name, card in material_library().items():
            _echo(f"  {name:20s} {card.description}")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to a file.")
def schema(out: str | None) -> None:
    """Print the JSON Schema of run configs (for editor completion/validation)."""
    from sim.config import schema as make_schema

    text = json.dumps(make_schema(), indent=2)
    if out:
        try:
            Path(out).write_text(text + "\n")
        except OSError as exc:
            _echo(f"error: {out}: cannot write: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_INVALID)
    else:
        _echo(text)


main.add_command(sweep)

if __name__ == "__main__":
    main()
