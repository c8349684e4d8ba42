"""Config of virtual experiments (issue 12, top-level section `experiment`): what a researcher
measures on a cell — an impedance spectrum, a potential step (chronoamperometry, Bruce–Vincent t⁺)
or a current step (galvanostatic, Sand's time) — run on the same geometry, materials and physics."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.config.base import Positive, Potential, Strict
from sim.config.materials import Property, unit_check
from sim.units import to_si


class FrequencyRange(Strict):
    """Log-spaced frequencies f_min … f_max (Hz), `points` of them, highest first (as analysers sweep)."""

    min: Positive = 1.0e-3
    """lowest frequency, Hz"""
    max: Positive = 1.0e6
    """highest frequency, Hz"""
    points: int = Field(default=40, ge=2, le=2000)
    """number of frequencies"""

    @model_validator(mode="after")
    def _check_order(self) -> FrequencyRange:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min:g} Hz) must be below max ({self.max:g} Hz)")
        return self


class CircuitFit(Strict):
    """Equivalent-circuit fit with impedance.py (circuit strings in its syntax, e.g. 'p(R0,C0)-Ws0')."""

    circuit: str
    """the circuit, e.g. 'p(R0,C0)' (blocking film) or 'p(R0,C0)-p(R1,C1)-Ws0' (Li | salt | Li)"""
    initial_guess: list[float]
    """one starting value per fitted circuit parameter, SI (Ω, F, s), in the circuit's order"""
    constants: dict[str, float] = {}
    """circuit parameters held fixed (e.g. a geometric capacitance ε0 εr S/l known from the cell)"""
    bulk_resistance: str = "R0"
    """the circuit element that is the bulk resistance R_b, for seed 003's σ = L/(R_b S)"""
    charge_transfer_resistance: str | None = None
    """the element that is R_ct (both electrodes); with it, t⁺ = R_b/(Z(0) − R_ct) is reported"""

    @model_validator(mode="after")
    def _check_circuit(self) -> CircuitFit:
        from impedance.models.circuits import CustomCircuit

        try:
            circuit = CustomCircuit(self.circuit, initial_guess=self.initial_guess, constants=self.constants)
            names = circuit.get_param_names()[0]
        except Exception as exc:  # impedance.py raises bare ValueError/AssertionError/TypeError
            raise ValueError(f"circuit {self.circuit!r}: {exc}") from None
        if len(names) != len(self.initial_guess):
            raise ValueError(f"circuit {self.circuit!r} has {len(names)} parameters ({', '.join(names)})")
        for key in ("bulk_resistance", "charge_transfer_resistance"):
            name = getattr(self, key)
            if name is not None and name not in names:
                raise ValueError(f"{key} {name!r} is not in the circuit ({', '.join(names)})")
        return self


def _capacitance(cdl: Property | None) -> float | None:
    """A double-layer capacitance in F/m² (None stays None); not positive → ValueError."""
    if cdl is None:
        return None
    value = to_si(cdl.value, cdl.unit, "F/m2")
    if not value > 0:
        raise ValueError("double_layer_capacitance must be positive")
    return value


class Impedance(Strict):
    """Small-signal impedance: linearise F(u, u̇) = 0 about a state, solve (iωM + J) δu = b for each
    frequency in real 2×2 block form, Z = δV/δI with δI from the consistent (residual) flux at the
    cathode. Linear response: the amplitude drops out, so Z is the small-amplitude limit."""

    kind: Literal["impedance"]
    frequencies: FrequencyRange = FrequencyRange()
    """frequency list, Hz"""
    state: Literal["steady", "initial"] = "steady"
    """the state to linearise about: the steady state of the physics section (NPP: pseudo-transient
    continuation), or the initial state (uniform salt, no potential)"""
    electrode_area: Positive | None = None
    """electrode area S in m² (the 2D model gives Z × area); null: Z is area-specific (Ω m²)"""
    double_layer_capacitance: Property | None = None
    """C_dl of both electrode | electrolyte interfaces (unit F/m2 or uF/cm2), in parallel with the
    charge transfer; null: ideal contact (conduction) — NPP with blocking electrodes needs it"""
    dielectric: bool = True
    """bulk displacement current ε0 εr ∂E/∂t (needs relative_permittivity on every card): the
    high-frequency bulk arc R_b ∥ C_g"""
    fit: CircuitFit | None = None
    """equivalent-circuit fit of the spectrum; null: no fit"""
    probe_frequencies: list[Positive] = []
    """frequencies (Hz) added to the list, whose Z′ and Z″ summary.json reports by name
    (z_real_at_<f>Hz_<unit>), e.g. seed 000 Table S4's 60.9 kHz, 226.2 Hz and 2.7 Hz"""
    warburg_region: tuple[Positive, Positive] | None = None
    """[f_low, f_high] Hz of the 45° Warburg line: the slope of Z′ vs ω^-1/2 there is the Warburg
    coefficient, and seed 003 eq. 3 turns it into a diffusivity; null: not evaluated"""

    @model_validator(mode="after")
    def _check_cdl(self) -> Impedance:
        self.cdl()
        return self

    def cdl(self) -> float | None:
        """C_dl in F/m², or None."""
        return _capacitance(self.double_layer_capacitance)


