"""Meshed geometries against analytic areas and lengths; named groups; curved-boundary convergence.

Areas are assembled from the DOLFINx mesh (∫1 dx(tag), summed over ranks, scaled by the length
scale²). Regions bounded by straight edges must match to 1e-6; regions with curved boundaries
(ellipses, discs, half-discs) match the CAD area (gmsh OCC) to 1e-6, and their meshed area
converges to it at order 2h (P1 geometry) / h⁴ (P2 geometry).
"""

import math

from sim._dolfinx import dolfinx  # noqa: F401  (before any other dolfinx import)

import pytest
import ufl
from dolfinx import fem
from mpi4py import MPI
from pydantic import TypeAdapter

from sim.config import region_names
from sim.config.geometry import GeometryConfig
from sim.mesh import boundary_facets, build_mesh, mesh_summary, region_cells

# its tests share module-scoped fixtures: one pytest-xdist worker computes them once
pytestmark = pytest.mark.xdist_group("test_geometry_areas")
UM = 1e-6
GEOMETRY = TypeAdapter(GeometryConfig)

CASES = {
    "slab": {
        "kind": "slab",
        "width": 40 * UM,
        "height": 10 * UM,
        "inclusions": [
            {"shape": "circle", "center": [10 * UM, 5 * UM], "radius": 2 * UM},
            {
                "shape": "ellipse",
                "center": [22 * UM, 5 * UM],
                "semi_axes": [3 * UM, 1.5 * UM],
                "angle_deg": 30,
            },
        ],
        "protrusion": {"center_x": 32 * UM, "width": 4 * UM, "height": 2 * UM},
        "mesh": {"size": 2 * UM, "min_size": 1 * UM},
    },
    "layers": {
        "kind": "layers",
        "width": 10 * UM,
        "layers": [
            {"name": "mof", "thickness": 1.5 * UM},
            {"name": "pe", "thickness": 3.1 * UM},
            {"name": "llzo", "thickness": 1 * UM},
        ],
        "protrusion": {"center_x": 4 * UM, "width": 2 * UM, "height": 1 * UM},  # cut out of `mof`
        "mesh": {"size": 2 * UM, "min_size": 0.5 * UM},
    },
    "particles": {
        "kind": "particles",
        "width": 20 * UM,
        "height": 10 * UM,
        "packing": {"volume_fraction": 0.25, "semi_axes": [2 * UM, 1 * UM], "seed": 2},
        "pores": {"count": 2, "radius": 0.6 * UM, "seed": 1},
        "mesh": {"size": 2 * UM, "min_size": 1 * UM},
    },
    "dendrite": {
        "kind": "dendrite",
        "width": 12 * UM,
        "height": 5 * UM,
        "nuclei": [{"center_x": 4 * UM, "radius": 1 * UM}],
        "filaments": {
            "width": 1 * UM,
            "spacing": 4 * UM,
            "height": 3 * UM,
            "offset": 8 * UM,
            "gap": 0.5 * UM,
        },
        "refine_height": 2 * UM,
        "mesh": {"size": 1 * UM, "min_size": 0.5 * UM},
    },
}
CURVED = {
    "slab": {"electrolyte", "filler"},
    "particles": {"binder", "particle"},
    "dendrite": {"electrolyte", "nucleus"},
    "layers": {"mof"},
}
BOUNDARIES = {
    "slab": {"anode", "cathode", "walls", "filler_surface"},
    "layers": {"anode", "cathode", "walls", "mof__pe", "pe__llzo"},
    "particles": {"anode", "cathode", "walls", "particle_surface", "pore_surface"},
    "dendrite": {"anode", "cathode", "walls", "nucleus_surface", "filament_surface"},
}


def region_area(bundle, name):
    dx = ufl.Measure("dx", bundle.mesh, subdomain_data=bundle.cell_tags)
    local = fem.assemble_scalar(fem.form(1.0 * dx(bundle.regions[name])))
    return bundle.mesh.comm.allreduce(local, op=MPI.SUM) * bundle.length_scale**2


def boundary_length(bundle, name):
    """Length (m) of a facet group, whether it lies on the outer boundary or inside."""
    mesh, tag = bundle.mesh, bundle.boundaries[name]
    ds = ufl.Measure("ds", mesh, subdomain_data=bundle.facet_tags)
    dS = ufl.Measure("dS", mesh, subdomain_data=bundle.facet_tags)
    one = fem.Constant(mesh, 1.0)
    local = fem.assemble_scalar(fem.form(one * ds(tag) + ufl.avg(one) * dS(tag)))
    return mesh.comm.allreduce(local, op=MPI.SUM) * bundle.length_scale


@pytest.fixture(scope="module", params=list(CASES))
def built(request):
    cfg = GEOMETRY.validate_python(CASES[request.param])
    return request.param, cfg, build_mesh(cfg, MPI.COMM_WORLD)


def test_named_groups_exist_and_are_not_empty(built):
    kind, cfg, bundle = built
    assert list(bundle.regions) == region_names(cfg)
    assert set(bundle.boundaries) == BOUNDARIES[kind]
    summary = mesh_summary(bundle)
    assert all(count > 0 for count in summary["regions"].values()), summary
    assert all(count > 0 for count in summary["boundaries"].values()), summary
    assert sum(summary["regions"].values()) == summary["num_cells"]  # every cell in one region
    assert region_cells(bundle, region_names(cfg)[0]).size > 0
    with pytest.raises(ValueError, match="unknown region 'nope'; known: "):
        region_cells(bundle, "nope")
    with pytest.raises(ValueError, match="unknown boundary 'nope'; known: anode, cathode, walls"):
        boundary_facets(bundle, "nope")


