"""Running the phase-field dendrite model: time loop, observables, metrics, fields and figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from types import SimpleNamespace
from typing import Any, NotRequired

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.adaptive import Adaptable, AdaptiveModel
from sim.checkpoint import CHECKPOINT
from sim.mesh import assembled, boundary_cells, boundary_dofs, boundary_flux, boundary_indicator
from sim.physics import mechanics as mech
from sim.physics.dendrite import DendriteModel, band_indicator, check_interface, filament_summary, phase_on
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


class PhaseFieldMetrics(FrontMetrics):
    """The metrics of a phase-field run (SI; amounts and charges per metre of depth)."""

    dendrite_height_m: float
    dendrite_growth_m: float
    li_area_m2: float
    tip_velocity_m_s: float
    interface_roughness_m: float
    passed_charge_C_m: float
    deposited_li_mol_m: float
    anode_charge_C_m: float
    faraday_rel_error: float
    charge_balance_rel_error: float
    li_balance_rel_error: float
    time_s: float
    num_steps: int
    rejected_steps: int
    newton_iterations: int
    newton_per_step: float
    min_electrolyte_concentration_mol_m3: float
    max_electrolyte_concentration_mol_m3: float
    max_hydrostatic_stress_Pa: NotRequired[float]
    """with mechanics"""
    max_von_mises_stress_Pa: NotRequired[float]
    interface_width_m: NotRequired[float]
    """√(2κ0/W) and the elements across it (sim.physics.dendrite.check_interface; added by the model)"""
    interface_elements: NotRequired[float]


class Observer:
    """Observables after each accepted step: height, Li area, Li balance, passed charge."""

    def __init__(self, model: DendriteModel, initial: bool = True) -> None:
        """`initial`: record t = 0 now (False: a transferred or resumed state brings its history,
        `PhaseFieldModel.restore`)."""
        self.model = model
        m, W = model, model.W
        self.comm = W.mesh.comm
        self.V0 = m.V0
        xi, c = ufl.split(m.U)[:2]
        self.area = fem.form(xi * m.dx)
        self.content = fem.form((c + m.c_ratio * xi) * m.dx)
        self.prev = fem.Function(W)  # the state of the previous record (U_n is overwritten on accept)
        self.sync()
        self.flux = {}
        for name in ("cathode", "anode"):
            w, band = boundary_indicator(W, m.bundle, name, (1, 2)), boundary_cells(m.bundle, name)
            self.flux[name] = {
                key: fem.form(boundary_flux(m.forms[key], w, band, {m.U_n: self.prev}))
                for key in ("c", "psi")
            }
        self.history: dict[str, list[float]] = {
            k: []
            for k in (
                "t_s",
                "height_m",
                "li_area_m2",
                "charge_C_m",
                "anode_charge_C_m",
                "li_inflow",
                "content",
                "roughness_m",
                "mean_front_m",
            )
        }
        if initial:
            self.record(0.0, 0.0)

    def sync(self) -> None:
        """Take the model's current state as the previous one (after a restart)."""
        self.prev.x.array[:] = self.model.U.x.array

    def front(self) -> tuple[float, float, float]:
        """(tip height, mean front, roughness) of the ξ = ½ contour in mesh units."""
        m = self.model
        xi = m.U.x.array[m.xi_dofs]
        return front_shape(self.comm, self.V0, xi, m.geometry.width / m.bundle.length_scale)

    def record(self, t: float, dt: float) -> None:
        m, h = self.model, self.history
        ell = m.bundle.length_scale
        v = m.values
        height, mean, rough = self.front()
        charge = h["charge_C_m"][-1] if h["t_s"] else 0.0
        inflow = h["li_inflow"][-1] if h["t_s"] else 0.0
        anode = h["anode_charge_C_m"][-1] if h["t_s"] else 0.0
        if dt > 0:  # consistent boundary fluxes of the converged step (scaled per unit time)
            current = assembled(self.flux["cathode"]["psi"])
            charge += dt * current * v["n"] * F * v["c_s"] * ell**2
            anode += dt * assembled(self.flux["anode"]["psi"]) * v["n"] * F * v["c_s"] * ell**2
            inflow += dt * assembled(self.flux["cathode"]["c"])
        values = {
            "t_s": t,
            "height_m": height * ell,
            "li_area_m2": assembled(self.area) * ell**2,
            "charge_C_m": charge,
            "anode_charge_C_m": anode,
            "li_inflow": inflow,
            "content": assembled(self.content),
            "roughness_m": rough * ell,
            "mean_front_m": mean * ell,
        }
        for key, value in values.items():  # all at once: an interrupt leaves the history consistent
            h[key].append(value)
        self.sync()

    def metrics(self, stats: TimeStats) -> PhaseFieldMetrics:
        h, m = self.history, self.model
        v = m.values
        height = np.array(h["height_m"])
        deposited = (h["li_area_m2"][-1] - h["li_area_m2"][0]) * v["c_s"]  # mol per m depth
        passed = h["charge_C_m"][-1] / (v["n"] * F)
        balance = abs(h["content"][-1] - h["content"][0] - h["li_inflow"][-1]) / h["content"][0]
        # Li⁺ in the electrolyte (ξ < ½, filaments excluded); c̃ on the metal side is bookkeeping
        # of the model (it goes negative there: the Allen–Cahn relaxation converts Li⁺ where
        # D ≈ D_e cannot resupply it)
        electrolyte = (m.U.x.array[m.xi_dofs] < 0.5) & ~m.in_filament
        c = (m.U.x.array[m.sub_dofs[1]] * v["c0"])[electrolyte]
        out = PhaseFieldMetrics(
            dendrite_height_m=height[-1],
            dendrite_growth_m=height[-1] - height[0],
            li_area_m2=h["li_area_m2"][-1],
            tip_velocity_m_s=late_slope(h["t_s"], h["height_m"]),
            **front_metrics(h),
            interface_roughness_m=h["roughness_m"][-1],
            passed_charge_C_m=h["charge_C_m"][-1],
            deposited_li_mol_m=deposited,
            anode_charge_C_m=h["anode_charge_C_m"][-1],
            faraday_rel_error=abs(deposited - passed) / max(abs(passed), 1e-300),
            charge_balance_rel_error=abs(deposited - passed - h["anode_charge_C_m"][-1] / (v["n"] * F))
            / max(abs(deposited), 1e-300),
            li_balance_rel_error=balance,
            time_s=stats.t,
            num_steps=stats.steps,
            rejected_steps=stats.rejected_steps,
            newton_iterations=stats.newton_iterations,
            newton_per_step=stats.newton_iterations / max(stats.steps, 1),
            min_electrolyte_concentration_mol_m3=self.comm.allreduce(
                float(c.min()) if c.size else np.inf, op=MPI.MIN
            ),
            max_electrolyte_concentration_mol_m3=self.comm.allreduce(
                float(c.max()) if c.size else -np.inf, op=MPI.MAX
            ),
        )
        sigma = m.stress()
        if sigma is not None:
            # ufl attaches __abs__ to Expr at import, unseen by the type checker
            out["max_hydrostatic_stress_Pa"] = self._max(abs(mech.hydrostatic(sigma)))  # type: ignore[arg-type]
            out["max_von_mises_stress_Pa"] = self._max(mech.von_mises(sigma))
        return out

    def _max(self, expr) -> float:
        """Global maximum of a UFL expression interpolated cell-wise (DG0)."""
        Q = fem.functionspace(self.model.bundle.mesh, ("DG", 0))
        f = fem.Function(Q)
        f.interpolate(fem.Expression(expr, Q.element.interpolation_points))
        local = f.x.array.max() if f.x.array.size else 0.0
        return self.comm.allreduce(float(local), op=MPI.MAX)


