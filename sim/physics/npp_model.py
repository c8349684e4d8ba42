"""The NPP run as a `Model` (sim.physics.model) that sim.loop drives, steady (time: null) or
transient: set-up checks (Debye length, a-priori depletion), running Li⁺ balance, a-posteriori
depletion check, metrics and fields. (The composite cathode is its own kind, sim.physics.npp_cathode.)
"""

from __future__ import annotations

from typing import Any

from sim.physics.model import CAPABILITIES, Capabilities, ModelResult, SteadyModel, TimeStats, TransientModel
from sim.physics.npp import NppProblem, Scales, advance, check_debye, check_depletion, region_transport
from sim.physics.npp_output import Balance, NppMetrics, NppOutput


def build(config: Any, bundle: Any, ctx: Any) -> NppModel:
    """The model of an NPP config on `bundle` (logged and checked, ready to run)."""
    return NppModel(config, bundle, ctx)


class NppModel(NppProblem, SteadyModel, TransientModel):
    """Nernst–Planck–Poisson in a film (sim.physics.npp.NppProblem: its step/accept/reject) with
    its reports: a steady state by pseudo-transient continuation (time: null) or a transient window."""

    label = "npp"
    fields_on_failure = False

    def __init__(self, config: Any, bundle: Any, ctx: Any) -> None:
        phys = config.physics
        props = region_transport(config)
        scales = Scales(
            bundle.length_scale,
            max(p.salt_concentration for p in props.values()),
            max(p.d_cation for p in props.values()),
            phys.temperature,
        )
        for region, p in props.items():
            ctx.log(
                f"{region}: σ = {p.conductivity:.4g} S/m, t⁺ = {p.transference_number:.3g}, "
                f"D⁺ = {p.d_cation:.4g}, D⁻ = {p.d_anion:.4g} m²/s, immobile anion fraction "
                f"{p.immobile_fraction:.3g}"
            )
        super().__init__(config, bundle, scales, props)
        if self.poisson_mode:
            check_debye(self, ctx)
        self.out = NppOutput(self)
        self.height = self.out.electrode_distance * scales.length
        self.hint = check_depletion(self, self.height, ctx)
        ctx.log(self.hint)
        ndofs = self.W.dofmap.index_map.size_global * self.W.dofmap.index_map_bs
        ctx.log(f"npp ({phys.mode}, {phys.reaction.kind}): {ndofs} dofs, time unit {scales.time:.3g} s")
        self.balance = self.out.start_balance()

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["npp"]

    @property
    def transient(self) -> bool:
        """Whether this run steps in physical time (physics.time given)."""
        return self.phys.time is not None

    def state(self) -> list:
        return [self.w]

    def checkpoint_state(self) -> dict:
        return {"w": self.w_old}

    def checkpoint_data(self) -> dict[str, Any]:
        return {"balance": vars(self.balance)}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> None:
        self.balance = Balance(**data["balance"])

    def solve_steady(self) -> TimeStats:
        """Pseudo-transient continuation to the steady state (sim.physics.npp.advance)."""
        return advance(self, None, self.height, tolerance=self.phys.steady_tolerance, on_step=self.observe)

    def observe(self, stats: TimeStats) -> None:
        """Li⁺ that entered over the step; SolverFailed when a species is depleted."""
        self.balance.add(stats.dt / self.scales.time * self.net_influx())
        self.out.check_depletion(stats.t)

    def metrics(self, stats: TimeStats) -> NppMetrics:
        m = self.out.metrics(self.balance)
        m["time_s"] = stats.t if self.transient else 0.0
        return m

    def output_fields(self) -> list[dict]:
        return [self.out.fields()]

    def failure_note(self) -> str:
        return f"{self.out.depletion_state()}; {self.hint}"

    def result(self, stats: TimeStats) -> ModelResult:
        return ModelResult(
            plots=self.out.plots(),
            extra={
                "profiles": self.out.profiles(),
                "steady": not self.transient,
                "rejected_steps": stats.rejected_steps,
            },
        )
