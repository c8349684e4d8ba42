"""geometry.kind file: a mesh written by `sim mesh` and re-exported through meshio (.msh, .vtu, .inp,
.med) gives the same conduction current as the gmsh geometry it came from; bad mesh files exit 2
with one line naming the file, line and key."""

import copy
import subprocess
import sys
from pathlib import Path

import meshio
import numpy as np
import pytest
import yaml

import sim

# its tests share module-scoped fixtures: one pytest-xdist worker computes them once
pytestmark = pytest.mark.xdist_group("test_geometry_file")
ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "configs" / "seed002_bilayer.yaml"
HEIGHT_M = 11.15e-6 + 600.0e-6  # the bilayer's spe + lagp thickness
SIM = [sys.executable, "-m", "sim.cli"]


def _config(tmp_path: Path, name: str, geometry: dict) -> Path:
    """seed002_bilayer.yaml with its geometry section replaced."""
    data = yaml.safe_load(BASE.read_text())
    data |= {"name": name, "geometry": geometry, "output": {"fields": False, "figures": False}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _merged(mesh: meshio.Mesh, scale: float) -> tuple[np.ndarray, dict, dict]:
    """Points (scaled), {cell type: connectivity}, {cell type: gmsh:physical} from a gmsh mesh."""
    cells, tags = {}, {}
    for block, phys in zip(mesh.cells, mesh.cell_data["gmsh:physical"], strict=True):
        cells.setdefault(block.type, []).append(block.data)
        tags.setdefault(block.type, []).append(phys)
    return (
        mesh.points * scale,
        {t: np.vstack(c) for t, c in cells.items()},
        {t: np.concatenate(v) for t, v in tags.items()},
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """`sim mesh` of the bilayer, re-exported through meshio into each format (and units)."""
    tmp = tmp_path_factory.mktemp("file_geometry")
    subprocess.run([*SIM, "mesh", str(BASE), "--out", str(tmp)], check=True, capture_output=True)
    source = meshio.read(tmp / "seed002_bilayer.msh")
    extent = float(np.ptp(source.points[:, 1]))
    to_m = HEIGHT_M / extent  # 1e-6 for a µm file, 1 for an SI one
    assert to_m == pytest.approx(1e-6, rel=1e-9) or to_m == pytest.approx(1.0, rel=1e-9)
    to_m = 1e-6 if to_m < 1e-3 else 1.0
    numbers = {name: int(v[0]) for name, v in source.field_data.items()}
    regions, boundaries = ["spe", "lagp"], ["anode", "cathode", "walls", "spe__lagp"]

    points, cells, tags = _merged(source, to_m / 1e-3)  # in mm
    msh = meshio.Mesh(
        points,
        list(cells.items()),
        cell_data={"gmsh:physical": list(tags.values()), "gmsh:geometrical": list(tags.values())},
        field_data={n: np.array([numbers[n], 2 if n in regions else 1]) for n in numbers},
    )
    meshio.write(tmp / "bilayer_mm.msh", msh, file_format="gmsh22", binary=False)

    points, cells, tags = _merged(source, to_m / 1e-6)  # in µm, numbered groups only
    meshio.write(
        tmp / "bilayer_um.vtu", meshio.Mesh(points, list(cells.items()), {}, {"region": list(tags.values())})
    )

    points, cells, tags = _merged(source, to_m)  # in m
    sets = {n: [np.flatnonzero(tags[t] == numbers[n]) for t in cells] for n in numbers}
    meshio.write(tmp / "bilayer.inp", meshio.Mesh(points, list(cells.items()), cell_sets=sets))

    families = {-(i + 1): [n] for i, n in enumerate(numbers)}  # one MED family per group
    family_of = {numbers[n]: f for f, (n,) in families.items()}
    med = meshio.Mesh(
        points,
        list(cells.items()),
        cell_data={"cell_tags": [np.vectorize(family_of.get)(tags[t]) for t in cells]},
    )
    med.cell_tags = families
    meshio.write(tmp / "bilayer.med", med)
    return {
        "dir": tmp,
        "msh": {"path": str(tmp / "bilayer_mm.msh"), "unit": "mm"},
        "vtu": {
            "path": str(tmp / "bilayer_um.vtu"),
            "unit": "um",
            "tag_array": "region",
            "regions": {n: numbers[n] for n in regions},
            "boundaries": {n: numbers[n] for n in boundaries},
        },
        "inp": {"path": str(tmp / "bilayer.inp")},
        "med": {"path": str(tmp / "bilayer.med")},
        "msh_text": msh,
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("gmsh_geometry")
    return sim.run(sim.load_config(BASE, output__fields=False, output__figures=False), out=out, quiet=True)


@pytest.mark.parametrize("fmt", ["msh", "vtu", "inp", "med"])
def test_file_geometry_gives_the_gmsh_current(tmp_path, exported, reference, fmt):
    config = _config(tmp_path, f"bilayer_{fmt}", {"kind": "file", **exported[fmt]})
    result = sim.run(sim.load_config(config), out=tmp_path / "run", quiet=True)
    assert result.summary["mesh"]["regions"] == reference.summary["mesh"]["regions"]
    assert result.summary["mesh"]["boundaries"] == reference.summary["mesh"]["boundaries"]
    for key in ("current_per_depth_A_m", "current_density_A_m2", "resistance_ohm", "electrode_distance_m"):
        assert result.metrics[key] == pytest.approx(reference.metrics[key], rel=1e-10), key
    assert set(result.bundle.boundaries) >= {"anode", "cathode", "walls", "spe__lagp"}


def _bad(tmp: Path, good: dict, kind: str) -> tuple[dict, str]:
    """A broken copy of the good .msh mesh (or a file that is not one) and the expected message."""
    mesh = copy.deepcopy(good["msh_text"])
    path = tmp / f"{kind.replace(' ', '_')}.msh"
    geometry = {"kind": "file", "path": str(path), "unit": "mm"}
    if kind == "missing file":
        return geometry, "mesh file not found"
    if kind == "unsupported format":
        path = path.with_suffix(".stl")
        path.write_text("solid nothing\nendsolid nothing\n")
        return geometry | {
            "path": str(path)
        }, "unsupported mesh format '.stl' (known: .msh, .vtu, .inp, .med)"
    if kind == "unreadable":
        path.write_text("$MeshFormat\nthis is not a mesh\n")
        return geometry, "cannot read"
    if kind == "no anode":
        anode = mesh.field_data.pop("anode")[0]
        keep = [tags != anode for tags in mesh.cell_data["gmsh:physical"]]
        mesh = meshio.Mesh(
            mesh.points,
            [(b.type, b.data[k]) for b, k in zip(mesh.cells, keep, strict=True)],
            cell_data={n: [a[k] for a, k in zip(v, keep, strict=True)] for n, v in mesh.cell_data.items()},
            field_data=mesh.field_data,
        )
        message = "no anode boundary"
    elif kind == "3D":
        points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float) * 0.01
        mesh = meshio.Mesh(points, [("tetra", np.array([[0, 1, 2, 3]]))])
        message = "the mesh is 3D (tetra cells)"
    elif kind == "only lines":
        mesh = meshio.Mesh(mesh.points, [(b.type, b.data) for b in mesh.cells if b.type == "line"])
        message = "no 2D cells (only line)"
    elif kind == "inverted":
        triangles = mesh.cells[1].data
        triangles[:3] = triangles[:3, ::-1]
        message = f"3 of {len(triangles)} triangles are inverted"
    elif kind == "unit":
        geometry["unit"] = "m"
        message = "is the file in µm or mm? set geometry.unit"
    meshio.write(path, mesh, file_format="gmsh22", binary=False)
    return geometry, message


BAD = ["missing file", "unsupported format", "unreadable", "no anode", "3D", "only lines", "inverted", "unit"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_mesh_file_exits_2_with_one_line(tmp_path, exported, kind):
    geometry, message = _bad(tmp_path, exported, kind)
    config = _config(tmp_path, "bad", geometry)
    command = "validate" if kind != "inverted" else "run"  # `sim run` refuses it the same way
    proc = subprocess.run([*SIM, command, str(config)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    key = "geometry" if kind == "no anode" else "geometry.path"  # an absent key: reported at its section
    assert lines[0].startswith(f"error: {config}:") and f": {key}: " in lines[0], lines[0]
    assert message in lines[0], lines[0]
    assert not (tmp_path / "results").exists()


def test_bad_mapping_is_a_config_error(tmp_path, exported):
    geometry = {**exported["vtu"], "kind": "file", "regions": {"spe": 1, "lagp": 99}}
    with pytest.raises(
        sim.ConfigError, match=r"geometry.regions: region 'lagp': the file has no 2D group 99"
    ):
        sim.load_config(_config(tmp_path, "bad_map", geometry))
    geometry = {**exported["vtu"], "kind": "file", "regions": {"spe": 1}}
    with pytest.raises(sim.ConfigError, match=r"triangles belong to none of the regions"):
        sim.load_config(_config(tmp_path, "bad_cover", geometry))


def test_npp_on_the_msh_of_sim_mesh_matches_the_gmsh_geometry(tmp_path):
    """The same bundle serves NPP: the seed 001 PEO/MOF film with its Li bump, from `sim mesh`'s .msh."""
    base = ROOT / "configs" / "peo_mof_100x20.yaml"
    subprocess.run([*SIM, "mesh", str(base), "--out", str(tmp_path)], check=True, capture_output=True)
    msh = tmp_path / "peo_mof_100x20.msh"
    unit = "um" if np.ptp(meshio.read(msh).points[:, 1]) > 1.0 else "m"
    data = yaml.safe_load(base.read_text())
    data |= {"name": "npp_file", "geometry": {"kind": "file", "path": str(msh), "unit": unit}}
    data["output"] = {"fields": False, "figures": False}
    config = tmp_path / "npp_file.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    off = {"output__fields": False, "output__figures": False}
    gmsh_run = sim.run(sim.load_config(base, **off), out=tmp_path / "gmsh", quiet=True)
    file_run = sim.run(sim.load_config(config), out=tmp_path / "file", quiet=True)
    for key in ("current_density_A_m2", "anode_li_flux_cv", "anode_li_flux_peak_to_mean", "potential_drop_V"):
        assert file_run.metrics[key] == pytest.approx(gmsh_run.metrics[key], rel=1e-10), key
