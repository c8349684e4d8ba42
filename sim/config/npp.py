"""Config of the Nernst–Planck–Poisson model (DESIGN 3.2, `physics.kind: npp`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.config.base import Positive, Potential, Strict, Temperature
from sim.config.time import TimeConfig

STEADY_TOLERANCE = 1e-9
DepletionThreshold = Annotated[float, Field(gt=0.0, lt=1.0)]
"""a fraction of c0 below which a run stops (exit 3)"""


class FixedFlux(Strict):
    """A prescribed Li⁺ reaction flux: leaving the electrolyte at the anode (plating), entering at
    the cathode; the cathode flux is scaled by anode/cathode length so the two totals balance."""

    kind: Literal["flux"]
    li_flux: Positive = 0.01
    """Li⁺ flux through the anode, mol m⁻² s⁻¹ (seed 001: 0.01)"""


class ButlerVolmer(Strict):
    """Butler–Volmer kinetics at both (Li metal) electrodes: Li⁺ into the electrolyte
    j = (i0/F) (c⁺/c0)^α [exp(α η F/RT) − exp(−(1 − α) η F/RT)], η = φ_electrode − φ − (RT/F) ln(c⁺/c_ref):
    the overpotential against Li | Li⁺ at one reference concentration for the whole cell, so zero
    current means equal electrochemical potential of Li in both electrodes (sim.physics.npp_forms)."""

    kind: Literal["butler_volmer"]
    exchange_current_density: float = Field(gt=0, le=1e6)
    """i0 at c⁺ = c0 of the layer at the electrode, A/m²"""
    alpha: float = Field(default=0.5, gt=0.0, lt=1.0)
    """anodic transfer coefficient α"""


class Blocking(Strict):
    """No reaction: all species blocked at both electrodes (a closed cell relaxing to equilibrium)."""

    kind: Literal["blocking"]


class Reservoir(Strict):
    """The anode side is a salt reservoir (e.g. the separator next to a composite cathode): Li⁺ and
    free anions held at the card's c0 and φ = 0 there; the cathode side blocks all species."""

    kind: Literal["reservoir"]


Reaction = Annotated[FixedFlux | ButlerVolmer | Blocking | Reservoir, Field(discriminator="kind")]


class NppPhysics(Strict):
    """Li⁺, free anions and immobile anions (fixed charge) by Nernst–Planck, with Poisson or
    electroneutrality; anions blocked at both electrodes (seed 001)."""

    kind: Literal["npp"]
    temperature: Temperature = 298.15
    """temperature, K (σ(T) of the material cards is evaluated here)"""
    mode: Literal["electroneutral", "poisson"] = "electroneutral"
    """poisson: −∇·(ε∇φ) = F Σ z c (needs a mesh resolving the Debye length at the electrodes);
    electroneutral: Σ z c = 0 (the limit of a Debye length much smaller than the mesh)"""
    potential_difference: Potential | None = None
    """cathode minus anode potential, V (seed 001: 0.01). poisson: Dirichlet values of φ on both
    electrodes (null: only the anode is grounded); butler_volmer: the electrode potentials;
    electroneutral with a fixed flux: must be null (the flux sets the current, the drop is output)"""
    reaction: Reaction = FixedFlux(kind="flux")
    """electrode reaction: fixed Li⁺ flux (seed 001), Butler–Volmer, blocking (no reaction), or a
    salt reservoir at the anode side"""
    flux_scale: Positive = 1.0
    """multiplies the fixed flux. Reason: seed 001's 0.01 mol m⁻² s⁻¹ (965 A/m²) is ~2000× the
    limiting flux 4D⁺c0/L of PEO at 25 °C, so no steady state exists; a scale makes the imposed flux
    match a measured current density (e.g. seed 003's 0.02 mA cm⁻²) while keeping the seed value visible"""
    time: TimeConfig | None = None
    """transient window; null: steady state by pseudo-transient continuation"""
    steady_tolerance: Positive = STEADY_TOLERANCE
    """steady runs (time: null): steady state reached when the max change of log-concentration per
    pseudo-step is below this"""
    element_degree: Literal[1, 2] = 1
    """Lagrange degree of all fields"""
    depletion_threshold: DepletionThreshold = 1e-3
    """stop (exit 3) when Li⁺ or free anions fall below this fraction of c0 anywhere (after every
    accepted step)"""
    checks: Literal["refuse", "warn"] = "refuse"
    """what to do when an a-priori check fails: poisson mode with anode/cathode cells larger than
    the Debye length; a fixed flux above the limiting flux 4D⁺c0/L (steady) or a window longer than
    Sand's time (transient), estimated for the salt next to the anode when it has no immobile anions"""

    @model_validator(mode="before")
    @classmethod
    def _cathode_is_its_own_kind(cls, data: object) -> object:
        if isinstance(data, dict) and "interface" in data:
            raise ValueError(
                "a particle interface (composite cathode) is physics.kind: cathode, not npp: set "
                "kind: cathode and remove mode and reaction (the cathode is electroneutral with a "
                "salt reservoir at the separator)"
            )
        return data

    @model_validator(mode="after")
    def _check_bcs(self) -> NppPhysics:
        bv = self.reaction.kind == "butler_volmer"
        if bv and self.mode == "poisson":
            raise ValueError(
                "butler_volmer needs mode electroneutral: in poisson mode the electrode "
                "potentials are Dirichlet values of φ and the resolved double layer "
                "replaces the kinetics"
            )
        if bv and self.potential_difference is None:
            raise ValueError("butler_volmer needs potential_difference (the applied cell voltage, V)")
        # a key without effect is an error unless it holds its default (resolved configs list all)
        if self.time is not None and self.steady_tolerance != STEADY_TOLERANCE:
            raise ValueError("steady_tolerance applies to steady runs (time: null) only")
        if self.checks != "refuse" and self.mode != "poisson" and self.reaction.kind != "flux":
            raise ValueError(
                "checks has no effect here: the a-priori checks are the Debye length (mode poisson) "
                "and the limiting flux / Sand time (reaction kind flux)"
            )
        if not bv and self.mode == "electroneutral" and self.potential_difference is not None:
            raise ValueError(
                f"with reaction kind {self.reaction.kind} in electroneutral mode the "
                "potential is defined up to a constant: potential_difference must be "
                "null (the potential drop is reported), or use reaction kind butler_volmer"
            )
        return self