class FieldOutput:
    """SI fields for ParaView: ξ, c, φ (P1), u (P1 vector), σ_h and von Mises (DG0)."""

    def __init__(self, model: DendriteModel) -> None:
        m = self.model = model
        mesh = m.bundle.mesh
        self.maps = m.sub_dofs
        self.scalars = [
            fem.Function(m.V0, name=n) for n in ("phase_field_xi", "concentration_Li_mol_m3", "potential_V")
        ]
        self.factors = [1.0, m.scale["c0"], m.scale["rt_f"]]
        self.vector, self.stresses = None, []
        if m.mechanics != "none":
            Vu = fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
            self.vector = fem.Function(Vu, name="displacement_m")
            self.u_expr = fem.Expression(
                m.displacement() * m.bundle.length_scale, Vu.element.interpolation_points
            )
            Q = fem.functionspace(mesh, ("DG", 0))
            sigma = m.stress()
            for name, expr in (
                ("hydrostatic_stress_Pa", mech.hydrostatic(sigma)),
                ("von_mises_stress_Pa", mech.von_mises(sigma)),
            ):
                f = fem.Function(Q, name=name)
                self.stresses.append((f, fem.Expression(expr, Q.element.interpolation_points)))

    def update(self) -> None:
        U = self.model.U.x.array
        for f, dofs, k in zip(self.scalars, self.maps, self.factors, strict=False):
            f.x.array[:] = U[dofs] * k
        if self.vector is not None:
            self.vector.interpolate(self.u_expr)
            for f, expr in self.stresses:
                f.interpolate(expr)

    def groups(self) -> list[list]:
        out = [self.scalars]
        if self.vector is not None:
            out += [[self.vector], [f for f, _ in self.stresses]]
        return out

    def plots(self) -> dict:
        named = {f.name: f for group in self.groups() for f in group}
        return {k: v for k, v in named.items() if k != "displacement_m"}

    def plot_options(self) -> dict:
        """Every map shows the interface ξ = ½; c is blank in the metal (ξ > ½), where the
        Chen-type c̃ has no meaning as a Li⁺ concentration."""
        xi = self.scalars[0]
        options: dict[str, dict[str, Any]] = {name: {"interface": xi} for name in self.plots()}
        options["concentration_Li_mol_m3"]["mask_metal"] = True
        return options


