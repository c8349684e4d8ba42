"""Running the phase-field dendrite model: time loop, observables, metrics, fields and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NotRequired, TypedDict

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.checkpoint import CHECKPOINT
from sim.mesh import boundary_facets
from sim.physics import mechanics as mech
from sim.physics.dendrite import DendriteModel, check_interface
from sim.physics.front import contour_points, front_profile
from sim.physics.model import CAPABILITIES, Capabilities, Model, ModelResult
from sim.solve import SolverFailed
from sim.timestep import StepOutcome, TimeStats
from sim.units import F

fem = dolfinx.fem


def _sum(comm, form) -> float:
    return comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


class PhaseFieldMetrics(TypedDict):
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

    def __init__(self, model: DendriteModel) -> None:
        self.model = model
        m, W = model, model.W
        self.comm = W.mesh.comm
        self.V0 = m.V0
        self.xi_fn = fem.Function(self.V0)
        xi, c = ufl.split(m.U)[:2]
        self.area = fem.form(xi * m.dx)
        self.content = fem.form((c + m.c_ratio * xi) * m.dx)
        self.prev = fem.Function(W)  # the state of the previous record (U_n is overwritten on accept)
        self.sync()
        self.flux = {}
        for name in ("cathode", "anode"):
            w = fem.Function(W)
            for sub in (1, 2):
                dofs = fem.locate_dofs_topological(W.sub(sub), 1, boundary_facets(m.bundle, name))
                w.x.array[dofs] = 1.0
            self.flux[name] = {
                key: fem.form(ufl.replace(m.forms[key], {m.forms[key].arguments()[0]: w, m.U_n: self.prev}))
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
            )
        }
        self.record(0.0, 0.0)

    def sync(self) -> None:
        """Take the model's current state as the previous one (after a restart)."""
        self.prev.x.array[:] = self.model.U.x.array

    def front(self) -> tuple[float, float]:
        """(height, roughness) of the ξ = 0.5 contour in mesh units."""
        m = self.model
        self.xi_fn.x.array[:] = m.U.x.array[m.xi_dofs]
        pts = contour_points(self.V0, self.xi_fn.x.array)
        height = self.comm.allreduce(float(pts[:, 1].max()) if len(pts) else 0.0, op=MPI.MAX)
        top = front_profile(self.comm, pts, m.geometry.width / m.bundle.length_scale)
        rough = float(np.nanstd(top)) if np.isfinite(top).any() else 0.0
        return height, rough

    def record(self, t: float, dt: float) -> None:
        m, h = self.model, self.history
        ell = m.bundle.length_scale
        v = m.values
        height, rough = self.front()
        charge = h["charge_C_m"][-1] if h["t_s"] else 0.0
        inflow = h["li_inflow"][-1] if h["t_s"] else 0.0
        anode = h["anode_charge_C_m"][-1] if h["t_s"] else 0.0
        if dt > 0:  # consistent boundary fluxes of the converged step (scaled per unit time)
            current = _sum(self.comm, self.flux["cathode"]["psi"])
            charge += dt * current * v["n"] * F * v["c_s"] * ell**2
            anode += dt * _sum(self.comm, self.flux["anode"]["psi"]) * v["n"] * F * v["c_s"] * ell**2
            inflow += dt * _sum(self.comm, self.flux["cathode"]["c"])
        values = {
            "t_s": t,
            "height_m": height * ell,
            "li_area_m2": _sum(self.comm, self.area) * ell**2,
            "charge_C_m": charge,
            "anode_charge_C_m": anode,
            "li_inflow": inflow,
            "content": _sum(self.comm, self.content),
            "roughness_m": rough * ell,
        }
        for key, value in values.items():  # all at once: an interrupt leaves the history consistent
            h[key].append(value)
        self.sync()

    def metrics(self, stats: TimeStats) -> PhaseFieldMetrics:
        h, m = self.history, self.model
        v = m.values
        t = np.array(h["t_s"])
        height = np.array(h["height_m"])
        late = t >= 0.75 * t[-1]
        tip = np.polyfit(t[late], height[late], 1)[0] if late.sum() >= 2 else 0.0
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
            tip_velocity_m_s=float(tip),
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


