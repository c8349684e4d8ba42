"""The electroneutral phase-field model as a `Model` (sim.physics.model): running balances after each
accepted step (Li, anions, counter-electrode charge vs deposited Li), metrics, SI fields, figures."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, NotRequired

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.adaptive import shift_root
from sim.checkpoint import CHECKPOINT
from sim.mesh import assembled, boundary_cells, boundary_flux, boundary_indicator
from sim.physics import mechanics as mech
from sim.physics import phasefield as pf
from sim.physics.dendrite import band_indicator, check_interface, filament_summary, phase_on
from sim.physics.electroneutral import forms
from sim.physics.electroneutral.problem import ElectroneutralProblem
from sim.physics.model import CAPABILITIES, Capabilities, ModelResult, TransientModel
from sim.physics.phasefield_front import (
    FrontMetrics,
    Snapshots,
    check_counter_electrode,
    early_stop,
    front_metrics,
    front_shape,
    growth_plot,
    late_slope,
)
from sim.timestep import TimeStats
from sim.units import F

fem = dolfinx.fem


class ElectroneutralMetrics(FrontMetrics):
    """The metrics of an electroneutral phase-field run (SI; amounts and charges per metre of depth)."""

    dendrite_height_m: float
    dendrite_growth_m: float
    li_area_m2: float
    """∫h(ξ): the metal (c_s h(ξ) of Li)"""
    tip_velocity_m_s: float
    interface_roughness_m: float
    passed_charge_C_m: float
    """through the counter electrode (cathode)"""
    deposited_li_mol_m: float
    faraday_rel_error: float
    """|deposited Li − passed charge/F| / deposited Li"""
    charge_balance_rel_error: float
    """max per step of |counter-electrode charge/F − deposited Li| / Li inventory"""
    li_balance_rel_error: float
    """max per step of |Δ Li inventory − Li⁺ in through the cathode| / Li inventory"""
    anion_balance_rel_error: float
    """max per step of |Δ anion amount| / anion amount (blocked at both electrodes)"""
    time_s: float
    num_steps: int
    rejected_steps: int
    newton_iterations: int
    newton_per_step: float
    min_electrolyte_concentration_mol_m3: float
    max_electrolyte_concentration_mol_m3: float
    immobile_anion_fraction: float
    interface_width_m: float
    interface_elements: float
    max_hydrostatic_stress_Pa: NotRequired[float]
    """max |σ_h| (mechanics: staggered)"""
    max_von_mises_stress_Pa: NotRequired[float]


class Balances:
    """Inventories, the consistent Li⁺ flux through the cathode and the front after each step."""

    def __init__(self, problem: ElectroneutralProblem, initial: bool = True) -> None:
        """`initial`: record t = 0 now (False: a transferred or resumed state brings its history,
        `ElectroneutralModel.restore`)."""
        m = self.m = problem
        self.comm = m.W.mesh.comm
        xi = ufl.split(m.U)[0]
        amounts = forms.inventories(xi, m.c_p, m.c_ratio, m.dx, m.transport["host"], m.transport["mask"])
        self.inventory = {k: fem.form(f) for k, f in amounts.items()}
        self.prev = fem.Function(m.W)  # the state of the previous record (U_n is overwritten on accept)
        w = boundary_indicator(m.W, m.bundle, "cathode", (1,))
        band = boundary_cells(m.bundle, "cathode")
        self.inflow = fem.form(boundary_flux(m.forms["li"], w, band, {m.U_n: self.prev}))
        front = ["t_s", "height_m", "li_area_m2", "roughness_m", "mean_front_m", "charge_C_m"]
        keys = [*front, "li", "anion", "metal", "inflow"]  # inflow: scaled Li⁺ through the cathode
        self.history: dict[str, list[float]] = {k: [] for k in keys}
        self.worst = {"li": 0.0, "anion": 0.0, "charge": 0.0}
        self.sync()
        if initial:
            self.record(0.0, 0.0)

    def sync(self) -> None:
        self.prev.x.array[:] = self.m.U.x.array

    def record(self, t: float, dt: float) -> None:
        h, ell = self.history, self.m.bundle.length_scale
        amounts = {k: assembled(f) for k, f in self.inventory.items()}
        inflow = dt * assembled(self.inflow) if dt > 0 else 0.0
        if h["t_s"]:
            li0, anion0 = h["li"][0], h["anion"][0]
            self.worst["li"] = max(self.worst["li"], abs(amounts["li"] - h["li"][-1] - inflow) / li0)
            self.worst["anion"] = max(self.worst["anion"], abs(amounts["anion"] - h["anion"][-1]) / anion0)
            deposit = self.m.c_ratio * (amounts["metal"] - h["metal"][-1])
            self.worst["charge"] = max(self.worst["charge"], abs(inflow - deposit) / li0)
        m = self.m
        height, mean, rough = front_shape(
            self.comm, m.V0, m.U.x.array[m.xi_dofs], m.geometry.width / m.bundle.length_scale
        )
        values = amounts | {
            "t_s": t,
            "height_m": height * ell,
            "li_area_m2": amounts["metal"] * ell**2,
            "roughness_m": rough * ell,
            "mean_front_m": mean * ell,
            "inflow": (h["inflow"][-1] if h["t_s"] else 0.0) + inflow,
        }
        # through the counter electrode, C/m (the key sim compare plots against, as chen2015's)
        values["charge_C_m"] = values["inflow"] * self.m.scale["c0"] * ell**2 * F
        for key, value in values.items():  # all at once: an interrupt leaves the history consistent
            h[key].append(value)
        self.sync()

    def metrics(self, stats: TimeStats) -> dict[str, float]:
        h, m = self.history, self.m
        ell, c0 = m.bundle.length_scale, m.scale["c0"]
        height = np.array(h["height_m"])
        deposited = m.c_ratio * (h["metal"][-1] - h["metal"][0]) * c0 * ell**2  # mol per m depth
        passed = h["inflow"][-1] * c0 * ell**2  # mol per m depth
        c_p = self._nodal_c() * c0
        electrolyte = c_p[m.U.x.array[m.xi_dofs] < 0.5]

        def low(values: np.ndarray) -> float:
            return self.comm.allreduce(float(values.min()) if values.size else np.inf, op=MPI.MIN)

        def high(values: np.ndarray) -> float:
            return self.comm.allreduce(float(values.max()) if values.size else -np.inf, op=MPI.MAX)

        return {
            "dendrite_height_m": height[-1],
            "dendrite_growth_m": height[-1] - height[0],
            "li_area_m2": h["li_area_m2"][-1],
            "tip_velocity_m_s": late_slope(h["t_s"], h["height_m"]),
            **front_metrics(h),
            "interface_roughness_m": h["roughness_m"][-1],
            "passed_charge_C_m": passed * F,
            "deposited_li_mol_m": deposited,
            "faraday_rel_error": abs(deposited - passed) / max(abs(deposited), 1e-300),
            "charge_balance_rel_error": self.worst["charge"],
            "li_balance_rel_error": self.worst["li"],
            "anion_balance_rel_error": self.worst["anion"],
            "time_s": stats.t,
            "num_steps": stats.steps,
            "rejected_steps": stats.rejected_steps,
            "newton_iterations": stats.newton_iterations,
            "newton_per_step": stats.newton_iterations / max(stats.steps, 1),
            "min_electrolyte_concentration_mol_m3": low(electrolyte),
            "max_electrolyte_concentration_mol_m3": high(electrolyte),
            "immobile_anion_fraction": m.fixed,
        }

    def _nodal_c(self) -> np.ndarray:
        """ĉ⁺ at the P1 nodes (in V0's order)."""
        m = self.m
        f = fem.Function(m.V0)
        f.interpolate(fem.Expression(m.c_p, m.V0.element.interpolation_points))
        return f.x.array


class FieldOutput:
    """SI fields: ξ, Li⁺ and free-anion concentrations, electrolyte potential (P1); with mechanics
    the displacement (P1 vector) and σ_h, von Mises (DG0), as chen2015's."""

    NAMES = ("phase_field_xi", "concentration_Li_mol_m3", "concentration_anion_mol_m3", "potential_V")

    def __init__(self, problem: ElectroneutralProblem) -> None:
        m = problem
        self.xi_dofs, self.U = m.xi_dofs, m.U
        self.functions = [fem.Function(m.V0, name=n) for n in self.NAMES]
        points = m.V0.element.interpolation_points
        self.exprs = [
            fem.Expression(e, points)
            for e in (m.c_p * m.scale["c0"], m.c_m * m.scale["c0"], m.psi * m.scale["rt_f"])
        ]
        self.mechanical: list[tuple[fem.Function, Any]] = []
        sigma = m.stress()
        if sigma is not None:
            mesh = m.bundle.mesh
            Vu = fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
            u = fem.Function(Vu, name="displacement_m")
            self.mechanical.append(
                (u, fem.Expression(m.u * m.bundle.length_scale, Vu.element.interpolation_points))
            )
            Q = fem.functionspace(mesh, ("DG", 0))
            for name, expr in (
                ("hydrostatic_stress_Pa", mech.hydrostatic(sigma)),
                ("von_mises_stress_Pa", mech.von_mises(sigma)),
            ):
                self.mechanical.append(
                    (fem.Function(Q, name=name), fem.Expression(expr, Q.element.interpolation_points))
                )

    def update(self) -> None:
        self.functions[0].x.array[:] = self.U.x.array[self.xi_dofs]
        for f, expr in zip(self.functions[1:], self.exprs, strict=True):
            f.interpolate(expr)
        for f, expr in self.mechanical:
            f.interpolate(expr)

    def groups(self) -> list[list[fem.Function]]:
        """One list per output file (one function space each)."""
        if not self.mechanical:
            return [self.functions]
        return [self.functions, [self.mechanical[0][0]], [f for f, _ in self.mechanical[1:]]]

    def plots(self) -> dict[str, fem.Function]:
        """The scalar fields (the displacement has no map)."""
        return {f.name: f for group in self.groups() for f in group if f.name != "displacement_m"}

    def plot_options(self) -> dict[str, dict[str, Any]]:
        """Every map shows ξ = ½; concentrations and potential are blank in the metal (ξ > ½)."""
        xi = self.functions[0]
        return {
            name: {"interface": xi, "mask_metal": f in self.functions[1:]} for name, f in self.plots().items()
        }


class ElectroneutralModel(ElectroneutralProblem, TransientModel):
    """The electroneutral phase-field model (sim.physics.electroneutral.problem: its step/accept/
    reject) with its balances and fields as a `TransientModel` (sim.physics.model)."""

    label = "phase field (electroneutral)"
    fields_on_failure = True

    def __init__(
        self, config: Any, bundle: Any, ctx: Any, checks: dict[str, float] | None = None, initial: bool = True
    ) -> None:
        """`initial`: False for a model whose state is about to be set (a mesh transfer, a
        checkpoint): the relaxation of ξ0 (`initial_state`) is then not run."""
        phys = self.phys = config.physics
        self.checks = checks or check_interface(phys, config.geometry, bundle)
        ctx.log(
            f"interface width √(2κ0/W) = {self.checks['interface_width_m'] * 1e6:.3g} µm, "
            f"{self.checks['interface_elements']:.3g} elements across it"
        )
        super().__init__(config, bundle)
        tp = self.salt
        ctx.log(
            f"electrolyte: σ = {tp.conductivity:.4g} S/m, t⁺ = {tp.transference_number:.3g}, "
            f"D⁺ = {tp.d_cation:.4g}, D⁻ = {tp.d_anion:.4g} m²/s, immobile anion fraction "
            f"{tp.immobile_fraction:.3g}; {self.num_dofs} dofs, mechanics {phys.mechanics}, stress "
            f"coupling {phys.stress_coupling}"
        )

        def label(material) -> str:
            if material is None:
                return "electrolyte card"
            return material if isinstance(material, str) else "inline card"

        for coat, band in zip(phys.coatings, self.band_cards, strict=True):
            ctx.log(
                f"coating {coat.name} ({label(coat.material)}, {coat.y0 * 1e6:.3g}–"
                f"{coat.y1 * 1e6:.3g} µm): σ = {band.conductivity:.4g} S/m, D⁺ = {band.d_cation:.4g}, "
                f"D⁻ = {band.d_anion:.4g} m²/s, immobile anion fraction {band.immobile_fraction:.3g}"
            )
        if initial:
            self.initial_state()
        self.counter_dofs = self.boundary_dofs(0, "cathode")
        """ξ's entries of U on the counter electrode (cathode)"""
        self.balances, self.fields = Balances(self, initial), FieldOutput(self)
        self.snaps = Snapshots(phys.time.t_end, phys.snapshots)
        self.checkpoint_path = str(ctx.out / CHECKPOINT)

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["phasefield"]

    def state(self) -> list:
        return [self.U] + ([self.u] if self.mechanics == "staggered" else [])

    def checkpoint_state(self) -> dict:
        return {"U": self.U_n, "U_previous": self.local_error.previous, "xi0": self.xi0} | (
            {"u": self.u_n} if self.mechanics == "staggered" else {}
        )

    def checkpoint_data(self) -> dict[str, Any]:
        return {
            "history": self.balances.history,
            "worst": self.balances.worst,
            "snapshots": self.snaps.times,
        }

    def restore(self, data: dict[str, Any], stats: TimeStats) -> bool:
        self.balances.sync()
        self.balances.history, self.balances.worst = data["history"], data["worst"]
        self.snaps.restore(data.get("snapshots"), stats.t)
        self.local_error.restore(stats.dt)
        return early_stop(self.phys, self.balances.history) is not None

    def observe(self, stats: TimeStats) -> bool:
        """Record the step; True (end the run) once `stop_at_tip` or `stop_at_charge` is reached.
        SolverFailed once ξ on the counter electrode exceeds COUNTER_ELECTRODE_PHASE
        (`check_counter_electrode`)."""
        self.balances.record(stats.t, stats.dt)
        check_counter_electrode(self.U_n.x.array[self.counter_dofs], self.bundle.mesh.comm, stats.t)
        return self.snaps.end_early(stats.t, early_stop(self.phys, self.balances.history))

    def metrics(self, stats: TimeStats) -> ElectroneutralMetrics:
        values = self.balances.metrics(stats) | {
            "interface_width_m": float(self.checks["interface_width_m"]),
            "interface_elements": float(self.checks["interface_elements"]),
        }
        sigma = self.stress()
        if sigma is not None:
            # ufl attaches __abs__ to Expr at import, unseen by the type checker
            values["max_hydrostatic_stress_Pa"] = self._max(abs(mech.hydrostatic(sigma)))  # type: ignore[arg-type]
            values["max_von_mises_stress_Pa"] = self._max(mech.von_mises(sigma))
        return ElectroneutralMetrics(**values)  # type: ignore[typeddict-item]

    def _max(self, expr) -> float:
        """Global maximum of a UFL expression interpolated cell-wise (DG0)."""
        f = fem.Function(fem.functionspace(self.bundle.mesh, ("DG", 0)))
        f.interpolate(fem.Expression(expr, f.function_space.element.interpolation_points))
        local = float(f.x.array.max()) if f.x.array.size else 0.0
        return self.bundle.mesh.comm.allreduce(local, op=MPI.MAX)

    def output_fields(self) -> list[dict]:
        self.fields.update()
        return [{f.name: f for f in group} for group in self.fields.groups()]

    def snapshots(self, t: float) -> dict[str, tuple[Any, str, dict[str, Any]]]:
        return self.snaps.due(t, self.fields.functions[0], "ξ", "xi")

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        return {"time_stepping": stats.as_dict(), "checkpoint": self.checkpoint_path}

    def result(self, stats: TimeStats) -> ModelResult:
        history = self.balances.history
        tp = self.salt
        return ModelResult(
            plots=self.fields.plots(),
            plot_options=self.fields.plot_options(),
            extra={
                "history": history,
                "stopped_early": early_stop(self.phys, history),
                "time_stepping": stats.as_dict(),
                "parameters": {k: p.model_dump() for k, p in self.phys.card().items()},
                **filament_summary(self.phys, self.bundle),
                "electrolyte_transport": {
                    "conductivity_S_m": tp.conductivity,
                    "transference_number": tp.transference_number,
                    "salt_concentration_mol_m3": tp.salt_concentration,
                    "d_cation_m2_s": tp.d_cation,
                    "d_anion_m2_s": tp.d_anion,
                    "immobile_fraction": tp.immobile_fraction,
                },
            },
            figures={"dendrite_growth.png": lambda path: growth_plot(history, path)},
        )

    # ---- sim.adaptive.Adaptable: moving the model to an adapted mesh ---------------------------
    def indicator(self) -> fem.Function:
        return band_indicator(self.V0, self.U_n, self.xi_dofs)

    def phase(self) -> fem.Function:
        return phase_on(self.V0, self.U_n, self.xi_dofs)

    def inventories(self) -> dict[str, float]:
        """Of the accepted state (scaled): the metal ∫h(ξ), the Li⁺ in the electrolyte ∫εĉ⁺ (= all
        anions, free and immobile: electroneutrality) and the free anions ∫εĉ⁻ = ∫εĉ⁺ − ĉ_f∫ε. The
        Li inventory ∫(εĉ⁺ + (c_s/c0)h) follows from the first two, and ∫ε is affine in ∫h, so
        restoring ∫h and ∫εĉ⁺ restores all of them (the immobile anions ĉ_f∫ε with them; with
        coating bands while each band keeps its area: a band is the cells whose midpoints lie in
        it, so its edges, and ∫ĉ_f ε, move by up to a coarse cell where they are refined)."""
        return {name: assembled(form) for name, form in self._adapt_forms["inventories"].items()}

    @cached_property
    def _adapt_forms(self) -> dict[str, Any]:
        """The inventories of U_n, and for the corrections ξ → ξ + a ξ(1 − ξ), μ̂⁻ → μ̂⁻ + b: ∫h and
        ∫εĉ⁺ of the shifted state with their derivatives in a and b (a, b: constants, 0 unless
        solving; ξ(1 − ξ) the nodal values in `band`, as the correction applies it)."""
        mesh = self.bundle.mesh
        xi, mu_p, mu_m = ufl.split(self.U_n)
        a, b, band = fem.Constant(mesh, 0.0), fem.Constant(mesh, 0.0), fem.Function(self.V0)
        shifted = ufl.variable(xi + a * band)
        metal = self.transport["mask"]  # no metal on filament cells
        h = metal * pf.interpolation(shifted)
        mu_b = ufl.variable(mu_m + b)
        fixed = self.transport["fixed"]
        c_p = forms.salt(mu_p, mu_b, fixed)[0]
        c_p_n, c_m_n, _ = forms.salt(mu_p, mu_m, fixed)
        eps = forms.electrolyte_fraction(xi) * self.transport["host"]
        dx = self.dx
        return {
            "a": a,
            "b": b,
            "band": band,
            "inventories": {
                "metal": fem.form(metal * pf.interpolation(xi) * dx),
                "li_ion": fem.form(eps * c_p_n * dx),
                "free_anion": fem.form(eps * c_m_n * dx),
            },
            "metal": (fem.form(h * dx), fem.form(ufl.diff(h, shifted) * band * dx)),
            "li_ion": (fem.form(eps * c_p * dx), fem.form(eps * ufl.diff(c_p, mu_b) * dx)),
        }

    def _shift(self, name: str, target: float) -> float:
        """The constant (a for "metal", b for "li_ion") at which the shifted inventory equals
        `target`: Newton on the scalar (∫h and ∫εĉ⁺ are monotone in it), to round-off."""
        f = self._adapt_forms
        return shift_root(f["a"] if name == "metal" else f["b"], f[name], target)

    def correct(self, targets: Mapping[str, float]) -> dict[str, float]:
        """Relax the metal side of the transferred ξ without reaction, as the start does
        (`_relax_phase`: interpolated, it is not the discrete equilibrium there, and relaxing during
        the next step grows metal where no Li⁺ can supply it). Then restore ∫h(ξ) by
        ξ += a ξ(1 − ξ) (a shift of the front within the interface, none in the bulk phases or at
        ξ = 1 on the anode), and ∫εĉ⁺ by a uniform μ̂⁻ += b (ĉ⁺ ĉ⁻ scaled by e^b everywhere;
        μ̂⁺ = 0 at the counter electrode is kept); a and b by scalar Newton, since h and
        ĉ⁺(μ̂⁺ + μ̂⁻) are nonlinear. Returns the relative change of each inventory."""
        self._relax_phase()
        self.U_n.x.array[:] = self.U.x.array
        before = self.inventories()
        xi = self.U_n.x.array[self.xi_dofs]
        band = self._adapt_forms["band"]
        band.x.array[:] = xi * (1 - xi)
        a = self._shift("metal", targets["metal"])
        self.U_n.x.array[self.xi_dofs] = xi + a * band.x.array
        b = self._shift("li_ion", targets["li_ion"])
        self.U_n.x.array[self.sub_dofs[2]] += b
        self.U_n.x.scatter_forward()
        self.reject()
        self.balances.sync()
        return {name: abs(targets[name] - before[name]) / abs(targets[name]) for name in before}
