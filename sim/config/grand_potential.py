"""The `formulation: grand_potential` variant of the `phasefield` section: its parameter cards
(sim/data/grand_potential_cards.yaml, checked by sim.physics.grand_potential.card) and the keys of
the section and the geometry that apply to it; the others are refused unless they hold their
default (the resolved config of a run lists every key)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from sim.config.loader import load_yaml
from sim.config.materials import Property

# name → (unit of the scaled system, description)
PARAMETERS: dict[str, tuple[str, str]] = {
    "kappa_op": ("um2", "gradient energy coefficient κ (energy in RT)"),
    "M0": ("um2/s", "Li+ diffusion coefficient in the electrolyte"),
    "S1": ("S/m", "conductivity of the electrode phase"),
    "S2": ("S/m", "conductivity of the electrolyte phase"),
    "L": ("1/s", "interfacial mobility L_σ"),
    "Ls": ("1/s", "electrochemical kinetic coefficient L_η"),
    "B": ("1", "barrier height of g = Bη²(1−η)²"),
    "es": ("1", "ε of the electrode phase's grand potential"),
    "el": ("1", "ε of the electrolyte phase's grand potential"),
    "A": ("1", "thermal energy of the dilute grand potentials"),
    "ul": ("1", "free-energy offset of the electrolyte phase"),
    "us": ("1", "free-energy offset of the electrode phase"),
    "AA": ("1/V", "nF/RT"),
    "dv": ("1", "site density ratio electrode/electrolyte"),
    "ft2": ("S*V*s/(m*um2)", "nF c_s of the charge equation"),
    "bv_inverse_c0": ("1", "1/c0 of the Butler–Volmer reduction term"),
    "alpha": ("1", "charge-transfer coefficient α"),
    "mobility_exponent": ("1", "p of the mobility M0 (1−h)^p c_l"),
    "noise_amplitude": ("1/s", "Langevin noise amplitude on the η equation"),
    "length_x": ("um", "domain length along x"),
    "length_y": ("um", "domain length along y"),
    "cells_x": ("1", "cells along x"),
    "cells_y": ("1", "cells along y"),
    "pot_left": ("V", "potential at the electrode-side boundary"),
    "pot_right": ("V", "potential at the electrolyte-side boundary"),
    "eta_left": ("1", "η at the electrode-side boundary"),
    "eta_right": ("1", "η at the electrolyte-side boundary"),
    "w_right": ("1", "w at the electrolyte-side boundary"),
    "ic_front_x": ("um", "initial front position"),
    "ic_front_k": ("1/um", "k of the initial profile ½(1 − tanh k(x − x_f))"),
    "ic_pot_amplitude": ("V", "a of the initial potential a(1 − tanh k(x − x_f))"),
    "ic_w": ("1", "initial chemical potential"),
    "dt": ("s", "time step"),
    "end_time": ("s", "end time"),
    "nl_rel_tol": ("1", "relative Newton tolerance"),
}


def check_card(card: dict[str, Property]) -> None:
    """ValueError unless `card` names every parameter once, each in a unit of its dimension."""
    unknown = sorted(set(card) - set(PARAMETERS))
    missing = sorted(set(PARAMETERS) - set(card))
    if unknown or missing:
        raise ValueError(f"grand-potential card: unknown {unknown}, missing {missing}")
    for name, prop in card.items():
        try:
            prop.si(PARAMETERS[name][0])
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None


@cache
def parameter_cards() -> dict[str, dict[str, Property]]:
    """The named cards shipped in sim/data/grand_potential_cards.yaml, each checked."""
    text = resources.files("sim").joinpath("data/grand_potential_cards.yaml").read_text()
    data, _ = load_yaml(text, "sim/data/grand_potential_cards.yaml")
    cards = {name: {k: Property.model_validate(v) for k, v in card.items()} for name, card in data.items()}
    for card in cards.values():
        check_card(card)
    return cards


RUN_SETTINGS = ("length_x", "length_y", "cells_x", "cells_y", "dt", "end_time", "nl_rel_tol")
"""card entries that record the MOOSE input's mesh and time stepping: a run takes them from its
geometry, physics.time and solver sections (the summary reports both)"""

CHEN_ONLY = (
    "applied_voltage",
    "equilibrium_potential",
    "cathode_concentration",
    "li_anode",
    "li_film_thickness",
    "stress_coupling",
    "mechanics",
    "eigenstrain",
    "cathode_mechanics",
    "filament",
    "coatings",
)
"""keys of the phasefield section the grand-potential model has no use for (its boundary values
are the card's pot_left, pot_right, eta_*, w_right; it has no mechanics)"""


def check_parameters(parameters: str | dict[str, Property]) -> None:
    """ValueError unless `parameters` names a shipped grand-potential card or is a complete one."""
    if isinstance(parameters, str):
        if parameters not in parameter_cards():
            raise ValueError(
                f"unknown grand-potential card '{parameters}'; known: {', '.join(parameter_cards())}"
            )
    else:
        check_card(parameters)


def check_deviations(deviations: dict[str, Property]) -> None:
    """ValueError unless every deviation is a known, unit-correct physics entry with its reason."""
    for name, prop in deviations.items():
        if name not in PARAMETERS:
            raise ValueError(f"unknown grand-potential parameter '{name}'; known: {', '.join(PARAMETERS)}")
        if name in RUN_SETTINGS:
            raise ValueError(
                f"{name} records the MOOSE input's mesh or time stepping and changes nothing: set the "
                f"geometry, physics.time or solver section instead"
            )
        try:
            prop.si(PARAMETERS[name][0])
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if not prop.source or prop.source == "assumed":
            raise ValueError(f"{name}: say why in `source`")


def card(parameters: str | dict[str, Property], deviations: dict[str, Property]) -> dict[str, Property]:
    """The card with the deviations applied."""
    base = parameter_cards()[parameters] if isinstance(parameters, str) else parameters
    return dict(base) | dict(deviations)


def inapplicable(config: Any) -> tuple[tuple, str] | None:
    """(key path, message) of the first key of `config` (a RunConfig with a grand-potential
    phasefield section) that does not apply to the formulation, or None."""
    phys, geometry = config.physics, config.geometry
    if chen := phys.changed(CHEN_ONLY):
        return ("physics", chen[0]), (
            f"{chen[0]} does not apply to formulation grand_potential (boundary values come from the "
            f"card: pot_left, pot_right, eta_left, eta_right, w_right; change them in "
            f"physics.deviations): remove the key"
        )
    if geometry.nuclei:
        return ("geometry", "nuclei"), (
            "formulation grand_potential grows from the card's planar front (ic_front_x): remove the nuclei"
        )
    if geometry.filaments is not None:
        return ("geometry", "filaments"), "formulation grand_potential has no filament region: remove the key"
    return None
