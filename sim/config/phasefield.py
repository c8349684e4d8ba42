"""The `phasefield` physics section: Li electrodeposition with mechanics (DESIGN 3.3).

Model parameters come from a named card in sim/data/phasefield_cards.yaml (`parameters:
table_s1`, seed 001 Table S1 plus the assumed values the table lacks) or an inline card;
`deviations` replaces single values and must say why in `source`.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.config import grand_potential as gp
from sim.config.base import MAX_TEMPERATURE, MIN_TEMPERATURE, NonNegative, Positive, Potential, Strict
from sim.config.loader import load_yaml
from sim.config.materials import (
    Dimensionless,
    MaterialCard,
    Pressure,
    Property,
    check_bounds,
    material_library,
    unknown_card,
)
from sim.config.time import PhaseFieldTime

# parameter → (SI unit, description); values in any unit of the same dimension are converted
PARAMETERS: dict[str, tuple[str, str]] = {
    "L_sigma": ("m3/(J s)", "interfacial mobility L_σ"),
    "W": ("J/m3", "barrier height W of g = Wξ²(1−ξ)²"),
    "L_eta": ("1/s", "reaction coefficient L_η"),
    "kappa0": ("J/m", "gradient energy coefficient κ0"),
    "delta": ("1", "anisotropy strength δ of κ = κ0(1 + δ cos ωθ)"),
    "omega": ("1", "anisotropy mode ω (integer)"),
    "D_e": ("m2/s", "Li+ diffusivity in the electrode phase"),
    "D_l": ("m2/s", "Li+ diffusivity in the electrolyte"),
    "sigma_e": ("S/m", "conductivity of the electrode phase"),
    "sigma_l": ("S/m", "conductivity of the electrolyte"),
    "alpha": ("1", "charge-transfer coefficient α"),
    "beta": ("1", "symmetry factor β of the stress factor"),
    "n": ("1", "electrons transferred"),
    "c_s": ("mol/m3", "site density of Li metal"),
    "c0": ("mol/m3", "bulk Li+ concentration"),
    "T": ("K", "temperature"),
    "E_li": ("Pa", "Young's modulus of Li metal"),
    "nu_li": ("1", "Poisson ratio of Li metal"),
    "E_e": ("Pa", "Young's modulus of the electrolyte"),
    "nu_e": ("1", "Poisson ratio of the electrolyte"),
    "Omega_li": ("m3/mol", "molar volume of Li metal Ω"),
    "vegard_strain": ("1", "isotropic eigenstrain ε* of deposited Li"),
}


CHEN_TRANSPORT = ("D_e", "D_l", "sigma_e", "sigma_l", "c0")
"""card parameters only the chen2015 formulation uses (electroneutral: the material card's)"""


def _si(name: str, prop: Property) -> float:
    try:
        return prop.si(PARAMETERS[name][0])
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


_OPEN, _POISSON = (0.0, 1.0), (-1.0, 0.5)
RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, math.inf) for name in ("L_sigma", "W", "L_eta", "kappa0", "D_e", "D_l", "sigma_e")},
    **{name: (0.0, math.inf) for name in ("sigma_l", "n", "c_s", "c0", "E_li", "E_e", "Omega_li")},
    "alpha": _OPEN,
    "beta": _OPEN,
    "nu_li": _POISSON,
    "nu_e": _POISSON,
    "T": (MIN_TEMPERATURE, MAX_TEMPERATURE),
    "delta": (-1.0, 1.0),
    "omega": (-1.0, 64.0),
    "vegard_strain": (-1.0, 1.0),
}
"""parameter → open interval (lo, hi) of physical SI values (T: the closed run-temperature range)"""


def _check_card(card: dict[str, Property], complete: bool) -> None:
    unknown = sorted(set(card) - set(PARAMETERS))
    if unknown:
        raise ValueError(
            f"unknown phase-field parameter(s) {', '.join(unknown)}; known: {', '.join(PARAMETERS)}"
        )
    missing = sorted(set(PARAMETERS) - set(card)) if complete else []
    if missing:
        raise ValueError(f"parameter card lacks {', '.join(missing)}")
    for name, prop in card.items():
        value, (lo, hi) = _si(name, prop), RANGES[name]
        inside = lo <= value <= hi if name == "T" else lo < value < hi
        if not inside:
            raise ValueError(f"{name} = {value:g} (SI) is non-physical: must be in ({lo:g}, {hi:g})")


