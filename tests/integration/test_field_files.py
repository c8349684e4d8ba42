"""The field and mesh files open in the tools researchers use: Debian's ParaView 5.11 (pvpython),
pyvista and meshio read every field file of an NPP, a transient phase-field and a composite-cathode
run (coarse meshes, short times) and the mesh files of `sim mesh`: named arrays with SI units,
coordinates in metres (areas equal the domain's in m²), the region array, the time steps, and values
equal to the summary's min/max."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml
from paraview_install import pvpython, unavailable

from sim.figures import UNIT_SUFFIXES

# its tests share module-scoped fixtures: one pytest-xdist worker computes them once
pytestmark = pytest.mark.xdist_group("test_field_files")
ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("paraview_probe.py")
RUNS = {  # name: (config, reduced settings)
    "npp": ("peo_mof_100x20.yaml", ["geometry.mesh.size=8.0e-6", "geometry.mesh.min_size=1.0e-6"]),
    "phasefield": (
        "dendrite_peo.yaml",
        [
            "geometry.width=8.0e-6",
            "geometry.nuclei=[{center_x: 4.0e-6, radius: 1.6e-6}]",
            "physics.time.t_end=0.05",
        ],
    ),
    "cathode": (
        "pl_lfp_cathode.yaml",
        ["geometry.mesh.size=4.0e-6", "geometry.mesh.min_size=1.0e-6", "physics.time.t_end=2.0"],
    ),
}
DIMENSIONLESS = {"phase_field_xi"}
AREA_RTOL = 1e-9  # the bound; measured ≤ 2e-15


def _sim(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, timeout=900, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The three runs (figures on: they are looked at in test_figures.py too)."""
    root = tmp_path_factory.mktemp("field_runs")
    for name, (config, sets) in RUNS.items():
        _sim(
            "run",
            f"configs/{config}",
            "--out",
            str(root / name),
            "--quiet",
            *[a for s in sets for a in ("--set", s)],
        )
    return {name: root / name for name in RUNS}


@pytest.fixture(scope="module")
def mesh_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("meshes")
    _sim("mesh", "configs/seed002_bilayer.yaml", "--out", str(out))
    return out


def _field_files(run: Path) -> list[Path]:
    files = sorted((run / "fields").glob("*.pvd"))
    assert files, run
    return files


def _expected(run: Path) -> dict:
    """What the files must show, from summary.json and config.yaml alone."""
    summary = json.loads((run / "summary.json").read_text())
    config = yaml.safe_load((run / "config.yaml").read_text())
    time = config["physics"].get("time")
    if time is None:  # steady: one state
        times = 1
    else:  # t = 0, every output_every-th step and the last step (sim.timestep.integrate)
        n, every = summary["num_steps"], time["output_every"]
        times = 1 + n // every + (1 if n % every else 0)
    return {
        "summary": summary,
        "times": times,
        "t_end": time["t_end"] if time else None,
        "width": config["geometry"]["width"],
        "areas": {summary["regions"][r]["id"]: summary["regions"][r]["area_m2"] for r in summary["regions"]},
    }


def _check_range(name: str, lo: float, hi: float, metrics: dict) -> int:
    """The file's value range against the summary's min/max of the same field; returns the checks made."""
    made = 0
    for key, value in ((f"min_{name}", lo), (f"max_{name}", hi)):
        if key in metrics and name != "hydrostatic_stress_Pa":
            assert value == pytest.approx(metrics[key], rel=1e-12, abs=1e-300), (key, value, metrics[key])
            made += 1
    if name == "hydrostatic_stress_Pa":  # the summary has max |σ_h|
        assert max(abs(lo), abs(hi)) == pytest.approx(metrics["max_hydrostatic_stress_Pa"], rel=1e-12)
        made += 1
    return made


def _has_si_unit(name: str) -> bool:
    return name in DIMENSIONLESS or any(name.endswith("_" + suffix) for suffix in UNIT_SUFFIXES)


