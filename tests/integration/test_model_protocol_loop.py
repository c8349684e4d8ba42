"""A new transient model written only against the model protocol (sim.physics.model) gets adaptive
stepping, checkpoints, `--resume`, the failure summary and field output from the one run loop
(sim.loop.run_model) without writing any of them.

The fixture: heat conduction u_t = D Δu on the unit square, u = 0 on the boundary, u(0) =
sin(πx) sin(πy), so ∫u dx = (4/π²) exp(−2π² D t) exactly; implicit Euler in time."""

from __future__ import annotations

import logging
import math
from types import SimpleNamespace
from typing import Any, TypedDict

from sim._dolfinx import dolfinx

import numpy as np
import pytest
import ufl
from mpi4py import MPI

from sim.checkpoint import CHECKPOINT
from sim.config.time import TimeConfig
from sim.loop import run_model
from sim.output import FieldWriter
from sim.physics.model import Capabilities, ModelResult, SteadyModel, TimeStats, TransientModel
from sim.runner import RunContext, make_logger
from sim.solve import SolverFailed
from sim.timestep import StepOutcome, newton_solve

fem = dolfinx.fem
D = 0.1
TIME = TimeConfig(t_end=0.5, dt_initial=0.01, dt_max=0.05, checkpoint_every=2)


class HeatMetrics(TypedDict):
    mean_u: float
    time_s: float
    observed_steps: int


class Heat:
    """The fixture model: nothing but the methods of the protocol of a transient model
    (sim.physics.model.TransientModel; no solve_steady, no base class)."""

    label = "heat"
    fields_on_failure = False
    capabilities = Capabilities(
        module=__name__, steady=False, transient=True, resumable=True, dims=(2,), degrees=(1,)
    )

    def __init__(self, n: int = 16, interrupt_at: int | None = None, fail_after: float | None = None) -> None:
        mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, n, n)
        V = fem.functionspace(mesh, ("Lagrange", 1))
        self.u, self.u_old = fem.Function(V, name="temperature_K"), fem.Function(V)
        for f in (self.u, self.u_old):
            f.interpolate(lambda x: np.sin(np.pi * x[0]) * np.sin(np.pi * x[1]))
        self.dt = fem.Constant(mesh, 1.0)
        v = ufl.TestFunction(V)
        F = (self.u - self.u_old) / self.dt * v * ufl.dx + D * ufl.inner(
            ufl.grad(self.u), ufl.grad(v)
        ) * ufl.dx
        mesh.topology.create_connectivity(1, 2)
        dofs = fem.locate_dofs_topological(V, 1, dolfinx.mesh.exterior_facet_indices(mesh.topology))
        self.problem = fem.petsc.NonlinearProblem(
            F,
            self.u,
            bcs=[fem.dirichletbc(0.0, dofs, V)],
            petsc_options_prefix="heat_fixture_",
            petsc_options={"snes_type": "newtonls", "ksp_type": "preonly", "pc_type": "lu"},
        )
        self.mean = fem.form(self.u * ufl.dx)
        self.observed, self.interrupt_at, self.fail_after = 0, interrupt_at, fail_after

    def state(self) -> list:
        return [self.u]

    def checkpoint_state(self) -> dict:
        return {"u": self.u_old}

    def checkpoint_data(self) -> dict[str, Any]:
        return {"observed": self.observed}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> None:
        self.observed = data["observed"]

    def step(self, t: float, dt: float) -> StepOutcome:
        if self.fail_after is not None and t >= self.fail_after:
            return StepOutcome(False, reason="the fixture refuses to step")
        self.dt.value = dt
        outcome = newton_solve(self.problem, [self.u])
        change = MPI.COMM_WORLD.allreduce(
            float(np.abs(self.u.x.array - self.u_old.x.array).max()), op=MPI.MAX
        )
        return StepOutcome(outcome.converged, outcome.newton_iterations, outcome.krylov_iterations, change)

    def accept(self) -> None:
        self.u_old.x.array[:] = self.u.x.array

    def reject(self) -> None:
        self.u.x.array[:] = self.u_old.x.array

    def observe(self, stats: TimeStats) -> None:
        self.observed += 1
        if stats.steps == self.interrupt_at:
            raise KeyboardInterrupt

    def metrics(self, stats: TimeStats) -> HeatMetrics:
        mean = MPI.COMM_WORLD.allreduce(fem.assemble_scalar(self.mean), op=MPI.SUM)
        return HeatMetrics(mean_u=mean, time_s=stats.t, observed_steps=self.observed)

    def output_fields(self) -> list[dict]:
        return [{"temperature_K": self.u}]

    def snapshots(self, t: float) -> dict:
        return {}

    def failure_note(self) -> str:
        return "the fixture's note"

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        return {"fixture_steps": stats.steps}

    def result(self, stats: TimeStats) -> ModelResult:
        return ModelResult(extra={"fixture": True})


CONFIG = SimpleNamespace(
    physics=SimpleNamespace(kind="heat", time=TIME), output=SimpleNamespace(figures=False)
)


def _ctx(out, resume: bool = False) -> RunContext:
    fields = FieldWriter(out / "fields", MPI.COMM_WORLD, enabled=False)
    return RunContext(
        out, MPI.COMM_WORLD, logging.getLogger("heat-fixture"), fields, quiet=True, resume=resume, identity={}
    )


