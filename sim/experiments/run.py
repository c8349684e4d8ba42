"""`experiment: impedance` in the run loop: state → linearisation → spectrum → csv, figures, fit."""

from __future__ import annotations

import numpy as np

from sim.experiments.forms import conduction_split, npp_split
from sim.experiments.impedance import ImpedanceSolver, Spectrum, frequencies
from sim.mesh import boundary_length
from sim.solve import RunResult, petsc_options


def _npp_state(config, bundle, ctx):
    """The NPP problem at the state to linearise about (steady: pseudo-transient continuation)."""
    from sim.experiments.transient import npp_problem
    from sim.physics.npp import advance

    problem = npp_problem(config, bundle)
    if config.experiment.state == "steady":
        height = _electrode_distance(bundle) * problem.scales.length
        stats = advance(problem, None, height, tolerance=config.physics.steady_tolerance)
        ctx.log(f"steady state after {stats.steps} pseudo-time steps")
    return problem


def _electrode_distance(bundle) -> float:
    from sim.physics.conduction import electrode_distance

    return electrode_distance(bundle.mesh)


def linearise(config, bundle, ctx):
    """The model's ResidualSplit at the experiment's state."""
    exp = config.experiment
    if config.physics.kind == "conduction":
        return conduction_split(config, bundle, exp.cdl(), exp.dielectric)
    if config.physics.kind == "cathode":  # the composite cathode, at rest
        from sim.experiments.cathode_split import cathode_split

        return cathode_split(config, bundle, exp.cdl(), exp.dielectric)
    return npp_split(_npp_state(config, bundle, ctx), exp.cdl(), exp.dielectric)


def has_dc_limit(config) -> bool:
    """Z(0) is finite unless a double layer blocks the direct current (or, in a composite cathode,
    the particles: a finite Li store is a capacitor at ω → 0)."""
    exp, phys = config.experiment, config.physics
    if phys.kind == "cathode":
        return False
    if exp.double_layer_capacitance is None:
        return True
    return phys.kind == "npp" and phys.reaction.kind == "butler_volmer"


def probed_frequencies(exp) -> np.ndarray:
    """The log-spaced list with the probe frequencies merged in, highest first."""
    return np.unique(np.concatenate([frequencies(exp), exp.probe_frequencies]))[::-1]


def impedance_spectrum(config, bundle, ctx) -> tuple[Spectrum, complex | None]:
    """Z × area (Ω m²) over the configured frequencies, and at ω = 0 when it is finite."""
    split = linearise(config, bundle, ctx)
    options = petsc_options(config.solver, symmetric=False)
    solver = ImpedanceSolver(split, bundle, options)
    width = boundary_length(bundle, "cathode") * bundle.length_scale
    exp = config.experiment
    f = probed_frequencies(exp)
    ctx.log(f"impedance: {solver.num_dofs} unknowns (real 2×2 blocks), {f.size} frequencies")
    spectrum = solver.spectrum(f, width)
    z_dc = solver.spectrum(np.zeros(1), width).z_area[0] if has_dc_limit(config) else None
    return spectrum, z_dc


def run(config, bundle, ctx) -> RunResult:
    """Run the configured experiment: a spectrum (impedance), or a potential or current step."""
    from sim.experiments.report import report

    if config.experiment.kind != "impedance":
        from sim.experiments import steps

        return getattr(steps, config.experiment.kind)(config, bundle, ctx)

    spectrum, z_dc = impedance_spectrum(config, bundle, ctx)
    return report(config, bundle, ctx, spectrum, z_dc, _electrode_distance(bundle) * bundle.length_scale)
