"""What an NPP run reports: SI fields, depletion checks, balances, metrics and profiles.

Fields are discontinuous (DG of the element degree): in the electroneutral limit concentrations
and potential jump at interfaces where the immobile-anion concentration jumps (Donnan potential).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

from sim.mesh import boundary_facets
from sim.solve import SolverFailed
from sim.units import F

fem = dolfinx.fem


class NppMetrics(TypedDict):
    """The metrics of an NPP run (SI; per metre of depth where an amount)."""

    current_density_A_m2: float
    anode_li_flux_mean_mol_m2_s: float
    anode_li_flux_cv: float
    anode_li_flux_peak_to_mean: float
    anode_li_depletion: float
    anode_concentration_Li_mol_m3: float
    cathode_concentration_Li_mol_m3: float
    potential_drop_V: float
    mass_balance_rel_error: float
    anion_balance_rel_error: float
    charge_balance_rel_error: float
    min_concentration_Li_mol_m3: float
    max_concentration_Li_mol_m3: float
    min_concentration_anion_mol_m3: float
    max_concentration_anion_mol_m3: float
    min_concentration_mol_m3: float
    electrolyte_asr_ohm_m2: NotRequired[float]
    """with a current only"""
    time_s: NotRequired[float]
    """simulated time (added by the model: 0 for a steady run)"""


@dataclass
class Balance:
    """Initial scaled totals and the scaled Li⁺ that entered through the electrodes since."""

    initial: dict[str, float]
    entered: float = 0.0

    def add(self, amount: float) -> None:
        self.entered += amount


def check_depletion(lows: dict[str, float], threshold: float, t: float) -> None:
    """SolverFailed when a species' lowest concentration (mol/m³; `Li`, `anion`) is below
    `threshold` = depletion_threshold × c0."""
    for species, low in lows.items():
        if low < threshold:
            raise SolverFailed(
                f"{'Li⁺' if species == 'Li' else 'free anion'} depleted at "
                f"t = {t:.4g} s: min concentration {low:.3g} mol/m³ < "
                f"depletion_threshold × c0 = {threshold:.3g} mol/m³ (no steady "
                f"state or transient beyond this point carries the imposed current)"
            )


def sample(functions: list, points: np.ndarray) -> np.ndarray:
    """Values of scalar functions at points (n, 3), NaN outside the mesh; collective."""
    mesh = functions[0].function_space.mesh
    tdim = mesh.topology.dim
    n_owned = mesh.topology.index_map(tdim).size_local
    tree = dolfinx.geometry.bb_tree(mesh, tdim, entities=np.arange(n_owned, dtype=np.int32))
    hits = dolfinx.geometry.compute_colliding_cells(
        mesh, dolfinx.geometry.compute_collisions_points(tree, points), points
    )
    values = np.full((points.shape[0], len(functions)), np.nan)
    found = [i for i in range(points.shape[0]) if len(hits.links(i)) > 0]
    if found:
        cells = np.array([hits.links(i)[0] for i in found], dtype=np.int32)
        for k, f in enumerate(functions):
            values[found, k] = f.eval(points[found], cells).reshape(-1)
    pieces = mesh.comm.allgather(values)
    out = np.full_like(values, np.nan)
    for piece in pieces:
        out = np.where(np.isnan(out), piece, out)
    return out


class NppOutput:
    """SI output functions of an `NppProblem` and everything the run reports from them."""

    def __init__(self, problem) -> None:
        self.problem = problem
        s, mesh = problem.scales, problem.bundle.mesh
        self.comm = mesh.comm
        V = fem.functionspace(mesh, ("DG", problem.config.physics.element_degree))
        self.shift = fem.Constant(mesh, 0.0)
        self.gauge = not problem.poisson_mode and problem.config.physics.reaction.kind in ("flux", "blocking")
        exprs = {
            "concentration_Li_mol_m3": problem.c_p * s.concentration,
            "concentration_anion_mol_m3": problem.c_m * s.concentration,
            "concentration_immobile_anion_mol_m3": problem.fixed * s.concentration,
            "potential_V": (problem.psi - self.shift) * s.potential,
            "li_flux_into_electrolyte_mol_m2_s": None,
        }
        self.functions = {name: fem.Function(V, name=name) for name in exprs}
        self._expressions = {
            name: fem.Expression(e, V.element.interpolation_points)
            for name, e in exprs.items()
            if e is not None
        }
        y = mesh.geometry.x[:, mesh.topology.dim - 1]
        self.electrode_distance = self.comm.allreduce(float(y.max()), op=MPI.MAX) - self.comm.allreduce(
            float(y.min()), op=MPI.MIN
        )

    # -- state -------------------------------------------------------------------------------
    def boundary_mean(self, expr, name: str) -> float:
        p = self.problem
        return p.integral(expr, p.ds(p.bundle.boundaries[name])) / p.lengths[name]

    def update(self) -> None:
        """Interpolate the SI output fields from the current state."""
        if self.gauge:
            self.shift.value = self.boundary_mean(self.problem.psi, "anode")  # type: ignore[assignment]  # setter: any array-like
        for name, expr in self._expressions.items():
            self.functions[name].interpolate(expr)

    def fields(self) -> dict[str, fem.Function]:
        """The written SI fields (concentrations, potential) of the current state."""
        self.update()
        return {n: f for n, f in self.functions.items() if n.startswith(("conc", "pot"))}

    def start_balance(self) -> Balance:
        return Balance(self.problem.totals())

    def _extreme(self, name: str, op) -> float:
        a = self.functions[name].x.array
        local = (a.min() if op is MPI.MIN else a.max()) if a.size else (np.inf if op is MPI.MIN else -np.inf)
        return self.comm.allreduce(float(local), op=op)

    def check_depletion(self, t: float) -> None:
        """SolverFailed when Li⁺ or free anions fall below the depletion threshold × c0."""
        self.update()
        lows = {sp: self._extreme(f"concentration_{sp}_mol_m3", MPI.MIN) for sp in ("Li", "anion")}
        check_depletion(
            lows, self.problem.config.physics.depletion_threshold * self.problem.scales.concentration, t
        )

    def depletion_state(self) -> str:
        self.update()
        return (
            f"last accepted state: min Li⁺ {self._extreme('concentration_Li_mol_m3', MPI.MIN):.3g} "
            f"mol/m³, min free anion {self._extreme('concentration_anion_mol_m3', MPI.MIN):.3g} mol/m³"
        )

    # -- reports -----------------------------------------------------------------------------
    def metrics(self, balance: Balance) -> NppMetrics:
        p, s = self.problem, self.problem.scales
        self.update()
        plating = -p.influx["anode"]
        mean = self.boundary_mean(plating, "anode")
        var = self.boundary_mean((plating - mean) ** 2, "anode")
        totals = p.totals()
        li0 = balance.initial["li"]
        c_anode = self.boundary_mean(p.c_p, "anode")
        li, anion = "concentration_Li_mol_m3", "concentration_anion_mol_m3"
        m = NppMetrics(
            current_density_A_m2=F * mean * s.flux,
            anode_li_flux_mean_mol_m2_s=mean * s.flux,
            anode_li_flux_cv=float(np.sqrt(max(var, 0.0)) / abs(mean)) if mean else 0.0,
            anode_li_flux_peak_to_mean=float(np.nanmax(self.anode_flux()[2]) / (mean * s.flux))
            if mean
            else 1.0,
            anode_li_depletion=1.0 - c_anode / self.boundary_mean(p.c0, "anode"),
            anode_concentration_Li_mol_m3=c_anode * s.concentration,
            cathode_concentration_Li_mol_m3=self.boundary_mean(p.c_p, "cathode") * s.concentration,
            potential_drop_V=(self.boundary_mean(p.psi, "cathode") - self.boundary_mean(p.psi, "anode"))
            * s.potential,
            mass_balance_rel_error=abs(totals["li"] - li0 - balance.entered) / li0,
            anion_balance_rel_error=abs(totals["anion"] - balance.initial["anion"])
            / balance.initial["anion"],
            charge_balance_rel_error=abs(totals["charge"] - balance.initial["charge"] - balance.entered)
            / li0,
            min_concentration_Li_mol_m3=self._extreme(li, MPI.MIN),
            max_concentration_Li_mol_m3=self._extreme(li, MPI.MAX),
            min_concentration_anion_mol_m3=self._extreme(anion, MPI.MIN),
            max_concentration_anion_mol_m3=self._extreme(anion, MPI.MAX),
            min_concentration_mol_m3=min(self._extreme(li, MPI.MIN), self._extreme(anion, MPI.MIN)),
        )
        if m["current_density_A_m2"]:
            m["electrolyte_asr_ohm_m2"] = m["potential_drop_V"] / m["current_density_A_m2"]
        return m

    def anode_flux(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, Li⁺ plating flux) at the anode facet midpoints, sorted by x; collective."""
        p = self.problem
        mesh = p.bundle.mesh
        fdim = mesh.topology.dim - 1
        flux = self.functions["li_flux_into_electrolyte_mol_m2_s"]
        flux.interpolate(
            fem.Expression(
                -p.influx["anode"] * p.scales.flux, flux.function_space.element.interpolation_points
            )
        )
        facets = boundary_facets(p.bundle, "anode")
        facets = facets[facets < mesh.topology.index_map(fdim).size_local]
        mesh.topology.create_connectivity(fdim, fdim + 1)
        f2c = mesh.topology.connectivity(fdim, fdim + 1)
        x = dolfinx.mesh.compute_midpoints(mesh, fdim, facets) if facets.size else np.zeros((0, 3))
        cells = np.array([f2c.links(f)[0] for f in facets], dtype=np.int32)
        values = flux.eval(x, cells).reshape(-1) if facets.size else np.zeros(0)
        data = np.column_stack([x[:, 0], x[:, 1], values]) if facets.size else np.zeros((0, 3))
        data = np.concatenate(self.comm.allgather(data))
        data = data[np.argsort(data[:, 0])]
        scale = p.scales.length
        return data[:, 0] * scale, data[:, 1] * scale, data[:, 2]

    def profiles(self) -> dict:
        """Potential and concentrations along the central axis (seed 001 Fig. S27); anode flux."""
        p, mesh = self.problem, self.problem.bundle.mesh
        self.update()
        xs = mesh.geometry.x
        lo = [self.comm.allreduce(float(xs[:, i].min()), op=MPI.MIN) for i in (0, 1)]
        hi = [self.comm.allreduce(float(xs[:, i].max()), op=MPI.MAX) for i in (0, 1)]
        y = np.linspace(lo[1], hi[1], 201)
        points = np.column_stack([np.full_like(y, 0.5 * (lo[0] + hi[0])), y, np.zeros_like(y)])
        names = ["potential_V", "concentration_Li_mol_m3", "concentration_anion_mol_m3"]
        values = sample([self.functions[n] for n in names], points)
        keep = ~np.isnan(values[:, 0])
        axis = {"y_m": (y[keep] * p.scales.length).tolist()}
        axis |= {n: values[keep, k].tolist() for k, n in enumerate(names)}
        x_a, y_a, flux = self.anode_flux()
        return {
            "central_axis": axis,
            "anode_flux": {"x_m": x_a.tolist(), "y_m": y_a.tolist(), "li_flux_mol_m2_s": flux.tolist()},
        }

    def plots(self) -> dict:
        self.update()
        return {
            n: self.functions[n]
            for n in ("concentration_Li_mol_m3", "concentration_anion_mol_m3", "potential_V")
        }