@cache
def parameter_cards() -> dict[str, dict[str, Property]]:
    """The named cards shipped in sim/data/phasefield_cards.yaml."""
    text = resources.files("sim").joinpath("data/phasefield_cards.yaml").read_text()
    data, _ = load_yaml(text, "sim/data/phasefield_cards.yaml")
    return {name: {k: Property.model_validate(v) for k, v in card.items()} for name, card in data.items()}


class FilamentProperties(Strict):
    """The `filament` region (PE skeleton): Li does not grow or deform into it (seed 001)."""

    transport_factor: Positive = 1e-6
    """D and σ inside, relative to the electrolyte's (≈ 0 but keeps the system regular);
    electroneutral: the filaments' salt fraction (salt capacity and transport both × this)"""
    material: str | MaterialCard = "polyethylene"
    """the filaments' material card: a name from sim/data/materials.yaml (`sim info --materials`;
    polyethylene: dense HDPE, E = 1.08 GPa, ν = 0.46, Callister & Rethwisch) or an inline card; its
    young_modulus and poisson_ratio hold in the filaments unless given below"""
    young_modulus: Pressure | None = None
    """Young's modulus of the filaments (null: the material card's)"""
    poisson_ratio: Dimensionless | None = None
    """Poisson's ratio of the filaments (null: the material card's)"""

    @field_validator("young_modulus", "poisson_ratio")
    @classmethod
    def _check_range(cls, prop: Property | None, info: ValidationInfo) -> Property | None:
        assert info.field_name is not None  # a field validator always knows its field
        return None if prop is None else check_bounds(info.field_name, prop)

    def card(self) -> MaterialCard:
        """The material card (KeyError for an unknown name: RunConfig.cross_check refuses it)."""
        if isinstance(self.material, MaterialCard):
            return self.material
        return material_library()[self.material]

    def elastic(self) -> dict[str, Property]:
        """{young_modulus, poisson_ratio} of the filaments: the explicit values, else the card's
        (ValueError naming the missing property if neither gives one)."""
        card = self.card()
        resolved = {}
        for name in ("young_modulus", "poisson_ratio"):
            prop = getattr(self, name)
            if prop is None:
                prop = getattr(card, name)
            if prop is None:
                label = f"'{self.material}'" if isinstance(self.material, str) else "(inline)"
                raise ValueError(
                    f"the filaments' material card {label} has no {name}: give physics.filament.{name} "
                    f"or a card that has it"
                )
            resolved[name] = prop
        return resolved

    def problem(self) -> tuple[tuple[str, ...], str] | None:
        """An unknown card or one without the filaments' stiffness: (key path below
        `physics.filament`, message), or None."""
        if (why := unknown_card(self.material)) is not None:
            return ("material",), why
        try:
            self.elastic()
        except ValueError as exc:
            return ("material",), str(exc)
        return None

    def unused(self, filaments: bool, mechanics: bool) -> tuple[tuple[str, ...], str] | None:
        """A key set to other than its default that cannot take effect: any of them without
        filaments in the geometry, the stiffness (material, young_modulus, poisson_ratio) without
        mechanics; (key path below `physics.filament`, message), or None. (At its default a key is
        accepted: a run's resolved config.yaml, which `--resume` reads, lists every key.)"""
        given = self.changed(sorted(type(self).model_fields))
        if given and not filaments:
            return (
                given[0],
            ), f"{given[0]} has no effect: the geometry has no filaments (geometry.filaments)"
        stiffness = [key for key in given if key != "transport_factor"]
        if stiffness and not mechanics:
            return (
                stiffness[0],
            ), f"{stiffness[0]} has no effect without mechanics (monolithic or staggered)"
        return None


class Coating(Strict):
    """A band y0 ≤ y ≤ y1 of the electrolyte with its own transport and stiffness (PLM coatings).
    The band is the cells whose midpoints lie in it, filaments excluded."""

    name: str
    """label (e.g. mof_coating)"""
    y0: NonNegative
    """bottom of the band, m"""
    y1: Positive
    """top of the band, m"""
    material: str | MaterialCard | None = None
    """formulation electroneutral: a material card (a name from sim/data/materials.yaml, e.g.
    mof_coating, or an inline card) whose transport (D⁺, D⁻, immobile anion fraction, c0) holds
    inside the band; null: the electrolyte's"""
    diffusivity_factor: Positive = 1.0
    """D_l inside relative to the card's (electroneutral: D⁺ of the band's material card)"""
    conductivity_factor: Positive = 1.0
    """σ_l inside relative to the card's (electroneutral: σ of the band's material card at its own
    composition, D⁻ set to match it)"""
    young_modulus: Pressure | None = None
    """Young's modulus (default: the card's E_e)"""
    source: str = "assumed"
    """where the numbers come from"""


