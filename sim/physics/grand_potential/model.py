"""The grand-potential phase-field model (`physics.formulation: grand_potential`) on the model
protocol (sim.physics.model), run by sim.loop like every model.

Unknowns (w, η, φ) of `forms` on a `dendrite` mesh without nuclei, in the scaled units of the MOOSE
input (µm, s, V, RT): the input's x (electrode → electrolyte) is the mesh's y. Boundary conditions
of problems/hong2018/Code/input.i: anode (y = 0, the input's `left`) η = eta_left, φ = pot_left,
zero flux of w; cathode (top, `right`) η = eta_right, φ = pot_right, w = w_right; walls zero flux.
Initial state: the input's planar tanh front at ic_front_x. Time: backward Euler (the input: BDF2),
w with the conservative time derivative (Li conserved per step). Noise: the input's LangevinNoise,
amplitude × U(−1, 1) per cell and step, drawn from (noise_seed, step number) by original cell
index (`forms.draw_noise`): the same on any number of ranks and after a resume. With
`physics.noise_reference_dt` the amplitude is scaled by √(dt_ref/Δt) of the step
(`forms.noise_amplitude`: a Wiener increment, so the noise's integrated effect does not depend on
Δt): a departure from input.i for Δt ≠ dt_ref, which lets Δt grow past the input's 0.02 s.

Charge: the consistent boundary currents (residual rows of φ on the electrodes) give the current
into the cell at the cathode and out of it through the Li electrode; their difference is the charge
the model consumes, nF c_s d∫η/dt (the single potential lets part of the current pass ohmically
through the diffuse interface into the Li: `ohmic_share`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI

from sim.adaptive import shift_root
from sim.checkpoint import CHECKPOINT
from sim.mesh import (
    LENGTH_SCALE,
    assembled,
    boundary_cells,
    boundary_dofs,
    boundary_flux,
    boundary_indicator,
)
from sim.physics.dendrite import band_indicator, check_interface, phase_on
from sim.physics.grand_potential import forms
from sim.physics.grand_potential.card import PARAMETERS, scaled
from sim.physics.grand_potential.noise import LatticeNoise
from sim.physics.model import CAPABILITIES, Capabilities, ModelResult, StepOutcome, TimeStats, TransientModel
from sim.physics.phasefield_front import (
    FrontMetrics,
    Snapshots,
    early_stop,
    front_metrics,
    front_shape,
    growth_plot,
    late_slope,
)
from sim.solve import SolverFailed, petsc_options
from sim.timestep import LocalError, newton_solve
from sim.units import F

fem = dolfinx.fem
UM = 1e-6
QUADRATURE_DEGREE = 4
"""as the Chen-type model (sim.physics.dendrite): UFL's estimate for the exp/ln integrands is 10+"""
HISTORY = (
    "t_s",
    "height_m",
    "mean_front_m",
    "li_area_m2",
    "cathode_charge_C_m",
    "anode_charge_C_m",
    "li_inflow",
    "content",
)


class GrandPotentialMetrics(FrontMetrics):
    """Metrics of a grand-potential run (SI; areas, amounts and charges per metre of depth)."""

    dendrite_height_m: float
    """highest point of η = ½ above the electrode"""
    tip_velocity_m_s: float
    """slope of the tip position over the last quarter of the run"""
    li_area_m2: float
    """∫η dA"""
    deposited_li_mol_m: float
    """c_s Δ∫η dA, c_s = ft2/F"""
    cathode_charge_C_m: float
    """charge into the cell through the counter electrode (the cathode boundary)"""
    anode_charge_C_m: float
    """charge out of the cell through the Li electrode (ohmically through the diffuse interface)"""
    consumed_charge_C_m: float
    """cathode minus anode charge: what the model turns into Li"""
    faraday_rel_error: float
    """|deposited Li − consumed charge/F| / (consumed charge/F)"""
    ohmic_share: float
    """anode charge / cathode charge"""
    li_balance_rel_error: float
    """|Δ∫c − Li⁺ inflow at the cathode| / ∫c(0), c = `forms.li_content`"""
    min_ion_fraction: float
    """min of c_l(1 − h)/c0 where η < ½"""
    time_s: float
    num_steps: int
    rejected_steps: int
    newton_iterations: int
    newton_per_step: float
    interface_width_m: float
    interface_elements: float


