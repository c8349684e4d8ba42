"""Parameter cards of the grand-potential model (sim/data/grand_potential_cards.yaml).

A card maps a parameter name to a `Property` (value, unit, source). Every name has a declared unit
in the scaled system of the MOOSE input (length µm, time s, potential V, energy in RT: "1"); a value
may be given in any unit of the same dimension and is converted to the declared one. The card
`hong2018` states every value of problems/hong2018/Code/input.i (vishankkumar/moose_piglet).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

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


@dataclass(frozen=True)
class Scaled:
    """The coefficients of the forms, in the scaled units (see `PARAMETERS`)."""

    kappa: float
    mobility: float
    reaction: float
    barrier: float
    diffusivity: float
    sigma_electrode: float
    sigma_electrolyte: float
    thermal: float
    eps_electrode: float
    eps_electrolyte: float
    u_electrode: float
    u_electrolyte: float
    nF_RT: float
    site_ratio: float
    charge_density: float
    inverse_c0: float
    alpha: float
    mobility_exponent: float
    noise_amplitude: float


def scaled(card: dict[str, Property]) -> Scaled:
    """The form coefficients of `card`, each converted to its declared unit."""
    check_card(card)
    v = {name: prop.si(PARAMETERS[name][0]) for name, prop in card.items()}
    return Scaled(
        kappa=v["kappa_op"],
        mobility=v["L"],
        reaction=v["Ls"],
        barrier=v["B"],
        diffusivity=v["M0"],
        sigma_electrode=v["S1"],
        sigma_electrolyte=v["S2"],
        thermal=v["A"],
        eps_electrode=v["es"],
        eps_electrolyte=v["el"],
        u_electrode=v["us"],
        u_electrolyte=v["ul"],
        nF_RT=v["AA"],
        site_ratio=v["dv"],
        charge_density=v["ft2"],
        inverse_c0=v["bv_inverse_c0"],
        alpha=v["alpha"],
        mobility_exponent=v["mobility_exponent"],
        noise_amplitude=v["noise_amplitude"],
    )
