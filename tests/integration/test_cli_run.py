"""The `sim` CLI end to end: run-directory contract, 2-rank figures, exit codes, mesh/info/schema
(1 vs 2 ranks for every shipped config: test_configs.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SLAB = ROOT / "configs" / "examples" / "conduction_peo_mof_slab.yaml"
SUMMARY_KEYS = {
    "status",
    "config_name",
    "config_sha256",
    "physics",
    "versions",
    "mpi_ranks",
    "wall_time_s",
    "num_dofs",
    "num_steps",
    "newton_iterations",
    "metrics",
}


def test_run_directory_contract(tmp_path, sim):
    out = tmp_path / "seed002"
    sim("run", "configs/seed002_bilayer.yaml", "--out", str(out), "--quiet")
    summary = json.loads((out / "summary.json").read_text())
    assert summary.keys() >= SUMMARY_KEYS
    assert list(summary)[-1] == "status" and summary["status"] == "ok"
    assert summary["config_name"] == "seed002_bilayer" and summary["physics"] == "conduction"
    assert {"sim", "dolfinx", "petsc"} <= summary["versions"].keys()
    assert all(isinstance(v, float) for v in summary["metrics"].values())
    resolved = (out / "config.yaml").read_text()
    assert "electrode_area: 5.608e-05" in resolved and "preset: direct" in resolved  # defaults filled
    for name in ("potential_V", "current_density_A_m2", "conductivity_S_m"):
        assert (out / "fields" / f"{name}.pvd").exists() and (
            out / "fields" / name / f"{name}_000000.vtu"
        ).exists()
    assert not list((out / "fields").glob("*.bp"))  # VTX only on request (output.formats)
    for name in ("regions.png", "potential_V.png", "current_density_A_m2.png"):
        assert (out / "figures" / name).stat().st_size > 10_000
    assert "ok:" in (out / "log.txt").read_text()
    assert not list(out.rglob(".*.tmp*"))


@pytest.mark.mpi
def test_two_rank_figures_and_fields(tmp_path, sim):
    out = tmp_path / "mpi"
    sim(
        "run",
        "configs/seed002_bilayer.yaml",
        "--out",
        str(out),
        "--quiet",
        "--set",
        "output.formats=[vtk, vtx]",
        ranks=2,
    )
    assert (out / "figures" / "potential_V.png").stat().st_size > 10_000
    assert (out / "fields" / "potential_V.bp" / "md.idx").exists()
    import meshio

    # the ranks' pieces are merged into one grid: one point per vertex (P1), one cell per cell
    grid = meshio.read(out / "fields" / "potential_V" / "potential_V_000000.vtu")
    summary = json.loads((out / "summary.json").read_text())
    assert len(grid.points) == summary["mesh"]["num_vertices"]
    assert len(grid.cells[0].data) == summary["mesh"]["num_cells"]


def test_solver_failure_exit_3(tmp_path, sim):
    out = tmp_path / "fail"
    result = sim(
        "run",
        str(SLAB),
        "--out",
        str(out),
        "--quiet",
        "--set",
        "solver.preset=iterative",
        "--set",
        "solver.krylov.max_iterations=1",
        check=False,
    )
    assert result.returncode == 3, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "did not converge" in summary["message"]


def test_mesh_command_writes_msh_and_vtu(tmp_path, sim):
    result = sim("mesh", "configs/seed002_bilayer.yaml", "--out", str(tmp_path))
    for name in ("seed002_bilayer.msh", "seed002_bilayer.vtu", "seed002_bilayer_boundaries.vtu"):
        assert (tmp_path / name).exists(), name
    assert "regions spe, lagp" in result.stdout


def test_info_and_schema(sim):
    info = sim("info", "--materials").stdout
    assert "dolfinx" in info and "mumps" in info and "peo_litfsi" in info
    schema = json.loads(sim("schema").stdout)
    assert {"geometry", "materials", "physics"} <= set(schema["properties"])


def test_validate_shipped_configs():
    """`sim validate` of every shipped config, in this process (click's runner: a subprocess per
    config cost 100 s of the suite; test_cli_works_from_any_directory runs the installed script)."""
    from click.testing import CliRunner

    from sim.cli import main

    runner = CliRunner()
    for config in sorted((ROOT / "configs").rglob("*.yaml")):
        if "sweeps" in config.parts:
            continue
        result = runner.invoke(main, ["validate", str(config)])
        assert result.exit_code == 0, (config, result.output)
        assert result.output.startswith("ok: "), (config, result.output)


def test_cli_works_from_any_directory(tmp_path):
    env = os.environ | {"PYTHONPATH": ""}
    result = subprocess.run(
        [str(BIN / "sim"), "validate", str(SLAB)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_order_two_mesh_writes_figures_and_fields(tmp_path, sim):
    """Curved (order-2) cells: maps are drawn through the corner nodes, field files keep the 6-node cells."""
    out = tmp_path / "order2"
    sim("run", str(SLAB), "--out", str(out), "--quiet", "--set", "geometry.mesh.order=2")
    for name in ("regions.png", "potential_V.png", "current_density_A_m2.png"):
        assert (out / "figures" / name).stat().st_size > 10_000, name
    import meshio

    cells = meshio.read(out / "fields" / "conductivity_S_m" / "conductivity_S_m_000000.vtu").cells[0]
    assert cells.type == "triangle6"