def _region_area(ids: tuple[float, float], areas: dict[int, float]) -> float:
    return sum(area for tag, area in areas.items() if ids[0] <= tag <= ids[1])


@pytest.mark.timeout(1800)
def test_paraview_opens_every_field_file(runs, mesh_dir):
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    files = [f for run in runs.values() for f in _field_files(run)]
    meshes = [mesh_dir / "seed002_bilayer.vtu", mesh_dir / "seed002_bilayer_boundaries.vtu"]
    result = subprocess.run(
        [pvpython(), str(PROBE), *map(str, files + meshes)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    range_checks = 0
    for run in runs.values():
        expected = _expected(run)
        for path in _field_files(run):
            field = path.stem
            info = shown[str(path)]
            assert info["reader"] == "PVDReader", path
            arrays = info["arrays"]
            assert field in arrays and arrays[field]["association"] in ("point", "cell"), (path, arrays)
            data = [a for a, v in arrays.items() if v["association"] != "field" and a != "region_id"]
            assert data == [field] and _has_si_unit(field), arrays
            assert arrays["region_id"]["association"] == "cell"
            assert arrays["length_unit_m"]["range"] == [1.0, 1.0]
            for region, entry in expected["summary"]["regions"].items():
                assert arrays[f"region_id_{region}"]["range"] == [entry["id"]] * 2
            assert len(info["times"]) == expected["times"], (path, info["times"])
            if expected["t_end"] is not None:
                assert info["times"][-1] == pytest.approx(expected["t_end"], rel=1e-9)
            ids = tuple(arrays["region_id"]["range"])
            assert info["area"] == pytest.approx(_region_area(ids, expected["areas"]), rel=AREA_RTOL), path
            extent = info["bounds"][1] - info["bounds"][0]  # metres, not µm
            if ids == (min(expected["areas"]), max(expected["areas"])):  # the whole domain
                assert extent == pytest.approx(expected["width"], rel=1e-9), path
            else:  # a sub-domain (the cathode's binder or particles)
                assert 0.5 * expected["width"] < extent <= expected["width"] * (1 + 1e-12), path
            lo, hi = arrays[field]["range"]
            range_checks += _check_range(field, lo, hi, expected["summary"]["metrics"])
    assert range_checks == 8  # NPP Li⁺ and anion min/max, cathode Li⁺ min/max, max σ_h and σ_vM
    cells, facets = (shown[str(m)] for m in meshes)
    assert cells["reader"] == facets["reader"] == "XMLUnstructuredGridReader"
    assert cells["arrays"]["region_id"]["association"] == "cell"
    assert facets["arrays"]["boundary_id"]["association"] == "cell"
    spe, lagp = 100e-6 * 11.15e-6, 100e-6 * 600e-6  # the bilayer's layers (configs/seed002_bilayer.yaml)
    assert cells["area"] == pytest.approx(spe + lagp, rel=AREA_RTOL)
    # the tagged facets: anode, cathode, the spe|lagp interface (100 µm each) and the two side walls
    assert facets["length"] == pytest.approx(3 * 100e-6 + 2 * (11.15e-6 + 600e-6), rel=AREA_RTOL)


def test_pyvista_reads_field_files(runs):
    import pyvista as pv

    pv.OFF_SCREEN = True
    for run in runs.values():
        expected = _expected(run)
        for path in _field_files(run):
            reader = pv.get_reader(str(path))
            assert len(reader.time_values) == expected["times"], path
            reader.set_active_time_value(reader.time_values[-1])
            grid = reader.read()[0]
            assert path.stem in grid.array_names and "region_id" in grid.cell_data
            assert float(grid.field_data["length_unit_m"][0]) == 1.0
            ids = np.unique(grid.cell_data["region_id"])
            area = grid.compute_cell_sizes(length=False, volume=False)["Area"].sum()
            assert area == pytest.approx(
                _region_area((ids.min(), ids.max()), expected["areas"]), rel=AREA_RTOL
            )


def _pieces(pvd: Path) -> list[Path]:
    return [pvd.parent / d.get("file") for d in ET.parse(pvd).getroot().iter("DataSet")]


def _triangle_areas(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Areas of straight-sided triangles from their three corner nodes (the first three, VTK order)."""
    a, b, c = (points[cells[:, i], :2] for i in range(3))
    return 0.5 * np.abs((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])


def test_meshio_reads_field_files(runs):
    import meshio

    for run in runs.values():
        expected = _expected(run)
        for path in _field_files(run):
            pieces = _pieces(path)
            assert len(pieces) == expected["times"], path
            mesh = meshio.read(pieces[-1])
            assert path.stem in mesh.point_data or path.stem in mesh.cell_data
            region = mesh.cell_data["region_id"][0]
            assert float(mesh.field_data["length_unit_m"].ravel()[0]) == 1.0
            for tag, area in expected["areas"].items():
                if tag in region:
                    got = _triangle_areas(mesh.points, mesh.cells[0].data)[region == tag].sum()
                    assert got == pytest.approx(area, rel=AREA_RTOL), (path, tag)


def test_mesh_files_in_metres_read_by_pyvista_and_meshio(mesh_dir):
    import meshio
    import pyvista as pv

    pv.OFF_SCREEN = True
    layers = {"spe": 100e-6 * 11.15e-6, "lagp": 100e-6 * 600e-6}
    msh = meshio.read(mesh_dir / "seed002_bilayer.msh")
    assert msh.points[:, 1].max() == pytest.approx(611.15e-6, rel=1e-12)  # metres, not µm
    ids = {name: int(tag) for name, (tag, dim) in msh.field_data.items() if dim == 2}
    assert ids.keys() == layers.keys()
    for path in (mesh_dir / "seed002_bilayer.vtu", mesh_dir / "seed002_bilayer.msh"):
        grid = pv.read(path)
        tags = grid.cell_data["region_id" if path.suffix == ".vtu" else "gmsh:physical"]
        sizes = grid.compute_cell_sizes(length=False, volume=False)["Area"]
        for name, area in layers.items():
            assert sizes[tags == ids[name]].sum() == pytest.approx(area, rel=AREA_RTOL), (path, name)
    vtu = meshio.read(mesh_dir / "seed002_bilayer.vtu")
    assert {
        k.removeprefix("region_id_"): int(v.ravel()[0])
        for k, v in vtu.field_data.items()
        if k.startswith("region_id_")
    } == ids
    boundaries = meshio.read(mesh_dir / "seed002_bilayer_boundaries.vtu")
    assert boundaries.cells[0].type == "line" and "boundary_id" in boundaries.cell_data


def _region_areas(mesh, key: str) -> dict[int, float]:
    """Area per tag of the triangle blocks of a meshio mesh (cell data `key`)."""
    areas: dict[int, float] = {}
    for block, tags in zip(mesh.cells, mesh.cell_data[key], strict=True):
        if block.type == "triangle":
            for tag, area in zip(tags, _triangle_areas(mesh.points, block.data), strict=True):
                areas[int(tag)] = areas.get(int(tag), 0.0) + area
    return areas


def test_meshio_round_trips_the_sim_mesh_msh(mesh_dir, tmp_path):
    import meshio

    msh = meshio.read(mesh_dir / "seed002_bilayer.msh")
    before = _region_areas(msh, "gmsh:physical")
    meshio.write(tmp_path / "round.vtu", msh)
    after = _region_areas(meshio.read(tmp_path / "round.vtu"), "gmsh:physical")
    ours = _region_areas(meshio.read(mesh_dir / "seed002_bilayer.vtu"), "region_id")
    assert after == before  # written and read back exactly
    layers = {"spe": 100e-6 * 11.15e-6, "lagp": 100e-6 * 600e-6}
    for name, (tag, _) in ((n, msh.field_data[n]) for n in layers):
        assert after[tag] == pytest.approx(layers[name], rel=AREA_RTOL)
        assert ours[tag] == pytest.approx(after[tag], rel=1e-12)