def build(config: Any, bundle: Any, ctx: Any) -> TransientModel:
    """The phase-field model of `config` on `bundle` (logged and checked, ready to run), by
    `physics.formulation`."""
    model: Callable[..., Adaptable] = PhaseFieldModel
    if config.physics.formulation == "electroneutral":
        from sim.physics.electroneutral.model import ElectroneutralModel

        model = ElectroneutralModel
    elif config.physics.formulation == "grand_potential":
        from sim.physics.grand_potential.model import GrandPotentialModel

        model = GrandPotentialModel
    settings = config.physics.adaptivity
    if settings is None:
        return model(config, bundle, ctx)
    checks = check_interface(config.physics, config.geometry, bundle, settings.levels)
    ctx.log(f"adaptive mesh: {settings.levels} levels on the base mesh, rebuilt every {settings.every} steps")
    quiet = SimpleNamespace(out=ctx.out, log=lambda message: None)
    limit = None
    if settings.front_fraction is not None:  # Δd = 2δ max|Δξ| ≤ fraction h, h = δ / elements
        limit = (settings.front_fraction / (2 * checks["interface_elements"]), config.physics.time.max_change)
    adaptive = AdaptiveModel(
        lambda b, initial: model(config, b, quiet, checks, initial), bundle, settings, ctx, limit
    )
    ctx.log(f"adapted mesh: {adaptive.history['num_dofs'][-1]} dofs")
    return adaptive