def test_region_areas_match_analytic(built):
    kind, _, bundle = built
    expected = bundle.expected_areas
    assert set(expected) == set(bundle.regions)
    total = sum(expected.values())
    for name in bundle.regions:
        area = region_area(bundle, name)
        assert bundle.cad_areas[name] == pytest.approx(expected[name], rel=1e-6), name
        if name in CURVED[kind]:
            # polygonal boundary: inscribed, error ≈ (2π/curve_segments)²/6 relative to each shape
            assert area == pytest.approx(expected[name], rel=1e-3), name
        else:
            assert area == pytest.approx(expected[name], rel=1e-6), name
    assert sum(region_area(bundle, n) for n in bundle.regions) == pytest.approx(total, rel=1e-3)


def ellipse_perimeter(a, b):
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))  # Ramanujan II


def test_boundary_lengths(built):
    kind, cfg, bundle = built
    length = {name: boundary_length(bundle, name) for name in bundle.boundaries}
    height = cfg.height
    assert length["walls"] == pytest.approx(2 * height, rel=1e-9)
    assert length["cathode"] == pytest.approx(cfg.width, rel=1e-9)
    if kind in ("slab", "layers"):
        bump = cfg.protrusion
        expected = cfg.width - bump.width + ellipse_perimeter(bump.width / 2, bump.height) / 2
        assert length["anode"] == pytest.approx(expected, rel=1e-3)
    if kind == "slab":
        perimeter = sum(ellipse_perimeter(inc.ellipse().a, inc.ellipse().b) for inc in cfg.inclusions)
        assert length["filler_surface"] == pytest.approx(perimeter, rel=1e-3)
    elif kind == "layers":
        assert length["mof__pe"] == pytest.approx(cfg.width, rel=1e-9)
        assert length["pe__llzo"] == pytest.approx(cfg.width, rel=1e-9)
    elif kind == "particles":
        assert length["anode"] == pytest.approx(cfg.width, rel=1e-9)
        assert length["pore_surface"] == pytest.approx(2 * 2 * math.pi * 0.6 * UM, rel=1e-3)
    elif kind == "dendrite":
        assert length["anode"] == pytest.approx(cfg.width, rel=1e-9)
        assert length["nucleus_surface"] == pytest.approx(math.pi * 1 * UM, rel=1e-3)
        strips = cfg.filaments.strips(cfg.width)
        fil = cfg.filaments
        assert length["filament_surface"] == pytest.approx(
            len(strips) * (2 * (fil.height - fil.gap) + 2 * fil.width), rel=1e-9
        )


CURVED_CASES = {
    # a rotated filler ellipse in a slab: the meshed filler area against π a b
    "slab filler": (
        {
            "kind": "slab",
            "width": 12 * UM,
            "height": 6 * UM,
            "inclusions": [
                {
                    "shape": "ellipse",
                    "center": [6 * UM, 3 * UM],
                    "semi_axes": [3 * UM, 1.5 * UM],
                    "angle_deg": 20,
                }
            ],
        },
        "filler",
        math.pi * 3 * 1.5 * UM**2,
        math.pi * 3 * 1.5 * UM**2,
    ),
    # a Li bump cut out of the first layer: the layer area w t − π a b / 2, error relative to the bump
    "layer bump": (
        {
            "kind": "layers",
            "width": 12 * UM,
            "layers": [{"name": "mof", "thickness": 3 * UM}, {"name": "pe", "thickness": 3 * UM}],
            "protrusion": {"center_x": 6 * UM, "width": 6 * UM, "height": 1.5 * UM},
        },
        "mof",
        (12 * 3 - math.pi * 3 * 1.5 / 2) * UM**2,
        math.pi * 3 * 1.5 / 2 * UM**2,
    ),
}


def curved_area_error(case, h, order):
    data, region, exact, scale = CURVED_CASES[case]
    # curve_segments at its minimum: the element size on the curve is min_size = h
    mesh = {"size": 2 * UM, "min_size": h, "refine_distance": 1 * UM, "curve_segments": 8, "order": order}
    bundle = build_mesh(GEOMETRY.validate_python(data | {"mesh": mesh}), MPI.COMM_WORLD)
    if bundle.mesh.comm.rank == 0:
        assert bundle.cad_areas[region] == pytest.approx(exact, rel=1e-6)
    return abs(region_area(bundle, region) - exact) / scale


@pytest.mark.parametrize("case", list(CURVED_CASES))
@pytest.mark.parametrize("order,rate", [(1, 2), (2, 4)])
def test_curved_area_converges(case, order, rate):
    coarse, fine = curved_area_error(case, 0.4 * UM, order), curved_area_error(case, 0.2 * UM, order)
    observed = math.log2(coarse / fine)
    assert observed == pytest.approx(rate, abs=0.25), (coarse, fine)


def test_default_curve_resolution_within_1e_3():
    cfg = GEOMETRY.validate_python(
        {
            "kind": "particles",
            "width": 12 * UM,
            "height": 6 * UM,
            "particles": [
                {"center": [4 * UM, 3 * UM], "semi_axes": [2.5 * UM, 1.2 * UM], "angle_deg": 10},
                {"center": [9 * UM, 3 * UM], "semi_axes": [1.5 * UM, 1.5 * UM]},
            ],
            "pores": [{"center": [6.5 * UM, 5 * UM], "radius": 0.5 * UM}],
        }
    )
    bundle = build_mesh(cfg, MPI.COMM_WORLD)
    exact = math.pi * (2.5 * 1.2 + 1.5 * 1.5) * UM**2
    assert region_area(bundle, "particle") == pytest.approx(exact, rel=1e-3)