class Spectra(Strict):
    """The impedance spectra a Bruce–Vincent measurement takes before the potential step and at its
    end (under the step), each fitted to read the bulk R_b and interfacial R_i resistances."""

    frequencies: FrequencyRange = FrequencyRange()
    """frequency list of both spectra, Hz"""
    double_layer_capacitance: Property | None = None
    """C_dl of both interfaces (F/m2 or uF/cm2), separating the interface arc from the bulk arc"""
    dielectric: bool = True
    """bulk displacement current ε0 εr ∂E/∂t (the bulk arc R_b ∥ C_g)"""
    fit: CircuitFit
    """circuit whose bulk_resistance and charge_transfer_resistance elements are R_b and R_i (both
    interfaces); the second spectrum's fit starts from the first one's parameters"""

    @model_validator(mode="after")
    def _check(self) -> Spectra:
        if self.fit.charge_transfer_resistance is None:
            raise ValueError("fit.charge_transfer_resistance is needed: it is the interfacial R_i")
        self.cdl()
        return self

    def cdl(self) -> float | None:
        """C_dl in F/m², or None."""
        return _capacitance(self.double_layer_capacitance)


class Chronoamperometry(Strict):
    """Potentiostatic polarisation of a Li | electrolyte | Li cell at rest: the cathode potential
    steps by `step` at t = 0 and is held over physics.time; I(t), I₀ (first step), I_ss (end of the
    window) and seed 003's Bruce–Vincent t⁺ with R_b, R_i from the spectra before and after."""

    kind: Literal["chronoamperometry"]
    step: Potential = 0.01
    """ΔV, V (seed 003: 10 mV)"""
    electrode_area: Positive | None = None
    """electrode area S, m² (currents in A, resistances in Ω); null: per unit area (A/m², Ω m²)"""
    spectra: Spectra
    """the impedance spectra before and after the polarisation"""

    @model_validator(mode="after")
    def _check_step(self) -> Chronoamperometry:
        if self.step == 0.0:
            raise ValueError("step must not be 0 V")
        return self


class Galvanostatic(Strict):
    """A current step on a cell at rest: Li⁺ plates at the anode and enters at the cathode at
    J/F over physics.time (reversible electrodes: no kinetic overpotential); the cell voltage
    V(t) and Sand's time, when c⁺ at the plating electrode falls to physics.depletion_threshold × c0."""

    kind: Literal["galvanostatic"]
    current_density: Annotated[Property, AfterValidator(unit_check("A/m2"))]
    """J, A/m2 or mA/cm2 (positive: plating at the anode)"""

    @model_validator(mode="after")
    def _check_current(self) -> Galvanostatic:
        if not self.current() > 0:
            raise ValueError("current_density must be positive (Li plates at the anode)")
        return self

    def current(self) -> float:
        """J in A/m²."""
        return to_si(self.current_density.value, self.current_density.unit, "A/m2")


Experiment = Annotated[Impedance | Chronoamperometry | Galvanostatic, Field(discriminator="kind")]
"""`experiment:` in the run loop: impedance (state → linearisation → spectrum), chronoamperometry
(potential step, Bruce–Vincent) or galvanostatic (current step, Sand's time)."""