class PhaseFieldModel(DendriteModel, TransientModel):
    """The dendrite model (sim.physics.dendrite: its step/accept/reject) with its observer and
    fields as a `TransientModel` (sim.physics.model): the ξ-history is checkpointed, ξ snapshots
    are drawn at `snapshots` evenly spaced times."""

    label = "phase field"
    fields_on_failure = True

    def __init__(
        self, config: Any, bundle: Any, ctx: Any, checks: dict[str, float] | None = None, initial: bool = True
    ) -> None:
        """`initial`: False for a model whose state is about to be set (a mesh transfer, a checkpoint)."""
        phys = self.phys = config.physics
        self.checks = checks or check_interface(phys, config.geometry, bundle)
        ctx.log(
            f"interface width √(2κ0/W) = {self.checks['interface_width_m'] * 1e6:.3g} µm, "
            f"{self.checks['interface_elements']:.3g} elements across it"
        )
        super().__init__(config, bundle)
        if initial:
            self.initial_state()
        self.counter_dofs = boundary_dofs(bundle, self.W.sub(0), "cathode")
        """ξ's entries of U on the counter electrode (cathode)"""
        self.observer, self.fields = Observer(self, initial), FieldOutput(self)
        ctx.log(
            f"phase field: {self.num_dofs} dofs, mechanics {phys.mechanics}, "
            f"stress coupling {phys.stress_coupling}"
        )
        self.snaps = Snapshots(phys.time.t_end, phys.snapshots)
        self.checkpoint_path = str(ctx.out / CHECKPOINT)

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["phasefield"]

    def state(self) -> list:
        return [self.U] + ([self.u] if self.phys.mechanics == "staggered" else [])

    def checkpoint_state(self) -> dict:
        return {"U": self.U_n, "U_previous": self.local_error.previous, "xi0": self.xi0} | (
            {"u": self.u_n} if self.phys.mechanics == "staggered" else {}
        )

    def checkpoint_data(self) -> dict[str, Any]:
        return {"history": self.observer.history, "snapshots": self.snaps.times}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> bool:
        self.observer.sync()
        self.observer.history = data["history"]
        self.snaps.restore(data.get("snapshots"), stats.t)
        self.local_error.restore(stats.dt)
        return early_stop(self.phys, self.observer.history) is not None

    def observe(self, stats: TimeStats) -> bool:
        """Record the step; True (end the run) once `stop_at_tip` is reached. SolverFailed once ξ
        on the counter electrode exceeds COUNTER_ELECTRODE_PHASE (`check_counter_electrode`)."""
        self.observer.record(stats.t, stats.dt)
        check_counter_electrode(self.U_n.x.array[self.counter_dofs], self.bundle.mesh.comm, stats.t)
        return self.snaps.end_early(stats.t, early_stop(self.phys, self.observer.history))

    def metrics(self, stats: TimeStats) -> PhaseFieldMetrics:
        m = self.observer.metrics(stats)
        m["interface_width_m"] = float(self.checks["interface_width_m"])
        m["interface_elements"] = float(self.checks["interface_elements"])
        return m

    def output_fields(self) -> list[dict]:
        self.fields.update()
        return [{f.name: f for f in group} for group in self.fields.groups()]

    def snapshots(self, t: float) -> dict[str, tuple[Any, str, dict[str, Any]]]:
        return self.snaps.due(t, self.fields.scalars[0], "ξ", "xi")

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        return {"time_stepping": stats.as_dict(), "checkpoint": self.checkpoint_path}

    def result(self, stats: TimeStats) -> ModelResult:
        history = self.observer.history
        return ModelResult(
            plots=self.fields.plots(),
            plot_options=self.fields.plot_options(),
            extra={
                "history": history,
                "stopped_early": early_stop(self.phys, history),
                "time_stepping": stats.as_dict(),
                "parameters": {k: p.model_dump() for k, p in self.phys.card().items()},
                **filament_summary(self.phys, self.bundle),
            },
            figures={"dendrite_growth.png": lambda path: growth_plot(history, path)},
        )

    # ---- sim.adaptive.Adaptable: moving the model to an adapted mesh ---------------------------
    def indicator(self) -> fem.Function:
        return band_indicator(self.V0, self.U_n, self.xi_dofs)

    def phase(self) -> fem.Function:
        return phase_on(self.V0, self.U_n, self.xi_dofs)

    def inventories(self) -> dict[str, float]:
        return {"li_area": assembled(self._forms["area"]), "content": self._content()}

    def _content(self) -> float:
        return assembled(self._forms["content"])

    @cached_property
    def _forms(self) -> dict[str, Any]:
        """∫ξ, ∫(c̃ + (c_s/c0)ξ), ∫ξ(1 − ξ) and ∫1 of the accepted state."""
        xi, c = ufl.split(self.U_n)[:2]
        one = fem.Constant(self.bundle.mesh, 1.0)
        return {
            "area": fem.form(xi * self.dx),
            "content": fem.form((c + self.c_ratio * xi) * self.dx),
            "band": fem.form(xi * (1 - xi) * self.dx),
            "volume": fem.form(one * self.dx),
        }

    def correct(self, targets: Mapping[str, float]) -> dict[str, float]:
        """Restore ∫ξ by ξ += a ξ(1 − ξ) (a shift of the front within the interface, none in the
        bulk phases or at ξ = 1 on the anode), then ∫(c̃ + (c_s/c0)ξ) by a uniform c̃ += b."""
        area = assembled(self._forms["area"])
        a = (targets["li_area"] - area) / assembled(self._forms["band"])
        xi = self.U_n.x.array[self.xi_dofs]
        self.U_n.x.array[self.xi_dofs] = xi + a * xi * (1 - xi)
        b = (targets["content"] - self._content()) / assembled(self._forms["volume"])
        self.U_n.x.array[self.sub_dofs[1]] += b
        self.U_n.x.scatter_forward()
        self.reject()
        self.observer.sync()
        return {
            "li_area": abs(targets["li_area"] - area) / abs(targets["li_area"]),
            "content": abs(b) * assembled(self._forms["volume"]) / abs(targets["content"]),
        }
