"""Parameter cards of the grand-potential model (sim/data/grand_potential_cards.yaml; read and
checked by sim.config.grand_potential) converted to the coefficients of the forms.

A card maps a parameter name to a `Property` (value, unit, source). Every name has a declared unit
in the scaled system of the MOOSE input (length µm, time s, potential V, energy in RT: "1"); a value
may be given in any unit of the same dimension and is converted to the declared one. The card
`hong2018` states every value of problems/hong2018/Code/input.i (vishankkumar/moose_piglet).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.grand_potential import PARAMETERS, check_card, parameter_cards
from sim.config.materials import Property

__all__ = ["PARAMETERS", "Scaled", "check_card", "parameter_cards", "scaled"]


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