class Adaptivity(Strict):
    """Meshes that follow the interface (sim.adapt, sim.adaptive): every `every` accepted steps the
    base mesh (geometry.mesh) is refined `levels` times where ξ(1 − ξ) ≥ `threshold`, grown by
    `buffer_layers` rings of cells at each level, and the state moved onto it."""

    levels: int = Field(ge=1, le=6)
    """refinement levels above the base mesh (each halves the element size)"""
    every: int = Field(default=10, ge=1)
    """accepted steps between adaptations"""
    threshold: float = Field(default=1e-3, gt=0.0, lt=0.25)
    """ξ(1 − ξ) above which a cell is refined (1e-3: about ±3.5 interface widths of a tanh profile)"""
    buffer_layers: int = Field(default=2, ge=0, le=20)
    """rings of neighbouring cells added to the marked band at each level"""
    detail_tolerance: float | None = Field(default=None, gt=0.0, lt=1.0)
    """grand_potential: refine also the cells over which the Li content c(w, η)/d_v (1 in
    saturated metal) varies by more than this between vertices: where w varies behind the front,
    which the band around η alone would coarsen; null: the band only"""
    front_fraction: float | None = Field(default=None, gt=0.0, le=10.0)
    """the front moves at most this fraction of the finest element per step (needs time.max_change;
    the front's displacement is 2δ max|Δξ| for the tanh profile of width δ); null: max_change only"""


