"""Run under mpiexec by test_mesh_mpi.py: build one mesh per geometry kind, print areas and counts
as JSON (rank 0), and write one mesh to the directory given as the first argument.

With `fail` as the first argument: build an impossible packing; every rank must report the error.
"""

import json
import sys

from sim._dolfinx import dolfinx  # noqa: F401  (before any other dolfinx import)

import ufl
from dolfinx import fem
from mpi4py import MPI
from pydantic import TypeAdapter

from sim.config.geometry import GeometryConfig
from sim.mesh import build_mesh, mesh_summary, write_mesh

UM = 1e-6
CASES = {
    "slab": {
        "kind": "slab",
        "width": 30 * UM,
        "height": 10 * UM,
        "inclusions": [
            {
                "shape": "ellipse",
                "center": [12 * UM, 5 * UM],
                "semi_axes": [3 * UM, 1.5 * UM],
                "angle_deg": 30,
            }
        ],
        "protrusion": {"center_x": 22 * UM, "width": 4 * UM, "height": 2 * UM},
        "mesh": {"size": 2 * UM, "min_size": 1 * UM},
    },
    "layers": {
        "kind": "layers",
        "width": 10 * UM,
        "layers": [{"name": "a", "thickness": 2 * UM}, {"name": "b", "thickness": 3 * UM}],
        "mesh": {"size": 2 * UM, "min_size": 0.5 * UM},
    },
    "particles": {
        "kind": "particles",
        "width": 20 * UM,
        "height": 10 * UM,
        "packing": {"volume_fraction": 0.2, "semi_axes": [2 * UM, 1 * UM], "seed": 4},
        "pores": {"count": 2, "radius": 0.6 * UM},
        "mesh": {"size": 2 * UM, "min_size": 1 * UM},
    },
    "dendrite": {
        "kind": "dendrite",
        "width": 12 * UM,
        "height": 5 * UM,
        "nuclei": [{"center_x": 4 * UM, "radius": 1 * UM}],
        "filaments": {"width": 1 * UM, "spacing": 4 * UM, "height": 3 * UM, "offset": 8 * UM},
        "mesh": {"size": 1 * UM, "min_size": 0.5 * UM},
    },
}


def fail() -> None:
    data = {
        "kind": "particles",
        "packing": {"volume_fraction": 0.7, "semi_axes": [3 * UM, 1.5 * UM], "max_attempts": 50},
    }
    try:
        build_mesh(TypeAdapter(GeometryConfig).validate_python(data), MPI.COMM_WORLD)
    except Exception as exc:
        print(f"rank {MPI.COMM_WORLD.rank}: {type(exc).__name__}: {exc}", flush=True)
        return
    print("no error", flush=True)


def main() -> None:
    comm = MPI.COMM_WORLD
    if sys.argv[1] == "fail":
        return fail()
    out = {}
    for kind, data in CASES.items():
        bundle = build_mesh(TypeAdapter(GeometryConfig).validate_python(data), comm, keep_model=True)
        dx = ufl.Measure("dx", bundle.mesh, subdomain_data=bundle.cell_tags)
        areas = {
            name: comm.allreduce(fem.assemble_scalar(fem.form(1.0 * dx(tag))), op=MPI.SUM)
            * bundle.length_scale**2
            for name, tag in bundle.regions.items()
        }
        summary = mesh_summary(bundle)
        owned = bundle.mesh.topology.index_map(2).size_local
        out[kind] = {
            "areas": areas,
            "summary": summary,
            "regions": bundle.regions,
            "boundaries": bundle.boundaries,
            "min_owned_cells": comm.allreduce(owned, op=MPI.MIN),
        }
        if kind == "slab":
            out[kind]["files"] = [str(p) for p in write_mesh(bundle, sys.argv[1], kind)]
    if comm.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
