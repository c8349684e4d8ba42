"""Physics sections of a run config (one model per `physics.kind`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config.base import Positive, Strict


class ConductionPhysics(Strict):
    """Steady ionic conduction −∇·(σ∇φ) = 0 (DESIGN 3.1): electrode potentials, insulating walls."""

    kind: Literal["conduction"]
    temperature: Positive = 298.15
    """temperature in K (used when a material card gives σ(T))"""
    anode_potential: float = 0.0
    """potential of the `anode` boundary, V"""
    cathode_potential: float = 0.01
    """potential of the `cathode` boundary, V (seed 001: ΔV = 0.01 V)"""
    electrode_area: Positive | None = None
    """electrode area in m² for reporting a resistance in Ω (the 2D model gives resistance × area)"""
    element_degree: Literal[1, 2] = 1
    """Lagrange degree of the potential"""

    @model_validator(mode="after")
    def _check_drop(self) -> ConductionPhysics:
        if self.anode_potential == self.cathode_potential:
            raise ValueError("anode_potential equals cathode_potential: no current would flow")
        return self


class SolverConfig(Strict):
    """Linear/nonlinear solver settings, passed to PETSc as options."""

    preset: Literal["direct", "iterative"] = "direct"
    """direct: LU with MUMPS; iterative: CG/GMRES preconditioned with GAMG (scales to large meshes)"""
    rtol: Positive = 1e-10
    """relative tolerance of the Krylov (iterative) or Newton solver"""
    atol: Positive = 1e-12
    """absolute tolerance"""
    max_iterations: int = Field(default=50, gt=0)
    """maximum Newton (or Krylov, for the iterative preset) iterations"""
    petsc_options: dict[str, str | int | float | bool | None] = {}
    """extra PETSc options (without prefix), override the preset, e.g. {ksp_monitor: null}"""


class OutputConfig(Strict):
    """What a run writes besides summary.json, config.yaml and log.txt."""

    fields: bool = True
    """write field files for ParaView, pyvista, meshio (in `formats`; SI coordinates)"""
    formats: list[Literal["vtk", "vtx"]] = Field(default=["vtk"], min_length=1)
    """field file formats: vtk = fields/<name>.pvd time series of .vtu pieces (every ParaView,
    pyvista, meshio), vtx = fields/<name>.bp (ADIOS2; ParaView builds with an ADIOS2 reader)"""
    figures: bool = True
    """write PNG figures (matplotlib, no display needed)"""
    figure_width_px: int = Field(default=1400, ge=200, le=6000)
    """width of PNG figures in pixels"""

    @model_validator(mode="after")
    def _check_formats(self) -> OutputConfig:
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"formats lists a format twice: {self.formats}")
        return self
