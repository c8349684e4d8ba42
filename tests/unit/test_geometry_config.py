"""Geometry config validation, the ellipse clearance test and the random packing (no gmsh/DOLFINx)."""

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.config.geometry import GeometryConfig, Packing, RandomPores
from sim.config.shapes import Ellipse
from sim.geometry.common import GeometryError
from sim.geometry.packing import pack_ellipses, place_pores

GEOMETRY = TypeAdapter(GeometryConfig)
UM = 1e-6


def circle(x, y, r):
    return {"shape": "circle", "center": [x * UM, y * UM], "radius": r * UM}


def ellipse(x, y, a, b, angle=0.0):
    return {"shape": "ellipse", "center": [x * UM, y * UM], "semi_axes": [a * UM, b * UM], "angle_deg": angle}


def layers(*names):
    return {"kind": "layers", "width": 10 * UM, "layers": [{"name": n, "thickness": 1 * UM} for n in names]}


INVALID = [
    (
        "overlapping ellipses",
        {"kind": "slab", "inclusions": [circle(20, 10, 4), ellipse(26, 10, 3, 1, 10)]},
        ("inclusions",),
        ["inclusions[1]", "overlaps", "inclusions[0]"],
    ),
    (
        "rotated ellipses overlapping at their tips",
        {"kind": "slab", "inclusions": [ellipse(20, 10, 6, 1, 45), ellipse(26, 14, 3, 0.5, 0)]},
        ("inclusions",),
        ["inclusions[1]", "overlaps"],
    ),
    (
        "ellipse inside another",
        {"kind": "slab", "inclusions": [ellipse(50, 10, 8, 5), circle(50, 10, 1)]},
        ("inclusions",),
        ["inclusions[1]", "inclusions[0]"],
    ),
    (
        "ellipse sticking out of the box",
        {"kind": "slab", "inclusions": [circle(20, 10, 2), ellipse(98, 10, 4, 1)]},
        ("inclusions",),
        ["inclusions[1]", "sticks out", "x = 100 µm"],
    ),
    (
        "ellipse touching the cathode",
        {"kind": "slab", "inclusions": [ellipse(20, 17, 4, 3)]},
        ("inclusions",),
        ["inclusions[0]", "cathode"],
    ),
    (
        "rotated ellipse crossing the anode",
        {"kind": "slab", "inclusions": [ellipse(20, 4, 6, 1, 60)]},
        ("inclusions",),
        ["inclusions[0]", "anode"],
    ),
    (
        "inclusion on the protrusion",
        {
            "kind": "slab",
            "inclusions": [circle(50, 4, 2)],
            "protrusion": {"center_x": 50 * UM, "width": 6 * UM, "height": 3 * UM},
        },
        ("protrusion",),
        ["protrusion", "inclusions[0]"],
    ),
    (
        "protrusion through the wall",
        {"kind": "slab", "protrusion": {"center_x": 1 * UM, "width": 6 * UM, "height": 3 * UM}},
        ("protrusion",),
        ["protrusion", "walls"],
    ),
    (
        "protrusion through the first layer",
        layers("mof", "pe") | {"protrusion": {"center_x": 5 * UM, "width": 2 * UM, "height": 1 * UM}},
        ("protrusion",),
        ["protrusion height (1 µm)", "first layer 'mof'", "y = 1 µm"],
    ),
    (
        "layer protrusion through the wall",
        layers("mof", "pe") | {"protrusion": {"center_x": 9.5 * UM, "width": 2 * UM, "height": 0.5 * UM}},
        ("protrusion",),
        ["protrusion", "walls", "x = 10 µm"],
    ),
    ("repeated layer names", layers("peo", "pe", "peo"), ("layers",), ["layers[2]", "'peo'", "layers[0]"]),
    ("layer named like a boundary", layers("anode", "pe"), ("layers", 0, "name"), ["anode"]),
    ("layer name with double underscore", layers("a__b"), ("layers", 0, "name"), ["a__b"]),
    (
        "min_size above size",
        {"kind": "slab", "mesh": {"size": 1 * UM, "min_size": 2 * UM}},
        ("mesh",),
        ["min_size", "size"],
    ),
    ("non-positive size", {"kind": "slab", "mesh": {"size": 0.0}}, ("mesh", "size"), ["greater than 0"]),
    (
        "negative min_size",
        {"kind": "dendrite", "mesh": {"min_size": -1e-7}},
        ("mesh", "min_size"),
        ["greater than 0"],
    ),
    (
        "filaments wider than the spacing",
        {"kind": "dendrite", "filaments": {"width": 3 * UM, "spacing": 2 * UM, "height": 3 * UM}},
        ("filaments",),
        ["filament width", "spacing"],
    ),
    (
        "filaments higher than the film",
        {"kind": "dendrite", "filaments": {"width": 1 * UM, "spacing": 4 * UM, "height": 8 * UM}},
        ("filaments",),
        ["filament height"],
    ),
    (
        "filament on a nucleus",
        {
            "kind": "dendrite",
            "nuclei": [{"center_x": 6 * UM, "radius": 1 * UM}],
            "filaments": {"width": 1 * UM, "spacing": 4 * UM, "height": 3 * UM},
        },
        ("filaments",),
        ["filament strip 1", "nuclei[0]"],
    ),
    (
        "overlapping nuclei",
        {
            "kind": "dendrite",
            "nuclei": [{"center_x": 6 * UM, "radius": 1 * UM}, {"center_x": 7 * UM, "radius": 1 * UM}],
        },
        ("nuclei",),
        ["nuclei[1]", "nuclei[0]"],
    ),
    (
        "nucleus through the wall",
        {"kind": "dendrite", "nuclei": [{"center_x": 19.5 * UM, "radius": 1 * UM}]},
        ("nuclei",),
        ["nuclei[0]", "wall"],
    ),
    (
        "overlapping particles",
        {
            "kind": "particles",
            "particles": [
                {"center": [10 * UM, 10 * UM], "semi_axes": [3 * UM, 1 * UM]},
                {"center": [12 * UM, 10.5 * UM], "semi_axes": [3 * UM, 1 * UM]},
            ],
        },
        ("particles",),
        ["particles[1]", "overlaps", "particles[0]"],
    ),
    (
        "pore on a particle",
        {
            "kind": "particles",
            "particles": [{"center": [10 * UM, 10 * UM], "semi_axes": [3 * UM, 1 * UM]}],
            "pores": [{"center": [13.5 * UM, 10 * UM], "radius": 1 * UM}],
        },
        ("pores",),
        ["pores[0]", "particles[0]"],
    ),
    (
        "particles and packing",
        {
            "kind": "particles",
            "particles": [{"center": [10 * UM, 10 * UM], "semi_axes": [3 * UM, 1 * UM]}],
            "packing": {"volume_fraction": 0.3, "semi_axes": [3 * UM, 1 * UM]},
        },
        (),
        ["either particles", "both"],
    ),
]