class GrandPotentialModel(TransientModel):
    """(w, η, φ) in one Newton system with the observer, fields and checkpoint of a `Model`."""

    label = "grand potential"
    fields_on_failure = True

    def __init__(
        self, config: Any, bundle: Any, ctx: Any, checks: dict[str, float] | None = None, initial: bool = True
    ) -> None:
        """`initial`: False for a model whose state is about to be set (a mesh transfer, a checkpoint)."""
        phys = self.phys = config.physics
        if bundle.length_scale != LENGTH_SCALE:
            raise SolverFailed("the grand-potential forms are in µm: the mesh must be in µm")
        self.bundle, self.width = bundle, config.geometry.width / UM
        self.checks = checks or check_interface(phys, config.geometry, bundle)
        card = phys.card()
        self.v = {name: prop.si(PARAMETERS[name][0]) for name, prop in card.items()}
        p = self.p = scaled(card)
        mesh = bundle.mesh
        self.comm = mesh.comm
        P1 = basix.ufl.element("Lagrange", mesh.basix_cell(), 1)
        self.W = fem.functionspace(mesh, basix.ufl.mixed_element([P1, P1, P1]))
        self.U, self.U_n = fem.Function(self.W), fem.Function(self.W)
        self.prev = fem.Function(self.W)  # the state of the previous record
        collapsed = [self.W.sub(i).collapse() for i in range(3)]
        self.V0 = collapsed[0][0]
        self.dofs = [np.asarray(d) for _, d in collapsed]  # w, η, φ dofs in V0's order
        self.local_error = LocalError(self.U, self.U_n, self.dofs[1])
        self.noise = fem.Function(fem.functionspace(mesh, ("DG", 0)))
        cells = mesh.topology.index_map(mesh.topology.dim)
        self.cells_global = cells.size_global
        self.original = np.asarray(mesh.topology.original_cell_index, dtype=np.int64)
        self.lattice = None
        if phys.noise_lattice is not None:
            extent = (self.width, config.geometry.height / UM)
            self.lattice = LatticeNoise(self.noise.function_space, phys.noise_lattice / UM, extent)
        self.noise_step = 0
        """number of the step whose noise is drawn next (accepted steps + 1 − 1)"""
        self.dt = fem.Constant(mesh, 1.0)
        dx = self.dx = ufl.Measure("dx", mesh, metadata={"quadrature_degree": QUADRATURE_DEGREE})
        w, eta, phi = ufl.split(self.U)
        w_n, eta_n, _ = ufl.split(self.U_n)
        q, v, r = ufl.TestFunctions(self.W)

        def on_dx(form: ufl.Form) -> ufl.Form:
            return sum(i.integrand() for i in form.integrals()) * dx

        self.forms = {
            "w": on_dx(forms.w_residual(w, w_n, eta, eta_n, phi, q, self.dt, p, conservative=True)),
            "eta": on_dx(forms.eta_residual(eta, eta_n, w, phi, v, self.dt, p, noise=self.noise)),
            "phi": on_dx(forms.potential_residual(phi, eta, eta_n, r, self.dt, p)),
        }
        # φ rows scaled by 1/σ_electrode: O(1) in the metal (S1/S2 = 8.4e5), like the w and η rows
        scaled_phi = on_dx(forms.potential_residual(phi, eta, eta_n, r / p.sigma_electrode, self.dt, p))
        residual = self.forms["w"] + self.forms["eta"] + scaled_phi
        self.problem = fem.petsc.NonlinearProblem(
            residual,
            self.U,
            bcs=self._bcs(),
            petsc_options_prefix="gp_",
            petsc_options=petsc_options(config.solver, symmetric=False, nonlinear=True, preconditioner="ilu"),
        )
        self._observables()
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY}
        """(a transferred or resumed state brings its own: `restore`)"""
        if initial:
            self._initial_state()
            self._record(0.0, 0.0)
        self.fields = {
            name: fem.Function(self.V0, name=name)
            for name in ("phase_field_eta", "chemical_potential_RT", "potential_V", "li_ion_fraction_c_c0")
        }
        ion = p.inverse_c0 * forms.ion_concentration(w, eta, p)
        self.ion_expr = fem.Expression(ion, self.V0.element.interpolation_points)
        self.snaps = Snapshots(phys.time.t_end, phys.snapshots)
        self.checkpoint_path = str(ctx.out / CHECKPOINT)
        ctx.log(
            f"grand potential: {self.W.dofmap.index_map.size_global} dofs, interface width "
            f"{self.checks['interface_width_m'] * 1e6:.3g} µm ({self.checks['interface_elements']:.3g} "
            f"elements), noise amplitude {p.noise_amplitude:g}/s, seed {phys.noise_seed}"
            + ("" if phys.noise_reference_dt is None else f" × √({phys.noise_reference_dt:g} s/Δt)")
        )

    # ---- set-up ---------------------------------------------------------------------------
    def _bcs(self) -> list:
        v = self.v
        out = []
        for boundary, values in (
            ("anode", {1: v["eta_left"], 2: v["pot_left"]}),
            ("cathode", {0: v["w_right"], 1: v["eta_right"], 2: v["pot_right"]}),
        ):
            for sub, value in values.items():
                dofs = boundary_dofs(self.bundle, self.W.sub(sub), boundary)
                out.append(fem.dirichletbc(value, dofs, self.W.sub(sub)))
        return out

    def _observables(self) -> None:
        """Forms of ∫η, ∫c and of the consistent boundary fluxes (residual rows on an electrode,
        evaluated at the recorded previous state for the time derivatives)."""
        w, eta, _ = ufl.split(self.U)
        self.area = fem.form(eta * self.dx)
        self.content = fem.form(forms.li_content(w, eta, self.p) * self.dx)
        self.flux: dict[str, dict[str, Any]] = {}
        for name in ("cathode", "anode"):
            indicator = boundary_indicator(self.W, self.bundle, name, (0, 2))
            band = boundary_cells(self.bundle, name)
            self.flux[name] = {
                key: fem.form(boundary_flux(self.forms[key], indicator, band, {self.U_n: self.prev}))
                for key in ("w", "phi")
            }

    def _initial_state(self) -> None:
        """input.i [ICs]: η = ½(1 − tanh k(y − y_f)), φ = a(1 − tanh k(y − y_f)), w = ic_w."""
        v = self.v
        k, yf = v["ic_front_k"], v["ic_front_x"]
        self.U.sub(0).interpolate(lambda x: np.full(x.shape[1], v["ic_w"]))
        self.U.sub(1).interpolate(lambda x: 0.5 * (1 - np.tanh(k * (x[1] - yf))))
        self.U.sub(2).interpolate(lambda x: v["ic_pot_amplitude"] * (1 - np.tanh(k * (x[1] - yf))))
        self.U.x.scatter_forward()
        self.U_n.x.array[:] = self.U.x.array
        self.prev.x.array[:] = self.U.x.array

    # ---- observables ----------------------------------------------------------------------
    def _record(self, t: float, dt: float) -> None:
        h = self.history
        last = {
            k: (h[k][-1] if h["t_s"] else 0.0)
            for k in ("cathode_charge_C_m", "anode_charge_C_m", "li_inflow")
        }
        if dt > 0:  # lengths in µm: a φ row is a current per metre of depth (A/m)
            last["cathode_charge_C_m"] += dt * assembled(self.flux["cathode"]["phi"])
            last["anode_charge_C_m"] -= dt * assembled(self.flux["anode"]["phi"])
            last["li_inflow"] += dt * assembled(self.flux["cathode"]["w"])
        tip, mean, _ = front_shape(self.comm, self.V0, self.U.x.array[self.dofs[1]], self.width)
        values = {
            "t_s": t,
            "height_m": tip * UM,
            "mean_front_m": mean * UM,
            "li_area_m2": assembled(self.area) * UM**2,
            "content": assembled(self.content),
            **last,
        }
        for key, value in values.items():  # all at once: an interrupt leaves the history consistent
            h[key].append(value)
        self.prev.x.array[:] = self.U.x.array

    # ---- Model protocol -------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["phasefield"]

    def state(self) -> list:
        return [self.U]

    def checkpoint_state(self) -> dict:
        return {"U": self.U_n, "U_previous": self.local_error.previous}

    def checkpoint_data(self) -> dict[str, Any]:
        return {"history": self.history, "snapshots": self.snaps.times}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> bool:
        self.prev.x.array[:] = self.U_n.x.array
        self.history = data["history"]
        self.noise_step = stats.steps
        self.snaps.restore(data.get("snapshots"), stats.t)
        self.local_error.restore(stats.dt)
        return early_stop(self.phys, self.history) is not None

    def step(self, t: float, dt: float) -> StepOutcome:
        rng = np.random.default_rng([self.phys.noise_seed, self.noise_step + 1])
        amplitude = forms.noise_amplitude(self.p.noise_amplitude, dt, self.phys.noise_reference_dt)
        if self.lattice is None:
            forms.draw_noise(self.noise.x.array, self.original, amplitude, rng, self.cells_global)
        else:
            self.lattice.draw(self.noise.x.array, amplitude, rng)
        self.dt.value = dt  # type: ignore[assignment]  # dolfinx's setter takes any array-like
        self.local_error.predict(t, dt)
        outcome = newton_solve(self.problem, [self.U], ("w", "η", "φ"), self.bundle.length_scale)
        if not outcome.converged:
            return outcome
        outcome.change, outcome.error = self.local_error.measure(t, dt)
        return outcome

    def accept(self) -> None:
        self.local_error.accept()
        self.U_n.x.array[:] = self.U.x.array
        self.noise_step += 1

    def reject(self) -> None:
        self.U.x.array[:] = self.U_n.x.array

    def observe(self, stats: TimeStats) -> bool:
        """Record the step; True (end the run) once `stop_at_tip` is reached."""
        self._record(stats.t, stats.dt)
        return self.snaps.end_early(stats.t, early_stop(self.phys, self.history))

    def metrics(self, stats: TimeStats) -> GrandPotentialMetrics:
        h = self.history
        c_s = self.v["ft2"] * 1e12 / F  # mol/m3 (ft2 in C/(m·µm²))
        deposited = (h["li_area_m2"][-1] - h["li_area_m2"][0]) * c_s
        cathode, anode = h["cathode_charge_C_m"][-1], h["anode_charge_C_m"][-1]
        consumed = cathode - anode
        w, eta = (self.U.x.array[d] for d in self.dofs[:2])
        h_eta = eta**3 * (6 * eta**2 - 15 * eta + 10)
        ion = self.p.inverse_c0 * (1 - h_eta) / (1 + np.exp(-(w - self.p.eps_electrolyte) / self.p.thermal))
        ion = ion[: self.V0.dofmap.index_map.size_local][eta[: self.V0.dofmap.index_map.size_local] < 0.5]
        return GrandPotentialMetrics(
            **front_metrics(h),
            dendrite_height_m=h["height_m"][-1],
            tip_velocity_m_s=late_slope(h["t_s"], h["height_m"]),
            li_area_m2=h["li_area_m2"][-1],
            deposited_li_mol_m=deposited,
            cathode_charge_C_m=cathode,
            anode_charge_C_m=anode,
            consumed_charge_C_m=consumed,
            faraday_rel_error=abs(deposited - consumed / F) / max(abs(consumed / F), 1e-300),
            ohmic_share=anode / cathode if cathode else 0.0,
            li_balance_rel_error=abs(h["content"][-1] - h["content"][0] - h["li_inflow"][-1])
            / h["content"][0],
            min_ion_fraction=self.comm.allreduce(float(ion.min()) if ion.size else math.inf, op=MPI.MIN),
            time_s=stats.t,
            num_steps=stats.steps,
            rejected_steps=stats.rejected_steps,
            newton_iterations=stats.newton_iterations,
            newton_per_step=stats.newton_iterations / max(stats.steps, 1),
            interface_width_m=float(self.checks["interface_width_m"]),
            interface_elements=float(self.checks["interface_elements"]),
        )

    def output_fields(self) -> list[dict]:
        f = self.fields
        for name, sub in (("chemical_potential_RT", 0), ("phase_field_eta", 1), ("potential_V", 2)):
            f[name].x.array[:] = self.U.x.array[self.dofs[sub]]
        f["li_ion_fraction_c_c0"].interpolate(self.ion_expr)
        return [dict(f)]

    def snapshots(self, t: float) -> dict[str, tuple[Any, str, dict[str, Any]]]:
        return self.snaps.due(t, self.fields["phase_field_eta"], "η", "eta")

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        return {"time_stepping": stats.as_dict(), "checkpoint": self.checkpoint_path}

    def result(self, stats: TimeStats) -> ModelResult:
        history, eta = self.history, self.fields["phase_field_eta"]
        options: dict[str, dict[str, Any]] = {name: {"interface": eta} for name in self.fields}
        options["li_ion_fraction_c_c0"]["mask_metal"] = True
        return ModelResult(
            plots=dict(self.fields),
            plot_options=options,
            extra={
                "history": history,
                "stopped_early": early_stop(self.phys, history),
                "time_stepping": stats.as_dict(),
                "parameters": {k: p.model_dump() for k, p in self.phys.card().items()},
            },
            figures={"dendrite_growth.png": lambda path: growth_plot(history, path)},
        )

    # ---- sim.adaptive.Adaptable: moving the model to an adapted mesh ---------------------------
    def phase(self) -> fem.Function:
        return phase_on(self.V0, self.U_n, self.dofs[1])

    def indicator(self) -> fem.Function:
        return band_indicator(self.V0, self.U_n, self.dofs[1])

    def detail(self) -> fem.Function:
        """sim.adaptive.Detailed: the Li content c(w, η)/d_v of the accepted state (1 in saturated
        metal), whose variation over a cell `adaptivity.detail_tolerance` bounds."""
        out = fem.Function(self.V0)
        out.interpolate(self._content_expr)
        return out

    @cached_property
    def _content_expr(self) -> fem.Expression:
        w, eta, _ = ufl.split(self.U_n)
        content = forms.li_content(w, eta, self.p) / self.p.site_ratio
        return fem.Expression(content, self.V0.element.interpolation_points)

    def inventories(self) -> dict[str, float]:
        """Of the accepted state (scaled): the metal ∫η and the Li ∫c(w, η) (`forms.li_content`)."""
        return {name: assembled(form) for name, form in self._adapt_forms["inventories"].items()}

    @cached_property
    def _adapt_forms(self) -> dict[str, Any]:
        """The inventories of U_n, and for the corrections η → η + a η(1 − η), w → w + b s: ∫η and
        ∫c of the shifted state with their derivatives in a and b (a, b: constants, 0 unless
        solving; η(1 − η) the nodal values in `band`, as the correction applies it; s = 1 but on the
        cathode's w = w_right dofs)."""
        mesh, p, dx = self.bundle.mesh, self.p, self.dx
        w, eta, _ = ufl.split(self.U_n)
        a, b, band, shape = (
            fem.Constant(mesh, 0.0),
            fem.Constant(mesh, 0.0),
            fem.Function(self.V0),
            fem.Function(self.V0),
        )
        shape.x.array[:] = 1.0
        shape.x.array[boundary_dofs(self.bundle, self.V0, "cathode")] = 0.0
        shifted = w + b * shape
        return {
            "a": a,
            "b": b,
            "band": band,
            "shape": shape,
            "inventories": {
                "area": fem.form(eta * dx),
                "content": fem.form(forms.li_content(w, eta, p) * dx),
            },
            "area": (fem.form((eta + a * band) * dx), fem.form(band * dx)),
            "content": (
                fem.form(forms.li_content(shifted, eta, p) * dx),
                fem.form(forms.susceptibility(shifted, eta, p) * shape * dx),
            ),
        }

    def _shift(self, name: str, target: float) -> float:
        """The constant (a for "area", b for "content") at which the shifted inventory equals
        `target` (scalar Newton: ∫c is monotone in b, χ > 0), to round-off."""
        f = self._adapt_forms
        return shift_root(f["a"] if name == "area" else f["b"], f[name], target)

    def correct(self, targets: Mapping[str, float]) -> dict[str, float]:
        """Restore ∫η by η += a η(1 − η) (a shift of the front within the interface, none in the
        bulk phases or at η = 1 on the anode), then ∫c(w, η) by w += b, uniform but for the
        cathode's w = w_right; both by scalar Newton (∫η is linear in a: one step). Returns the
        relative change of each inventory."""
        before = self.inventories()
        f = self._adapt_forms
        eta = self.U_n.x.array[self.dofs[1]]
        f["band"].x.array[:] = eta * (1 - eta)
        a = self._shift("area", targets["area"])
        self.U_n.x.array[self.dofs[1]] = eta + a * f["band"].x.array
        b = self._shift("content", targets["content"])
        self.U_n.x.array[self.dofs[0]] += b * f["shape"].x.array
        self.U_n.x.scatter_forward()
        self.reject()
        self.prev.x.array[:] = self.U_n.x.array
        return {name: abs(targets[name] - before[name]) / abs(targets[name]) for name in before}