def growth_plot(history: dict, path: Path) -> None:
    """Dendrite height and Li area vs time (rank 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.array(history["t_s"])
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    ax[0].plot(t, np.array(history["height_m"]) * 1e6)
    ax[0].set(xlabel="time (s)", ylabel="dendrite height (µm)")
    ax[1].plot(t, np.array(history["li_area_m2"]) * 1e12)
    ax[1].set(xlabel="time (s)", ylabel="Li area (µm²)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def build(config: Any, bundle: Any, ctx: Any) -> Model:
    """The phase-field model of `config` on `bundle` (logged and checked, ready to run), by
    physics.formulation."""
    if config.physics.formulation == "grand_potential":
        from sim.physics.grand_potential.model import GrandPotentialModel

        return GrandPotentialModel(config, bundle, ctx)
    return PhaseFieldModel(config, bundle, ctx)


class PhaseFieldModel:
    """The dendrite model (sim.physics.dendrite) with its observer and fields as a `Model`
    (sim.physics.model): the ξ-history is checkpointed, ξ snapshots are drawn at `snapshots`
    evenly spaced times."""

    label = "phase field"
    fields_on_failure = True

    def __init__(self, config: Any, bundle: Any, ctx: Any) -> None:
        phys = self.phys = config.physics
        self.checks = check_interface(phys, config.geometry, bundle)
        ctx.log(
            f"interface width √(2κ0/W) = {self.checks['interface_width_m'] * 1e6:.3g} µm, "
            f"{self.checks['interface_elements']:.3g} elements across it"
        )
        model = self.model = DendriteModel(config, bundle)
        model.initial_state()
        self.observer, self.fields = Observer(model), FieldOutput(model)
        ctx.log(
            f"phase field: {model.num_dofs} dofs, mechanics {phys.mechanics}, "
            f"stress coupling {phys.stress_coupling}"
        )
        self.snap_times = list(np.linspace(0, phys.time.t_end, phys.snapshots + 1)[1:])
        self.checkpoint_path = str(ctx.out / CHECKPOINT)

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["phasefield"]

    @property
    def transient(self) -> bool:
        return True

    def state(self) -> list:
        m = self.model
        return [m.U] + ([m.u] if self.phys.mechanics == "staggered" else [])

    def checkpoint_state(self) -> dict:
        m = self.model
        return {"U": m.U_n, "xi0": m.xi0} | ({"u": m.u_n} if self.phys.mechanics == "staggered" else {})

    def checkpoint_data(self) -> dict[str, Any]:
        return {"history": self.observer.history}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> None:
        self.observer.sync()
        self.observer.history = data["history"]
        self.snap_times = [t for t in self.snap_times if t > stats.t * (1 + 1e-9)]

    def step(self, t: float, dt: float) -> StepOutcome:
        return self.model.step(t, dt)

    def accept(self) -> None:
        self.model.accept()

    def reject(self) -> None:
        self.model.reject()

    def solve_steady(self) -> TimeStats:
        raise SolverFailed("the phase-field model is transient only (physics.time is required)")

    def observe(self, stats: TimeStats) -> None:
        self.observer.record(stats.t, stats.dt)

    def metrics(self, stats: TimeStats) -> PhaseFieldMetrics:
        m = self.observer.metrics(stats)
        m["interface_width_m"] = float(self.checks["interface_width_m"])
        m["interface_elements"] = float(self.checks["interface_elements"])
        return m

    def output_fields(self) -> list[dict]:
        self.fields.update()
        return [{f.name: f for f in group} for group in self.fields.groups()]

    def snapshots(self, t: float) -> dict[str, tuple[Any, str, dict[str, Any]]]:
        if not self.snap_times or t < self.snap_times[0] * (1 - 1e-9):
            return {}
        self.snap_times.pop(0)
        xi = self.fields.scalars[0]
        return {f"xi_t{t:.4g}s": (xi, f"ξ at t = {t:.3g} s", {"interface": xi})}

    def failure_note(self) -> str:
        return ""

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        return {"time_stepping": stats.as_dict(), "checkpoint": self.checkpoint_path}

    def result(self, stats: TimeStats) -> ModelResult:
        history = self.observer.history
        return ModelResult(
            plots=self.fields.plots(),
            plot_options=self.fields.plot_options(),
            extra={
                "history": history,
                "time_stepping": stats.as_dict(),
                "parameters": {k: p.model_dump() for k, p in self.phys.card().items()},
            },
            figures={"dendrite_growth.png": lambda path: growth_plot(history, path)},
        )
