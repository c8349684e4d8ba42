"""sim.geometry.file on hand-made meshes: groups from each source, and each mapping problem."""

import re

import meshio
import numpy as np
import pytest

from sim.mesh_file import MeshFileError, map_groups, read_mesh_file

# a 2 µm × 1 µm rectangle of four counter-clockwise triangles: left half region 1, right half region 2
POINTS = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]], dtype=float)
TRIANGLES = np.array([[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4]])
LINES = np.array([[0, 1], [1, 2], [3, 4], [4, 5], [1, 4]])  # bottom ×2, top ×2, the interface
REGION = np.array([1, 1, 2, 2])
BOUNDARY = np.array([101, 101, 102, 102, 103])


def _write(tmp_path, name="m.vtu", lines=LINES, boundary=BOUNDARY, **kwargs):
    mesh = meshio.Mesh(
        POINTS, [("triangle", TRIANGLES), ("line", lines)], cell_data={"tag": [REGION, boundary]}, **kwargs
    )
    path = tmp_path / name
    meshio.write(path, mesh)
    return path


def test_numbered_groups_and_unit(tmp_path):
    m = read_mesh_file(_write(tmp_path), "um", "tag")
    assert np.ptp(m.points[:, 0]) == pytest.approx(2e-6)
    assert set(m.groups) == {1, 2, 101, 102, 103}
    assert m.groups[1][2].tolist() == [0, 1] and m.groups[103][1].tolist() == [4]
    regions = map_groups(m, {"left": 1, "right": 2}, 2)
    assert regions == {"left": 1, "right": 2}
    assert map_groups(m, {"anode": 101, "cathode": 102, "left__right": 103}, 1)["left__right"] == 103


def test_element_sets_are_named_groups(tmp_path):
    sets = {"left": [np.array([0, 1]), np.array([], int)], "bottom": [np.array([], int), np.array([0, 1])]}
    path = tmp_path / "m.inp"
    meshio.write(path, meshio.Mesh(POINTS, [("triangle", TRIANGLES), ("line", LINES)], cell_sets=sets))
    m = read_mesh_file(path, "mm")
    assert m.named(2) == ["left"] and m.named(1) == ["bottom"]
    assert m.groups["bottom"][1].tolist() == [0, 1]


@pytest.mark.parametrize(
    "mapping,dim,message",
    [
        ({"left": 1}, 2, "2 of 4 triangles belong to none of the regions"),
        ({"a": 1, "b": 1, "c": 2}, 2, "2 triangles belong to more than one region"),
        (
            {"left": 101, "right": 2},
            2,
            "region 'left': the file has no 2D group 101 (it is a group of the other",
        ),
        ({"anode": 101}, 1, "no cathode boundary"),
        ({"anode": 7, "cathode": 102}, 1, "boundary 'anode': the file has no line group 7"),
    ],
)
def test_mapping_problems(tmp_path, mapping, dim, message):
    m = read_mesh_file(_write(tmp_path), "um", "tag")
    with pytest.raises(MeshFileError, match=re.escape(message)):
        map_groups(m, mapping, dim)


def test_boundary_lines_must_be_triangle_edges(tmp_path):
    lines = np.vstack([LINES, [[0, 5]]])  # a diagonal across the domain: no triangle has it
    m = read_mesh_file(_write(tmp_path, lines=lines, boundary=np.append(BOUNDARY, 104)), "um", "tag")
    with pytest.raises(MeshFileError, match="boundary 'stray': 1 of its lines are not edges"):
        map_groups(m, {"anode": 101, "cathode": 102, "stray": 104}, 1)


def test_missing_tag_array_and_second_order_cells(tmp_path):
    with pytest.raises(MeshFileError, match="no cell-data array 'nope'"):
        read_mesh_file(_write(tmp_path), "um", "nope")
    six = np.array([[0, 1, 4, 6, 7, 8]])
    points = np.vstack([POINTS, [[0.5, 0], [1, 0.5], [0.5, 0.5]]])
    path = tmp_path / "p2.vtu"
    meshio.write(path, meshio.Mesh(points, [("triangle6", six)]))
    with pytest.raises(MeshFileError, match="triangle6 cells are not supported"):
        read_mesh_file(path, "um")
    flat = tmp_path / "flat.vtu"  # z varies: not a 2D mesh
    meshio.write(flat, meshio.Mesh(np.column_stack([POINTS, POINTS[:, 0]]), [("triangle", TRIANGLES)]))
    with pytest.raises(MeshFileError, match="not in one plane"):
        read_mesh_file(flat, "um")
