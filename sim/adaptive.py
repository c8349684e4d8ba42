"""A model on a mesh that follows its interface (issue 11): `AdaptiveModel` wraps any model of the
protocol (sim.physics.model) that can say where its interface is (`Adaptable`), and every
`adaptivity.every` accepted steps rebuilds it on the base mesh refined around the interface
(sim.adapt), moves the accepted state across, corrects the inventories the transfer changed and
carries on. The run loop sees one model; field output continues as one VTK time series (a .pvd
whose pieces may have different meshes).

A checkpoint holds, besides the inner model's state and data, the cells split at each level of the
current mesh (sim.adapt.cell_keys: by position, so on any partition) and the adaptation history;
`--resume` rebuilds the model on the base mesh refined by replaying them (`remesh`), and the state,
keyed by vertex position (sim.checkpoint), refills it. A signal waits until an accepted step's
adaptation is over, so a checkpoint never holds the marks of one mesh with the state of another.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

from sim import adapt, interrupts
from sim.mesh import MeshBundle, assembled, num_dofs
from sim.physics.model import Capabilities, ModelResult, StepOutcome, TimeStats, TransientModel
from sim.solve import SolverFailed

fem = dolfinx.fem


class Adaptable(TransientModel, Protocol):
    """A model that can be moved to another mesh."""

    def indicator(self) -> fem.Function:
        """A P1 field of the accepted state that is large where the mesh must be fine (ξ(1 − ξ))."""
        ...

    def phase(self) -> fem.Function:
        """The order parameter ξ of the accepted state on the indicator's space (1 in the metal, 0
        in the electrolyte): a cell whose vertex values of it span the band is refined too."""
        ...

    def inventories(self) -> dict[str, float]:
        """The conserved totals of the accepted state a mesh transfer must keep (name → value)."""
        ...

    def correct(self, targets: Mapping[str, float]) -> dict[str, float]:
        """Adjust the accepted state (and iterate) so `inventories()` equals `targets`; returns
        the relative corrections applied."""
        ...


@runtime_checkable
class Detailed(Protocol):
    """An `Adaptable` with a second refinement criterion (`adaptivity.detail_tolerance`)."""

    def detail(self) -> fem.Function:
        """A P1 field of the accepted state on the indicator's space whose variation over a cell
        must stay below the tolerance (cells where it does not are refined)."""
        ...


def assembled_at(constant: fem.Constant, x: float, form: fem.Form) -> float:
    """`form` assembled with `constant` = x (reset to 0 after)."""
    constant.value = x  # type: ignore[assignment]  # dolfinx's setter takes any array-like
    value = assembled(form)
    constant.value = 0.0  # type: ignore[assignment]
    return value


def scalar_root(g: Callable[[float], float], slope: Callable[[float], float], scale: float) -> float:
    """x with g(x) = 0 by Newton from 0 (g monotone, the root small), to round-off: until |g|
    stops decreasing (≤ 1e-13 × `scale` required; a few iterations). The inventory corrections of
    `Adaptable.correct` (a shift of the front within the interface, a uniform shift of a potential)."""
    x, best, best_x = 0.0, np.inf, 0.0
    for _ in range(20):
        value = g(x)
        residual = abs(value)
        if residual >= best:
            break
        best, best_x = residual, x
        derivative = slope(x)
        if residual == 0.0 or derivative == 0.0:  # exact, or no interface to shift
            break
        x -= value / derivative
    if best > 1e-13 * abs(scale):
        raise SolverFailed(f"the inventory correction did not converge (residual {best:.3g} of {scale:.3g})")
    return best_x


def shift_root(constant: fem.Constant, forms: tuple[fem.Form, fem.Form], target: float) -> float:
    """The value of `constant` at which the first of `forms` (value, its derivative in the
    constant) assembles to `target`, by `scalar_root` (the shift an `Adaptable.correct` applies)."""
    value, slope = forms
    return scalar_root(
        lambda x: assembled_at(constant, x, value) - target,
        lambda x: assembled_at(constant, x, slope),
        target,
    )


@contextmanager
def collective_gc() -> Iterator[None]:
    """No garbage collection inside, one on every rank at the end: a dropped model's PETSc objects
    are destroyed collectively, so they must not be collected at different moments on different
    ranks (one rank inside a collective call, the other destroying: a deadlock, measured)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


