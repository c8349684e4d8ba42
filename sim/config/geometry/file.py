"""file: an external 2D mesh (.msh, .vtu, .inp, .med) whose groups become regions and boundaries.

The file is read (with meshio) when the config is validated, so a missing or unusable file, a
missing group, a 3D or line-only mesh, inverted cells or an implausible unit are config errors
(exit 2, `file:line: geometry.<key>: message`). See sim.geometry.file for what is read from each format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from sim.config.base import Strict
from sim.config.geometry.base import RESERVED_NAMES

GroupRef = str | int
"""a group of the file: its name, or its number in the integer tag array"""


def _meshfile(info: ValidationInfo):
    from sim.mesh_file import read_mesh_file

    return read_mesh_file(info.data["path"], info.data["unit"], info.data["tag_array"])


class FileGeometry(Strict):
    """A mesh made elsewhere (e.g. a segmented tomography), for conduction and NPP runs.

    Regions: the keys of `regions` (default: every named 2D group of the file, by its name).
    Each triangle must be in exactly one region; boundary lines must be edges of the triangles.
    Boundaries: the keys of `boundaries` (default: every named line group); `anode` and `cathode`
    are required. The anode/cathode distance used for effective conductivities is the y extent.
    """

    kind: Literal["file"]
    """geometry kind (selects this section's schema)"""
    unit: Literal["m", "mm", "um"] = "m"
    """length unit of the file's coordinates (converted to m; a domain outside 1 nm–10 cm is rejected
    as a likely wrong unit)"""
    tag_array: str | None = None
    """integer cell-data array that numbered groups refer to (default: the first of gmsh:physical,
    cell_tags, medit:ref the file has)"""
    path: str
    """mesh file (.msh, .vtu, .inp, .med), relative to the config file's directory (stored resolved)"""
    regions: dict[str, GroupRef] = Field(default={}, validate_default=True)
    """region name (the materials key) → file group (name or number) of triangles (empty: every
    named 2D group under its own name; the resolved config lists them)"""
    boundaries: dict[str, GroupRef] = Field(default={}, validate_default=True)
    """boundary name (anode, cathode, walls, interfaces) → file group (name or number) of lines
    (empty: every named line group under its own name)"""

    @field_validator("path")
    @classmethod
    def _read(cls, value: str, info: ValidationInfo) -> str:
        from sim.mesh_file import read_mesh_file

        base = (info.context or {}).get("base_dir")
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        path = path.resolve()
        if "unit" in info.data and "tag_array" in info.data:
            read_mesh_file(path, info.data["unit"], info.data["tag_array"])
        return str(path)

    @field_validator("regions", "boundaries")
    @classmethod
    def _map(cls, value: dict[str, GroupRef], info: ValidationInfo) -> dict[str, GroupRef]:
        from sim.mesh_file import map_groups

        if not {"path", "unit", "tag_array"} <= info.data.keys():
            return value
        dim, what = (2, "region") if info.field_name == "regions" else (1, "boundary")
        mapping = map_groups(_meshfile(info), value, dim)
        for name in mapping:
            if not (name.isascii() and name.replace("_", "a").isalnum() and name[0].isalpha()):
                raise ValueError(
                    f"'{name}' is not a usable {what} name (letters, digits, underscores): "
                    f"map the file's group to a new name under geometry.{info.field_name}"
                )
            if dim == 2 and (name in RESERVED_NAMES or "__" in name):
                raise ValueError(f"region name '{name}' is a boundary name or contains '__'")
        return mapping

    def cell_problem(self) -> str | None:
        """The mesh exists already: nothing to estimate before meshing (the max_cells guard of
        the built geometries does not apply)."""
        return None
