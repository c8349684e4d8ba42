"""What the step experiments (chronoamperometry, galvanostatic) read off a transient NPP run: the
cell current, the cell voltage, c⁺ at the plating electrode, field snapshots and impedance spectra
of the current state (sim.experiments.impedance on sim.experiments.forms.npp_split).

Electrodes are Li metal; the electrode potential of a reversible Li | Li⁺ electrode is the
electrochemical potential of Li⁺ at its surface, φ_e = (RT/F) μ̂⁺ (sim.physics.npp_forms.butler_volmer,
one standard state per cell), so a cell without kinetic overpotential has V = (RT/F)(⟨μ̂⁺⟩_cathode −
⟨μ̂⁺⟩_anode): ohmic drop plus concentration overpotential.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.experiments.forms import npp_split
from sim.experiments.impedance import ImpedanceSolver, Spectrum, frequencies
from sim.mesh import boundary_dofs, boundary_length
from sim.physics.npp import NppProblem, Scales, advance, region_transport
from sim.solve import petsc_options
from sim.units import F

fem = dolfinx.fem


def npp_problem(config, bundle) -> NppProblem:
    """The NPP problem of `config` at its initial (rest) state, scaled as the plain NPP run scales."""
    props = region_transport(config)
    scales = Scales(
        bundle.length_scale,
        max(p.salt_concentration for p in props.values()),
        max(p.d_cation for p in props.values()),
        config.physics.temperature,
    )
    return NppProblem(config, bundle, scales, props)


def rest(problem: NppProblem, height: float) -> int:
    """Bring the cell to rest: the steady state without current (pseudo-transient continuation,
    sim.physics.npp.advance), the Donnan equilibrium of layers with different c0 or fixed charge
    (one film: already there). A fixed flux is switched off meanwhile. Returns the pseudo-steps."""
    fluxes = [getattr(problem, name) for name in ("flux_in", "flux_out") if hasattr(problem, name)]
    held = [float(c.value) for c in fluxes]
    for c in fluxes:
        c.value = 0.0
    steps = advance(problem, None, height).steps
    for c, value in zip(fluxes, held, strict=True):
        c.value = value
    return steps


class Probe:
    """Cell current, voltage and electrode concentrations of an `NppProblem` (collective calls)."""

    def __init__(self, problem: NppProblem) -> None:
        self.problem = problem
        bundle, s = problem.bundle, problem.scales
        mesh = bundle.mesh
        V = fem.functionspace(mesh, ("Lagrange", 1))
        self.c_li, self.phi = fem.Function(V, name="c_li"), fem.Function(V, name="potential")
        points = V.element.interpolation_points
        self._c_expr = fem.Expression(problem.c_p * s.concentration, points)
        self._phi_expr = fem.Expression(problem.psi * s.potential, points)
        fdim = mesh.topology.dim - 1
        mesh.topology.create_connectivity(fdim, fdim + 1)
        dofs = boundary_dofs(bundle, V, "anode")
        self.anode_dofs = dofs[dofs < V.dofmap.index_map.size_local]
        ds, b = problem.ds, bundle.boundaries
        mu_p = ufl.split(problem.w)[0]
        lengths = problem.lengths
        self._mu = {n: fem.form(mu_p / lengths[n] * ds(b[n])) for n in ("anode", "cathode")}
        self._influx = fem.form(problem.influx["cathode"] / lengths["cathode"] * ds(b["cathode"]))
        self.current_unit = F * s.flux
        """A/m² per scaled flux unit"""

    def _sum(self, form) -> float:
        return self.problem.bundle.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def update(self) -> None:
        """Interpolate c⁺ (mol/m³) and the electrolyte potential φ (V) of the current state."""
        self.c_li.interpolate(self._c_expr)
        self.phi.interpolate(self._phi_expr)

    def current(self) -> float:
        """Mean current density through the cathode, A/m² (positive: Li⁺ enters there)."""
        return self._sum(self._influx) * self.current_unit

    def voltage(self) -> float:
        """V = (RT/F)(⟨μ̂⁺⟩_cathode − ⟨μ̂⁺⟩_anode), the voltage of reversible Li electrodes, V."""
        return (self._sum(self._mu["cathode"]) - self._sum(self._mu["anode"])) * self.problem.scales.potential

    def minimum(self, at_anode: bool) -> float:
        """Smallest nodal c⁺ (mol/m³) at the anode or anywhere (after `update`)."""
        values = self.c_li.x.array[self.anode_dofs] if at_anode else self.c_li.x.array
        local = float(values.min()) if values.size else np.inf
        return self.problem.bundle.mesh.comm.allreduce(local, op=MPI.MIN)


@dataclass
class Fitted:
    """A spectrum of the current state and its circuit fit."""

    spectrum: Spectrum
    z: np.ndarray
    """Z in Ω (with an electrode area) or Ω m²"""
    params: dict[str, float]
    residual: float


def fitted_spectrum(config, problem: NppProblem, settings, area: float | None, initial=None) -> Fitted:
    """Spectrum of `problem` about its present state (sim.experiments.impedance) and its
    impedance.py fit with `settings.fit` (started from `initial` parameters when given)."""
    from sim.experiments.report import fit_circuit

    split = npp_split(problem, settings.cdl(), settings.dielectric)
    solver = ImpedanceSolver(split, problem.bundle, petsc_options(config.solver, symmetric=False))
    width = boundary_length(problem.bundle, "cathode") * problem.bundle.length_scale
    spectrum = solver.spectrum(frequencies(settings), width)
    z = spectrum.z_area / (area if area is not None else 1.0)
    fit = settings.fit if initial is None else settings.fit.model_copy(update={"initial_guess": initial})
    params, _, residual = fit_circuit(fit, spectrum.frequency, z)
    return Fitted(spectrum, z, params, residual)


def plot_series(path, t: np.ndarray, panels: list[tuple[np.ndarray, str]], title: str, marks=()) -> None:
    """One figure of stacked panels against time (log-spaced steps: log time axis); `marks` are
    (time, label) vertical lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(len(panels), 1, figsize=(6, 2.2 + 2.0 * len(panels)), dpi=150, sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (y, label) in zip(axes, panels, strict=True):
        ax.plot(t, y, "o-", ms=2.5, lw=1)
        ax.set_ylabel(label)
        ax.set_xscale("log")
        for (when, text), (color, style) in zip(marks, (("k", "--"), ("r", ":")), strict=False):
            ax.axvline(when, color=color, ls=style, lw=1.0, label=text)
    if marks:
        axes[0].legend(fontsize=8)
    axes[0].set_title(title)
    axes[-1].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