class AdaptiveModel:
    """`build(bundle, initial)` rebuilt on the base mesh refined where the model's indicator is above
    `settings.threshold`, every `settings.every` accepted steps (and once at the start)."""

    def __init__(
        self,
        build: Callable[[MeshBundle, bool], Adaptable],
        base: MeshBundle,
        settings: Any,
        ctx: Any,
        front_limit: tuple[float, float] | None = None,
    ) -> None:
        """`build(bundle, initial)`: the model on `bundle`, in its initial state if `initial` (else
        its state is set next: by a transfer or from a checkpoint). `front_limit`: (largest change
        of the model's stepped field for which the front moves the allowed distance, the stepper's
        max_change), or None."""
        self.build, self.base, self.settings, self.ctx = build, base, settings, ctx
        self.front_limit = front_limit
        self.history: dict[str, list[Any]] = {"t_s": [], "num_dofs": [], "num_cells": [], "corrections": []}
        """per adaptation (the first entry: the start), with the relative corrections it applied"""
        self.corrections: dict[str, float] = {}
        self.adaptation_time = 0.0
        """wall time of the rebuilds after the start (mesh, model, transfer, corrections), s"""
        self.marks: list[np.ndarray] = []
        """the cells split at each level of the current mesh (sim.adapt.cell_keys)"""
        with collective_gc():
            self.inner = self._initial()
        self.label, self.fields_on_failure = self.inner.label, self.inner.fields_on_failure

    def _mark(self, model: Adaptable, marks: list[np.ndarray]) -> Callable[[MeshBundle], np.ndarray]:
        """The cells of a level where the model's indicator and phase (interpolated onto it) mark
        the band, recorded in `marks`."""
        s, fields = self.settings, {"i": model.indicator(), "p": model.phase()}
        tolerance = s.detail_tolerance
        if tolerance is not None and isinstance(model, Detailed):
            fields["d"] = model.detail()

        def mark(bundle: MeshBundle) -> np.ndarray:
            V = fem.functionspace(bundle.mesh, ("Lagrange", 1))
            local = {name: fem.Function(V) for name in fields}
            adapt.transfer(fields, local)
            detail = (local["d"], tolerance) if "d" in local else None
            cells = adapt.band_cells(bundle, local["i"], s.threshold, s.buffer_layers, local["p"], detail)
            marks.append(adapt.cell_keys(bundle, cells))
            return cells

        return mark

    def _initial(self) -> Adaptable:
        """The initial state built level by level: each level marks from the model's own initial
        state on the mesh of the level before (no interpolated interface)."""
        bundle = self.base
        self.level = np.zeros(bundle.mesh.topology.index_map(bundle.mesh.topology.dim).size_local, np.int32)
        model = self.build(bundle, True)
        for _ in range(self.settings.levels):
            cells = self._mark(model, self.marks)(bundle)
            if bundle.mesh.comm.allreduce(len(cells)) == 0:
                break
            bundle, self.level = adapt.refine_bundle(bundle, cells, self.level)
            model = self.build(bundle, True)
        self._record(bundle, model, TimeStats())
        return model

    def _rebuilt(self, stats: TimeStats) -> Adaptable:
        """The model on the base mesh adapted to the accepted state, which is transferred to it
        with its inventories corrected."""
        old = self.inner
        marks: list[np.ndarray] = []  # the new mesh's, kept once the model is on it
        bundle, self.level = adapt.adapted(self.base, self._mark(old, marks), self.settings.levels)
        new = self.build(bundle, False)
        targets = old.inventories()
        adapt.transfer(old.checkpoint_state(), new.checkpoint_state())
        new.reject()  # the iterate = the transferred accepted state
        new.restore(old.checkpoint_data(), stats)
        applied = new.correct(targets)
        for name, value in applied.items():
            self.corrections[name] = max(self.corrections.get(name, 0.0), abs(value))
        self._record(bundle, new, stats, applied)
        self.marks = marks
        return new

    def _escaping(self) -> bool:
        """Whether the interface (the indicator above threshold) has reached cells below the
        finest level: the band is rebuilt at once, before the front leaves the refined zone."""
        model = self.inner
        cells = adapt.band_cells(self.bundle, model.indicator(), self.settings.threshold, 0, model.phase())
        coarse = int((self.level[cells] < self.settings.levels).any())
        return bool(self.bundle.mesh.comm.allreduce(coarse, op=MPI.MAX))

    def remesh(self, data: dict[str, Any]) -> None:
        """sim.physics.model.Remeshing: the model rebuilt on the mesh of a checkpoint's `data`,
        the base mesh refined where its marks say, level by level."""
        marks = [np.asarray(m, dtype=np.int64).reshape(-1, 3) for m in data["adaptivity"]["marks"]]
        replay = iter(marks)
        with collective_gc():
            bundle, self.level = adapt.adapted(
                self.base, lambda b: adapt.cells_at(b, next(replay)), len(marks)
            )
            self.inner, self.marks = self.build(bundle, False), marks
        self._attach(bundle)

    def _attach(self, bundle: MeshBundle) -> None:
        self.bundle = bundle
        self.ctx.fields.attach(bundle)

    def _record(
        self,
        bundle: MeshBundle,
        model: Adaptable,
        stats: TimeStats,
        corrections: Mapping[str, float] | None = None,
    ) -> None:
        self._attach(bundle)
        mesh = bundle.mesh
        cells = mesh.topology.index_map(mesh.topology.dim).size_local
        self.history["t_s"].append(stats.t)
        self.history["num_dofs"].append(num_dofs(model.state()))
        self.history["num_cells"].append(mesh.comm.allreduce(cells))
        self.history.setdefault("corrections", []).append(dict(corrections or {}))  # (older checkpoints)

    # ---- the Model protocol: the inner model's, plus adaptation after accepted steps ----------
    @property
    def capabilities(self) -> Capabilities:
        return self.inner.capabilities

    def state(self) -> list[fem.Function]:
        return self.inner.state()

    def checkpoint_state(self) -> dict[str, fem.Function]:
        return self.inner.checkpoint_state()

    def checkpoint_data(self) -> dict[str, Any]:
        own = {
            "marks": [m.tolist() for m in self.marks],
            "history": self.history,
            "corrections": self.corrections,
            "time_s": self.adaptation_time,
        }
        return self.inner.checkpoint_data() | {"adaptivity": own}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> bool | None:
        own = data["adaptivity"]
        self.history, self.corrections = own["history"], own["corrections"]
        self.adaptation_time = own.get("time_s", 0.0)  # (checkpoints written before it was kept)
        return self.inner.restore({k: v for k, v in data.items() if k != "adaptivity"}, stats)

    def step(self, t: float, dt: float) -> StepOutcome:
        """The inner model's step; with `front_limit` (the largest change of the indicator field
        for which the front moves `front_fraction` of the finest element), its change is scaled so
        the stepper's max_change holds that limit too. Not on the first step, which also takes up
        the boundary values the initial state lacks (e.g. the phase field's ξ = 1 on the anode: a
        jump of 0.06 there, whatever Δt)."""
        outcome = self.inner.step(t, dt)
        if self.front_limit is not None and t > 0:
            outcome.change = max(outcome.change, outcome.change * self.front_limit[1] / self.front_limit[0])
        return outcome

    def accept(self) -> None:
        self.inner.accept()

    def reject(self) -> None:
        self.inner.reject()

    def observe(self, stats: TimeStats) -> bool | None:
        """The inner model's observer, then the adaptation that is due (a signal waits for both);
        the observer's stop ends the run without adapting."""
        with interrupts.deferred():
            if self.inner.observe(stats):
                return True
            if stats.steps % self.settings.every == 0 or self._escaping():
                start = time.perf_counter()
                with collective_gc():
                    self.inner = self._rebuilt(stats)
                self.adaptation_time += time.perf_counter() - start
        return None

    def metrics(self, stats: TimeStats) -> Mapping[str, object]:
        return self.inner.metrics(stats)

    def output_fields(self) -> list[dict[str, fem.Function]]:
        return self.inner.output_fields()

    def snapshots(self, t: float) -> dict[str, tuple[fem.Function, str, dict[str, Any]]]:
        return self.inner.snapshots(t)

    def failure_note(self) -> str:
        return self.inner.failure_note()

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        return self.inner.failure_summary(stats) | {"adaptivity": self.summary()}

    def result(self, stats: TimeStats) -> ModelResult:
        result = self.inner.result(stats)
        result.extra["adaptivity"] = self.summary()
        return result

    def summary(self) -> dict[str, Any]:
        """DOFs over time, the number of adaptations, the transfer corrections (the largest, and each
        adaptation's in the history) and the wall time spent rebuilding (from the start on, across
        resumes)."""
        dofs = self.history["num_dofs"]
        return {
            "adaptations": len(dofs) - 1,
            "adaptation_time_s": self.adaptation_time,
            "mean_num_dofs": float(np.mean(dofs)),
            "max_num_dofs": int(max(dofs)),
            "max_relative_corrections": dict(self.corrections),
            "history": self.history,
        }
