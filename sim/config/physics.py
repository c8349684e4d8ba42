"""Physics sections of a run config (one model per `physics.kind`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config.base import Positive, Potential, Strict, Temperature


class ConductionPhysics(Strict):
    """Steady ionic conduction −∇·(σ∇φ) = 0 (DESIGN 3.1): electrode potentials, insulating walls."""

    kind: Literal["conduction"]
    temperature: Temperature = 298.15
    """temperature in K (used when a material card gives σ(T))"""
    anode_potential: Potential = 0.0
    """potential of the `anode` boundary, V"""
    cathode_potential: Potential = 0.01
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


class NewtonConfig(Strict):
    """Newton (PETSc SNES newtonls, backtracking line search) stopping rule of the nonlinear
    models (npp, phasefield): converged when ‖F‖ ≤ max(rtol ‖F0‖, atol)."""

    rtol: Positive = 1e-10
    """relative residual tolerance (snes_rtol)"""
    atol: Positive = 1e-12
    """absolute residual tolerance in the model's scaled units (snes_atol)"""
    max_iterations: int = Field(default=50, gt=0, le=100000)
    """Newton iterations before the step counts as failed (snes_max_it; a transient model then
    retries with a smaller step)"""


class KrylovConfig(Strict):
    """Krylov stopping rule of the `iterative` preset (CG or GMRES); the `direct` preset
    solves exactly with LU and has none."""

    rtol: Positive | None = None
    """relative residual tolerance (ksp_rtol); default 1e-10 for a linear model (conduction),
    1e-8 for the linear solves inside Newton (inexact Newton: the outer iteration corrects)"""
    atol: Positive = 1e-14
    """absolute residual tolerance (ksp_atol)"""
    max_iterations: int = Field(default=1000, gt=0, le=100000)
    """Krylov iterations per linear solve (ksp_max_it)"""


class SolverConfig(Strict):
    """Linear and nonlinear solver settings, passed to PETSc as options."""

    preset: Literal["direct", "iterative"] = "direct"
    """direct: LU with MUMPS; iterative: CG (conduction) or GMRES (NPP, cathode) with GAMG, GMRES with
    block-Jacobi ILU(1) for the phase-field formulations (on which GAMG diverges)"""
    newton: NewtonConfig = NewtonConfig()
    """Newton tolerances and iteration limit (nonlinear models only)"""
    krylov: KrylovConfig = KrylovConfig()
    """Krylov tolerances and iteration limit (preset iterative only)"""
    petsc_options: dict[str, str | int | float | bool | None] = {}
    """extra PETSc options (without prefix), override the preset, e.g. {ksp_monitor: null}"""

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        old = [k for k in ("rtol", "atol", "max_iterations") if isinstance(data, dict) and k in data]
        if old:
            raise ValueError(
                f"solver.{old[0]} is ambiguous and no longer accepted: give solver.newton.{old[0]} "
                f"(Newton, nonlinear models) or solver.krylov.{old[0]} (Krylov, preset iterative)"
            )
        return data

    @model_validator(mode="after")
    def _krylov_needs_iterative(self) -> SolverConfig:
        if self.preset == "direct" and self.krylov != KrylovConfig():  # resolved configs list defaults
            raise ValueError("solver.krylov applies to preset iterative only (preset direct solves with LU)")
        return self


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