class PhaseFieldPhysics(Strict):
    """Phase-field Li deposition (ξ, c̃ = c/c0, φ) with plane-strain mechanics (DESIGN 3.3)."""

    kind: Literal["phasefield"]
    formulation: Literal["chen2015", "electroneutral", "grand_potential"] = "chen2015"
    """transport and charge around the shared ξ equation: chen2015, the seed's single potential and
    c̃ (sim.physics.dendrite); electroneutral, a binary salt with free and immobile anions from the
    electrolyte's material card, the metal an equipotential, Butler–Volmer at the diffuse interface
    only (sim.physics.electroneutral); grand_potential, Hong & Viswanathan 2018 (w, η, φ; cards of
    sim/data/grand_potential_cards.yaml; keys: sim.config.grand_potential)"""
    parameters: str | dict[str, Property] = "table_s1"
    """a card name from sim/data/phasefield_cards.yaml (grand_potential: grand_potential_cards.yaml)
    or an inline card {name: {value, unit, source}}"""
    deviations: dict[str, Property] = {}
    """values replacing the card's, each with `source` saying why (written to the summary)"""
    applied_voltage: Potential = -0.2
    """anode potential relative to the cathode (φ = 0 there), V; negative plates Li"""
    equilibrium_potential: Potential = 0.0
    """E_θ in η = φ − E_θ, V (single-potential form of Chen et al. 2015)"""
    cathode_concentration: NonNegative | None = 1.0
    """c̃ = c/c0 held at the cathode (a bulk reservoir); null: zero flux (closed cell)"""
    li_anode: bool = True
    """hold ξ = 1 on the anode (a Li metal electrode); false: zero flux for ξ (ξ may leave 1 there)"""
    li_film_thickness: NonNegative = 0.0
    """initial flat Li film on the anode (ξ = 1 below), m, besides the geometry's nuclei"""
    stress_coupling: Literal["none", "reaction", "full"] = "full"
    """none; reaction: R × exp[(1−β)Ωσ_h/RT]; full: that and the elastic driving force ∂f_el/∂ξ"""
    mechanics: Literal["none", "monolithic", "staggered"] = "staggered"
    """how u is solved: not at all, in the same Newton system as (ξ, c̃, φ), or after each step"""
    eigenstrain: Literal["vegard", "growth"] = "vegard"
    """vegard: ε* (h(ξ) − h(ξ0)) I, isotropic; growth: ε* (h(ξ) − h(ξ0)) n⊗n with n the interface
    normal ∇ξ/|∇ξ| (regularised): deposited Li extends along the normal only (ε* = vegard_strain)"""
    cathode_mechanics: Literal["roller", "free"] = "roller"
    """the cathode (top) for u: roller (u_y = 0, the host cannot move away) or free (traction-free)"""
    filament: FilamentProperties = FilamentProperties()
    """properties of the `filament` region"""
    coatings: list[Coating] = []
    """bands of the electrolyte with their own properties (PLM coatings)"""
    min_elements_per_width: Positive = 4.0
    """refuse to run unless √(2κ0/W) ≥ this many elements in the growth zone"""
    max_width_fraction: Positive = 0.2
    """refuse to run unless √(2κ0/W) ≤ this fraction of the smaller domain side"""
    growth_zone: Positive | None = None
    """height above the anode where the interface travels (checked for resolution), m
    (default: geometry.refine_height, else the whole domain)"""
    adaptivity: Adaptivity | None = None
    """refine around the interface and follow it (null: the geometry's mesh throughout)"""
    noise_seed: int = Field(default=0, ge=0)
    """grand_potential: seed of the Langevin noise on η (amplitude: the card's noise_amplitude)"""
    noise_lattice: Positive | None = None
    """grand_potential: draw the noise on a square lattice of this spacing, m, averaged onto the
    cells (sim.physics.grand_potential.noise: the same field on any mesh; needed by adaptivity);
    null: one value per mesh cell"""
    noise_reference_dt: Positive | None = None
    """grand_potential: scale each step's noise by √(noise_reference_dt/Δt), s (a Wiener increment:
    the time-integrated noise has a variance per unit time independent of Δt, so Δt may grow; at
    Δt = noise_reference_dt the draw is input.i's; a departure from input.i for any other Δt);
    null: amplitude × U(−1, 1) whatever Δt, as MOOSE's LangevinNoise (its effect depends on Δt)"""
    snapshots: int = Field(default=4, ge=1, le=1000)
    """PNG snapshots of ξ over the run"""
    stop_at_charge: Positive | None = None
    """formulation electroneutral: end the run at the first accepted step whose charge through the
    counter electrode (`passed_charge_C_m`) reaches this, C per m of depth (compare cases at equal
    passed charge; it overshoots by at most one step's charge); null: run to time.t_end"""
    stop_at_tip: Positive | None = None
    """end the run at the first accepted step whose tip (the highest point of the ½ contour: the
    metric `dendrite_height_m`, in every formulation) reaches this height above the anode, m: e.g.
    a few interface widths below the counter electrode, for a time to short circuit (metrics.time_s
    then; summary.json `stopped_early` says why); below geometry.height; null: run to time.t_end"""
    time: PhaseFieldTime
    """time window and adaptive stepping, s; `max_change` bounds the change of ξ per step,
    `error_tolerance` its estimated time-discretisation error"""

    @field_validator("parameters")
    @classmethod
    def _check_parameters(
        cls, parameters: str | dict[str, Property], info: ValidationInfo
    ) -> str | dict[str, Property]:
        if info.data.get("formulation") == "grand_potential":
            gp.check_parameters(parameters)
        elif isinstance(parameters, str):
            if parameters not in parameter_cards():
                raise ValueError(
                    f"unknown parameter card '{parameters}'; known: {', '.join(parameter_cards())}"
                )
        else:
            _check_card(parameters, complete=True)
        return parameters

    @field_validator("deviations")
    @classmethod
    def _check_deviations(cls, deviations: dict[str, Property], info: ValidationInfo) -> dict[str, Property]:
        if info.data.get("formulation") == "grand_potential":
            gp.check_deviations(deviations)
            return deviations
        _check_card(deviations, complete=False)
        for name, prop in deviations.items():
            if not prop.source or prop.source == "assumed":
                raise ValueError(f"{name}: say why in `source`")
        return deviations

    @model_validator(mode="after")
    def _check(self) -> PhaseFieldPhysics:
        if self.stop_at_charge is not None and self.formulation != "electroneutral":
            raise ValueError(
                f"stop_at_charge applies to formulation electroneutral only (not {self.formulation})"
            )
        if self.formulation == "grand_potential":
            return self
        if self.adaptivity is not None and self.adaptivity.detail_tolerance is not None:
            raise ValueError(
                "adaptivity.detail_tolerance applies to formulation grand_potential only "
                f"(not {self.formulation})"
            )
        for key in ("noise_seed", "noise_lattice", "noise_reference_dt"):
            if getattr(self, key) not in (0, None):
                raise ValueError(
                    f"{key} applies to formulation grand_potential only ({self.formulation} has no noise)"
                )
        values = self.values()
        if values["omega"] != round(values["omega"]) or values["omega"] < 0:
            raise ValueError("omega must be a non-negative integer")
        if values["delta"] * (values["omega"] ** 2 - 1) >= 1:
            raise ValueError(
                f"anisotropy δ = {values['delta']} with ω = {values['omega']:g} makes the "
                f"interface stiffness negative (need δ(ω²−1) < 1)"
            )
        if self.stress_coupling != "none" and self.mechanics == "none":
            raise ValueError(
                f"stress_coupling '{self.stress_coupling}' needs mechanics (monolithic or staggered)"
            )
        return self

    def mechanics_problem(self) -> tuple[tuple[str, ...], str] | None:
        """Mechanics keys that cannot take effect: (key path below `physics`, message) or None."""
        for key, default in (("eigenstrain", "vegard"), ("cathode_mechanics", "roller")):
            if getattr(self, key) != default and self.mechanics == "none":
                return (key,), f"{key} has no effect without mechanics (monolithic or staggered)"
        if self.eigenstrain == "growth" and self.stress_coupling == "full":
            return ("eigenstrain",), (
                "eigenstrain growth supports stress_coupling none or reaction: its elastic driving "
                "force ∂f_el/∂ξ (through the normal n(∇ξ)) is not derived"
            )
        return None

    def electroneutral_problem(self) -> tuple[tuple[str, ...], str] | None:
        """Keys without effect in the electroneutral formulation (they must hold their defaults):
        (key path below `physics`, message), or None (RunConfig.capability_check reports it)."""
        if self.formulation != "electroneutral":
            return None
        unused = sorted(set(self.deviations) & set(CHEN_TRANSPORT))
        if unused:
            return ("deviations", unused[0]), (
                f"deviations of {', '.join(unused)} have no effect with formulation electroneutral: "
                "the electrolyte's transport (σ, t⁺, c0) comes from its material card"
            )
        if self.mechanics == "monolithic":
            return ("mechanics",), (
                "formulation electroneutral solves the displacement staggered only: set mechanics: staggered"
            )
        if self.stress_coupling == "full":
            return ("stress_coupling",), (
                "formulation electroneutral couples stress through the reaction only (stress_coupling "
                "none or reaction): its ξ equation has no elastic driving force"
            )
        if self.cathode_concentration != 1.0:
            return ("cathode_concentration",), (
                "cathode_concentration has no effect with formulation electroneutral (the cathode is "
                "a reversible Li counter electrode: μ⁺ = 0 there, anions blocked): remove it"
            )
        if self.equilibrium_potential != 0.0:
            return ("equilibrium_potential",), (
                "equilibrium_potential has no effect with formulation electroneutral: both electrodes "
                "are Li, and the metal's Nernst potential is the electrolyte's μ⁺ (remove it)"
            )
        return None

    def coating_problem(self) -> tuple[tuple[str | int, ...], str] | None:
        """A coating key without effect: (key path below `physics`, message) or None."""
        for i, coat in enumerate(self.coatings):
            if coat.y1 <= coat.y0:
                return ("coatings", i, "y1"), f"coating '{coat.name}': y1 = {coat.y1:g} m must exceed y0"
            if coat.material is not None and self.formulation != "electroneutral":
                return ("coatings", i, "material"), (
                    f"coating '{coat.name}': a material card sets the band's salt transport in "
                    f"formulation electroneutral only ({self.formulation} uses the diffusivity and "
                    "conductivity factors): remove it"
                )
        return None

    def card(self) -> dict[str, Property]:
        """The parameter card with the deviations applied."""
        if self.formulation == "grand_potential":
            return gp.card(self.parameters, self.deviations)
        base = parameter_cards()[self.parameters] if isinstance(self.parameters, str) else self.parameters
        return dict(base) | dict(self.deviations)

    def values(self) -> dict[str, float]:
        """All parameters in SI units."""
        return {name: _si(name, prop) for name, prop in self.card().items()}

    def interface_width(self) -> float:
        """√(2κ0/W), m: ξ = ½[1 − tanh(x/δ)] with this δ (grand_potential: √(2κ/B))."""
        if self.formulation == "grand_potential":
            card = self.card()
            return (2 * card["kappa_op"].si("m2") / card["B"].si("1")) ** 0.5
        v = self.values()
        return (2 * v["kappa0"] / v["W"]) ** 0.5
