"""Gmsh (OCC) builders, one per geometry kind, producing named physical groups.

    gmsh.initialize(); gmsh.model.add("cell")
    expected_areas = build(config.geometry, length_scale=1e-6)   # model in µm, meshed

Each builder creates the geometry in the current gmsh model in units of `length_scale`, adds
physical groups by name (regions: the model's dimension; boundaries and interfaces: one less),
sets the mesh size fields and generates the mesh. It returns the analytic area (2D) or volume (3D)
of each region in m² or m³.

Names per kind (always: boundaries `anode` (y = 0; z = 0 in 3D), `cathode` (top), `walls` (the sides)):
- slab: regions `electrolyte`, `filler`; interfaces `filler_surface` (the protrusion's surface
  is part of `anode`)
- layers: one region per layer; interfaces `<lower>__<upper>`
- particles: regions `binder`, `particle`, `ceramic`; `particle_surface`, `ceramic_surface`, `pore_surface`
- dendrite: regions `electrolyte`, `nucleus`, `filament`; `nucleus_surface`, `filament_surface`
- file: the regions and boundaries the config maps from an external mesh's groups (no analytic areas)
- box (3D): regions `electrolyte`, `filler`; interfaces `filler_surface`
"""

from __future__ import annotations

from importlib import import_module

from sim.geometry.common import GeometryError, region_cad_areas

KINDS = ("slab", "layers", "particles", "dendrite", "box", "file")

__all__ = ["KINDS", "GeometryError", "build", "region_cad_areas"]


def build(cfg, length_scale: float = 1e-6) -> dict[str, float]:
    """Build and mesh `cfg` (a geometry config) in the current gmsh model; returns {region: m²}."""
    if cfg.kind not in KINDS:
        raise ValueError(f"unknown geometry kind '{cfg.kind}'; known: {', '.join(KINDS)}")
    return import_module(f"sim.geometry.{cfg.kind}").build(cfg, length_scale)
