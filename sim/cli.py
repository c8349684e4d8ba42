"""The `sim` command: run, mesh, validate, info, schema.

Invalid configs end with exit code 2 and one line `error: FILE:LINE: key.path: message` on
stderr (rank 0 only), never a traceback. Works under `mpiexec -n N sim run ...`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sim.config import ConfigError, LoadedConfig, load_config
from sim.sweep.cli import sweep

EXIT_INVALID = 2


def _rank() -> int:
    from mpi4py import MPI

    return MPI.COMM_WORLD.rank


def _echo(message: str, err: bool = False) -> None:
    if _rank() == 0:
        click.echo(message, err=err)


def _load(config: str, overrides: tuple[str, ...]) -> LoadedConfig:
    try:
        return load_config(config, list(overrides))
    except ConfigError as exc:
        _echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INVALID)


_set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override a config value, e.g. --set physics.temperature=333.15 (repeatable; value parsed as YAML).",
)
_config_arg = click.argument("config", type=click.Path(dir_okay=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    help="Continue the run in this directory from its checkpoint (with its config.yaml).",
)
def run(
    config: str | None, out: str | None, overrides: tuple[str, ...], quiet: bool, resume: str | None
) -> None:
    """Run CONFIG and write summary.json, fields, figures and log.txt."""
    if resume is not None:
        if overrides or out or config:
            _echo(
                "error: --resume DIR continues DIR with its own config.yaml; give no CONFIG, --out or --set",
                err=True,
            )
            sys.exit(EXIT_INVALID)
        directory = Path(resume)
        loaded = _load(str(directory / "config.yaml"), ())
        summary = directory / "summary.json"
        loaded.name = json.loads(summary.read_text())["config_name"] if summary.exists() else directory.name
    elif config is None:
        _echo("error: give a CONFIG (or --resume DIR)", err=True)
        sys.exit(EXIT_INVALID)
    else:
        loaded = _load(config, overrides)
        directory = Path(out) if out else Path("results") / loaded.name
    from sim.api import run as run_config

    result = run_config(loaded, directory, quiet=quiet, check=False, resume=resume is not None)
    sys.exit(result.exit_code)


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
    a, b = _load(config_a, overrides), _load(config_b, overrides)
    if a.name == b.name:
        _echo(f"error: both configs are named '{a.name}'", err=True)
        sys.exit(EXIT_INVALID)
    from sim.compare import compare as run_compare

    directory = Path(out) if out else Path("results") / f"{a.name}_vs_{b.name}"
    code = run_compare(a, b, directory, quiet=quiet)
    _echo(f"comparison: {directory / 'comparison.json'}, figures in {directory / 'figures'}")
    sys.exit(code)


@main.command()
@_config_arg
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="meshes",
    show_default=True,
    help="Directory for <name>.msh and <name>.xdmf.",
)
@_set_option
def mesh(config: str, out: str, overrides: tuple[str, ...]) -> None:
    """Build CONFIG's geometry and write meshes/<name>.msh and .xdmf (with cell/facet tags)."""
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
        Path(out).write_text(text + "\n")
    else:
        _echo(text)


main.add_command(sweep)

if __name__ == "__main__":
    main()