@pytest.mark.parametrize("data,loc,words", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_geometry_names_the_item(data, loc, words):
    with pytest.raises(ValidationError) as info:
        GEOMETRY.validate_python(data)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    # pydantic prefixes the discriminator tag; the rest is the key path inside `geometry`
    assert errors[0]["loc"] == (data["kind"], *loc), errors[0]["loc"]
    for word in words:
        assert word in errors[0]["msg"], errors[0]["msg"]


def test_mesh_defaults_filled_in_from_the_domain():
    slab = GEOMETRY.validate_python({"kind": "slab"})
    assert slab.mesh.size == pytest.approx(2 * UM)  # min(100, 20) µm / 10
    assert slab.mesh.min_size == pytest.approx(0.5 * UM)
    assert slab.mesh.refine_distance == pytest.approx(4 * UM)
    given = GEOMETRY.validate_python({"kind": "slab", "mesh": {"min_size": 5 * UM}})
    assert given.mesh.size == pytest.approx(5 * UM)  # never below a given min_size
    dendrite = GEOMETRY.validate_python({"kind": "dendrite"})
    assert dendrite.refine_height == pytest.approx(2.8 * UM)
    # the resolved config validates again to the same model
    again = GEOMETRY.validate_python(slab.model_dump())
    assert again == slab


def test_filament_strips_fit_the_width():
    cfg = GEOMETRY.validate_python(
        {
            "kind": "dendrite",
            "width": 20 * UM,
            "filaments": {"width": 1 * UM, "spacing": 4 * UM, "height": 3 * UM},
        }
    )
    strips = np.array(cfg.filaments.strips(cfg.width)) / UM
    assert strips == pytest.approx(
        np.array([[1.5, 2.5], [5.5, 6.5], [9.5, 10.5], [13.5, 14.5], [17.5, 18.5]])
    )


def test_clearance_is_a_lower_bound_and_detects_overlap():
    a = Ellipse(0.0, 0.0, 2.0, 1.0)
    for gap in (0.5, 0.1):
        b = Ellipse(2.0 + 1.0 + gap, 0.0, 1.0, 1.0)  # circle right of the tip: exact gap known
        value = a.clearance(b)
        assert value <= gap + 1e-12
        assert value > gap - 0.06  # within the sampling resolution (π (2 + 1) / 360 ≈ 0.026)
    assert a.clearance(Ellipse(2.9, 0.0, 1.0, 1.0)) < 0  # overlap
    assert a.clearance(Ellipse(0.1, 0.1, 0.3, 0.2)) < 0  # contained
    assert a.clearance(Ellipse(0.0, 0.0, 3.0, 3.0)) < 0  # containing
    assert 7.0 - 0.03 < a.clearance(Ellipse(10.0, 0.0, 1.0, 1.0)) <= 7.0  # far apart
    assert a.clearance(Ellipse(10.0, 0.0, 1.0, 1.0), need=1.0) == pytest.approx(7.0)  # early exit


def test_clearance_never_accepts_an_overlap_and_is_tight():
    rng = np.random.default_rng(1)
    grid = np.stack(np.meshgrid(np.linspace(-5, 5, 201), np.linspace(-5, 5, 201)), axis=-1)
    overlapping = separate = 0
    for _ in range(150):
        e = Ellipse(0.0, 0.0, *rng.uniform(0.5, 2.0, 2), rng.uniform(0, np.pi))
        f = Ellipse(*rng.uniform(-3, 3, 2), *rng.uniform(0.2, 2.0, 2), rng.uniform(0, np.pi))
        value = e.clearance(f)
        if ((e.radius(grid) < 1) & (f.radius(grid) < 1)).any():  # they share a grid point
            overlapping += 1
            assert value <= 0 and f.clearance(e) <= 0
        elif value > 0:
            separate += 1
            reference = e.distance(f.boundary(4000)).min()  # ≥ the gap, by < 2e-3
            assert reference - 0.03 < value <= reference + 1e-9
    assert overlapping > 20 and separate > 20


def packing(**kw):
    return Packing(**({"volume_fraction": 0.3, "semi_axes": (3 * UM, 1.5 * UM), "seed": 7} | kw))


def test_packing_deterministic_and_reaches_the_fraction():
    width, height = 40 * UM, 20 * UM
    first = pack_ellipses(packing(), width, height)
    assert first == pack_ellipses(packing(), width, height)
    assert first != pack_ellipses(packing(seed=8), width, height)
    fraction = sum(e.area for e in first) / (width * height)
    assert fraction == pytest.approx(0.3, rel=0.02)
    gap = packing().min_gap
    for i, e in enumerate(first):
        assert min(e.box_clearance(width, height).values()) > gap
        for f in first[:i]:
            assert e.clearance(f, need=gap) > gap


def test_packing_with_size_range_and_fixed_angle():
    width, height = 40 * UM, 20 * UM
    cfg = packing(volume_fraction=0.25, semi_axes_max=(4 * UM, 2 * UM), angle_deg=30.0)
    placed = pack_ellipses(cfg, width, height)
    assert sum(e.area for e in placed) / (width * height) == pytest.approx(0.25, rel=0.02)
    assert {round(e.angle, 12) for e in placed} == {round(math.radians(30), 12)}
    assert len({round(e.a, 12) for e in placed}) > 1


def test_packing_that_cannot_reach_the_fraction_says_so():
    with pytest.raises(GeometryError, match=r"cannot reach volume_fraction 0\.7"):
        pack_ellipses(packing(volume_fraction=0.7, max_attempts=200), 40 * UM, 20 * UM)


def test_packing_particles_too_large_for_the_box():
    with pytest.raises(ValidationError, match="do not fit"):
        GEOMETRY.validate_python(
            {
                "kind": "particles",
                "height": 5 * UM,
                "packing": {"volume_fraction": 0.2, "semi_axes": [3 * UM, 2 * UM]},
            }
        )


def test_random_pores_avoid_particles():
    width, height = 40 * UM, 20 * UM
    particles = pack_ellipses(packing(), width, height)
    pores = RandomPores(count=4, radius=1 * UM, seed=3)
    placed = place_pores(pores, particles, width, height)
    assert placed == place_pores(pores, particles, width, height)
    assert len(placed) == 4
    for i, p in enumerate(placed):
        assert min(p.box_clearance(width, height).values()) > pores.min_gap
        for q in particles + placed[:i]:
            assert p.clearance(q, need=pores.min_gap) > pores.min_gap