def test_the_loop_steps_checkpoints_and_reports_a_new_model(tmp_path):
    model = Heat()
    result = run_model(model, CONFIG, _ctx(tmp_path))
    exact = 4 / math.pi**2 * math.exp(-2 * math.pi**2 * D * TIME.t_end)
    error = abs(result.metrics["mean_u"] - exact) / exact
    assert result.metrics["time_s"] == pytest.approx(TIME.t_end, rel=1e-12)
    assert result.metrics["observed_steps"] == result.num_steps > 10  # the observer ran every step
    assert error < 0.1, error  # measured 2.6e-2 (implicit Euler, Δt up to 0.05, 16×16 P1)
    assert result.num_dofs == 17 * 17 and result.extra["fixture"] is True and "solve_time_s" in result.extra
    assert result.extra["solve_cpu_s"] > 0  # the process CPU time of the loop, next to its wall time
    assert (tmp_path / CHECKPOINT).exists()


def test_an_interrupted_run_resumes_to_the_same_metrics(tmp_path):
    for name in ("full", "cut"):
        (tmp_path / name).mkdir()
    full = run_model(Heat(), CONFIG, _ctx(tmp_path / "full"))
    ctx = _ctx(tmp_path / "cut")
    with pytest.raises(KeyboardInterrupt):
        run_model(Heat(interrupt_at=5), CONFIG, ctx)
    assert ctx.state["summary"]["fixture_steps"] == 5  # the last accepted state, checkpointed
    resumed = run_model(Heat(), CONFIG, _ctx(tmp_path / "cut", resume=True))
    assert resumed.num_steps == full.num_steps
    for key, value in full.metrics.items():
        assert resumed.metrics[key] == pytest.approx(value, rel=1e-10), key


def test_a_failed_step_reports_the_last_accepted_state(tmp_path, caplog):
    ctx = _ctx(tmp_path)
    ctx.logger.propagate = True  # to caplog
    with (
        caplog.at_level(logging.DEBUG, logger=ctx.logger.name),
        pytest.raises(SolverFailed, match=r"dt_min.*the fixture's note"),
    ):
        run_model(Heat(fail_after=0.1), CONFIG, ctx)
    summary = ctx.state["summary"]
    assert 0.1 <= summary["metrics"]["time_s"] < 0.1 + TIME.dt_max
    assert summary["metrics"]["observed_steps"] == summary["fixture_steps"]
    # every rejected step is logged (at debug level: log.txt, not the console) with its reason
    rejected = [r for r in caplog.records if r.message.startswith("step rejected")]
    assert len(rejected) >= 3  # Δt halved until below dt_min
    assert all(r.levelno == logging.DEBUG and "the fixture refuses to step" in r.message for r in rejected)


def test_progress_is_logged_at_least_every_heartbeat(tmp_path, caplog):
    """Besides every 10 % of the window, a progress line after each `heartbeat_s` of wall time
    (the 200 µm dendrite run's steps shrank and its log said nothing for 2.5 h)."""
    for heartbeat, every_step in ((600.0, False), (0.0, True)):
        (tmp_path / str(heartbeat)).mkdir()
        ctx = _ctx(tmp_path / str(heartbeat))
        ctx.heartbeat_s, ctx.logger.propagate = heartbeat, True
        with caplog.at_level(logging.INFO, logger=ctx.logger.name):
            caplog.clear()
            result = run_model(Heat(), CONFIG, ctx)
        lines = [r.message for r in caplog.records if r.message.startswith("heat: ")]
        print(heartbeat, result.num_steps, lines)
        assert (len(lines) == result.num_steps) is every_step
        assert (
            len(lines) >= 9 and any(line.endswith(f" of {TIME.t_end:.6g})") for line in lines) is every_step
        )


def test_debug_lines_go_to_log_txt_only(tmp_path, capsys):
    logger = make_logger(tmp_path, MPI.COMM_WORLD, quiet=False)
    fields = FieldWriter(tmp_path / "fields", MPI.COMM_WORLD, enabled=False)
    ctx = RunContext(tmp_path, MPI.COMM_WORLD, logger, fields)
    ctx.log("an info line")
    ctx.debug("step rejected at t = 1 s")
    for handler in logger.handlers:
        handler.flush()
    text = (tmp_path / "log.txt").read_text()
    assert "an info line" in text and "DEBUG step rejected at t = 1 s" in text
    console = "".join(capsys.readouterr())  # rich writes to the captured stdout
    assert "an info line" in console and "step rejected" not in console


def test_a_transient_only_model_needs_no_steady_solve(tmp_path):
    """The loop chooses by the protocol a model implements: the fixture is a TransientModel and no
    SteadyModel, so without physics.time it is refused before anything runs."""
    model = Heat(n=4)
    assert isinstance(model, TransientModel) and not isinstance(model, SteadyModel)
    steady = SimpleNamespace(physics=SimpleNamespace(kind="heat", time=None), output=CONFIG.output)
    with pytest.raises(SolverFailed, match=r"heat is transient only: physics\.time is required"):
        run_model(model, steady, _ctx(tmp_path))
