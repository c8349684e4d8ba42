"""Config of the composite cathode (seed 003, DESIGN 3.2, `physics.kind: cathode`;
sim.physics.npp_cathode)."""

from __future__ import annotations

from typing import Literal

from sim.config.base import NonNegative, Positive, Strict, Temperature
from sim.config.npp import DepletionThreshold
from sim.config.time import TimeConfig


class ParticleInterface(Strict):
    """Thin-interface transfer of Li⁺ from the binder into active particles (seed 003):
    j = k (c_binder − c_particle/K) across the particle surface."""

    transfer_coefficient: Positive
    """k, m/s"""
    partition_coefficient: Positive = 1.0
    """K: c_particle/c_binder when the interface is at equilibrium"""
    particle_initial_concentration: NonNegative = 0.0
    """Li in the particles at t = 0, mol/m³"""


class CathodePhysics(Strict):
    """A composite electrode on a `particles` geometry: electroneutral Nernst–Planck for Li⁺ and
    free anions in the binder (immobile anions from the card), Li diffusion in the particles, the
    thin-interface transfer between them; the separator side (y = 0) is a salt reservoir at the
    binder card's c0, the current collector and the pores block all species."""

    kind: Literal["cathode"]
    temperature: Temperature = 298.15
    """temperature, K (σ(T) of the binder card is evaluated here)"""
    interface: ParticleInterface
    """binder ↔ particle transfer across `particle_surface`"""
    time: TimeConfig | None = None
    """the transient window (the composite cathode has no steady state: the particles fill up);
    required, except in an impedance experiment, which linearises at rest"""
    element_degree: Literal[1, 2] = 1
    """Lagrange degree of all fields"""
    depletion_threshold: DepletionThreshold = 1e-3
    """stop (exit 3) when Li⁺ or free anions in the binder fall below this fraction of c0 (after
    every accepted step)"""
