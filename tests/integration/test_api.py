"""The Python API: overrides, results as objects (metrics = summary.json, the final state as DOLFINx
functions and as a pyvista mesh in metres), errors as exceptions, run directories read back."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim

# its tests share module-scoped fixtures: one pytest-xdist worker computes them once
pytestmark = pytest.mark.xdist_group("test_api")
ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_layers.yaml"  # layers a (5 µm) and b (5 µm), 10 µm wide


def test_import_sim_is_light():
    heavy = "('dolfinx', 'mpi4py', 'pyvista', 'gmsh')"
    code = f"import sim, sys; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_sim_run_is_the_api_even_after_importing_the_run_loop_module(tmp_path):
    """The run loop lives in sim.runner, so importing it never shadows the API's `sim.run`."""
    code = (
        "import sim.runner, sim; from sim.runner import execute; "
        f"r = sim.run(sim.load_config({str(TINY)!r}), out={str(tmp_path / 'r')!r}, quiet=True); "
        "print(r.status, r.exit_code, type(r).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-3:] == ["ok", "0", "Result"]


def test_overrides_are_key_paths_with_double_underscores():
    loaded = sim.load_config(TINY, physics__temperature=310.0, geometry__layers__0__thickness=4.0e-6)
    assert loaded.config.physics.temperature == 310.0
    assert loaded.config.geometry.layers[0].thickness == 4.0e-6
    assert loaded.overrides == ["physics.temperature=310.0", "geometry.layers.0.thickness=4e-06"]
    with pytest.raises(sim.ConfigError, match=r"--set: physics\.temperatur: unknown key"):
        sim.load_config(TINY, physics__temperatur=310.0)
    with pytest.raises(
        sim.ConfigError,
        match=r"tiny_layers\.yaml:--set: physics\.temperature: Input should be greater than or equal to 100",
    ):
        sim.load_config(TINY, physics__temperature=-1.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "tiny"
    return sim.run(sim.load_config(TINY, physics__element_degree=2), out=out, quiet=True)


def test_result_carries_the_summary_and_the_final_state(tiny):
    written = json.loads((tiny.out / "summary.json").read_text())
    assert tiny.exit_code == 0 and tiny.status == "ok"
    assert tiny.metrics == written["metrics"]  # exactly: the same floats
    assert tiny.summary == written
    assert set(tiny.functions) == {"potential_V", "current_density_A_m2", "conductivity_S_m"}
    phi = tiny.functions["potential_V"]
    assert phi.function_space.element.basix_element.degree == 2
    assert phi.x.array.min() == pytest.approx(0.0, abs=1e-12) and phi.x.array.max() == pytest.approx(0.01)
    assert tiny.profiles == {}  # conduction writes none


def test_to_pyvista_is_in_metres_with_named_arrays(tiny):
    grid = tiny.to_pyvista()
    xmin, xmax, ymin, ymax, _, _ = grid.bounds
    assert (xmax - xmin, ymax - ymin) == (pytest.approx(10e-6, rel=1e-12), pytest.approx(10e-6, rel=1e-12))
    assert grid.integrate_data()["Area"][0] == pytest.approx(1e-10, rel=1e-12)
    assert {"potential_V", "current_density_A_m2"} <= set(grid.point_data)  # DG1 current: DG1 layout
    assert {"conductivity_S_m", "region_id"} <= set(grid.cell_data)
    assert grid.n_points == 3 * grid.n_cells
    assert grid["current_density_A_m2"].shape == (grid.n_points, 3)
    regions = dict(zip(grid.field_data["region_names"], grid.field_data["region_ids"], strict=True))
    assert set(np.unique(grid["region_id"])) == set(regions.values()) == set(tiny.bundle.regions.values())
    sigma_b = grid["conductivity_S_m"][grid["region_id"] == regions["b"]]
    assert np.all(sigma_b == 1.0e-3)
    # uniform current through the stack: j_y = current density of the metrics everywhere
    j_y = grid["current_density_A_m2"][:, 1]
    assert j_y.mean() == pytest.approx(-tiny.metrics["current_density_A_m2"], rel=1e-6)
    assert tiny.to_pyvista(["potential_V"]).n_points < grid.n_points  # continuous alone: shared points
    with pytest.raises(KeyError, match="no field nope"):
        tiny.to_pyvista(["nope"])


def test_failed_run_raises_with_the_summary_message(tmp_path):
    loaded = sim.load_config(
        TINY, solver__preset="iterative", solver__petsc_options={"ksp_max_it": 1, "ksp_rtol": 1e-14}
    )
    with pytest.raises(sim.RunFailed, match="linear solver did not converge") as info:
        sim.run(loaded, out=tmp_path / "a", quiet=True)
    assert info.value.exit_code == 3 and info.value.result.status == "failed"
    result = sim.run(loaded, out=tmp_path / "b", quiet=True, check=False)
    assert result.exit_code == 3
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["message"] == result.summary["message"]


def test_open_results_reads_summary_config_profiles_and_pvd_fields(tmp_path, tiny, monkeypatch):
    from sim._dolfinx import dolfinx

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    summary = dict(tiny.summary, profiles={"central_axis": {"y_m": [0.0, 1e-6], "potential_V": [0.0, 0.5]}})
    (run_dir / "summary.json").write_text(json.dumps(summary))
    (run_dir / "config.yaml").write_text((tiny.out / "config.yaml").read_text())
    # a field file as the field writer lays it out: fields/<name>.pvd, SI coordinates, region_id
    mesh = tiny.bundle.mesh
    fem = dolfinx.fem
    V = fem.functionspace(mesh, ("Lagrange", 1))
    Q = fem.functionspace(mesh, ("DG", 0))
    phi, region = fem.Function(V, name="potential_V"), fem.Function(Q, name="region_id")
    region.x.array[tiny.bundle.cell_tags.indices] = tiny.bundle.cell_tags.values
    (run_dir / "fields").mkdir()
    with dolfinx.io.VTKFile(mesh.comm, run_dir / "fields" / "potential_V.pvd", "w") as vtk:
        for t in (0.0, 0.5, 1.0):
            phi.interpolate(lambda x, t=t: t * x[1])
            vtk.write_function([phi, region], t)
    saved = sim.open_results(run_dir)
    assert saved.metrics == tiny.metrics and saved.status == "ok"
    assert saved.config["physics"]["element_degree"] == 2
    series = saved.fields["potential_V"]
    assert series.times == [0.0, 0.5, 1.0] and len(series) == 3
    last = series[-1]
    assert {"potential_V", "region_id"} <= set(last.array_names)
    assert last["potential_V"].max() == pytest.approx(mesh.geometry.x[:, 1].max())
    assert series.at(0.5)["potential_V"].max() == pytest.approx(0.5 * mesh.geometry.x[:, 1].max())
    profile = saved.profiles["central_axis"]
    assert list(profile.columns) == ["y_m", "potential_V"] and profile["potential_V"].iloc[1] == 0.5
    monkeypatch.setitem(sys.modules, "pandas", None)  # without pandas: plain dicts
    assert saved.profiles["central_axis"] == {"y_m": [0.0, 1e-6], "potential_V": [0.0, 0.5]}
    with pytest.raises(FileNotFoundError, match=r"no summary\.json"):
        sim.open_results(tmp_path)


def test_cli_run_is_the_api_run(tmp_path):
    """`sim run` goes through sim.api.run: same metrics, same exit code contract."""
    out = tmp_path / "cli"
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(TINY), "--out", str(out), "--quiet"], capture_output=True
    )
    assert proc.returncode == 0
    api = sim.run(sim.load_config(TINY), out=tmp_path / "api", quiet=True)
    cli = json.loads((out / "summary.json").read_text())["metrics"]
    assert cli == pytest.approx(api.metrics, rel=1e-12)
