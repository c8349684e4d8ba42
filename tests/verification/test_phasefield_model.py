"""The coupled (ξ, c̃, φ, u) dendrite model on a small dendrite mesh: Li conservation with closed
boundaries, charge balance with open ones, and the interface-resolution refusal."""

from __future__ import annotations

from pathlib import Path

from sim._dolfinx import dolfinx

import numpy as np
import pytest
import ufl
from mpi4py import MPI

from sim.config import load_config
from sim.mesh import assembled, boundary_facets, build_mesh
from sim.physics.dendrite import DendriteModel, check_interface, uniform
from sim.physics.dendrite_run import Observer
from sim.solve import SolverFailed
from sim.timestep import TimeStats

fem = dolfinx.fem
CONFIG = Path(__file__).parents[2] / "configs" / "dendrite_peo.yaml"
SMALL = ["geometry.width=8.0e-6", "geometry.nuclei=[{center_x: 4.0e-6, radius: 1.6e-6}]"]


def _model(overrides: list[str]):
    cfg = load_config(CONFIG, SMALL + overrides).config
    bundle = build_mesh(cfg.geometry, MPI.COMM_WORLD)
    check_interface(cfg.physics, cfg.geometry, bundle)
    model = DendriteModel(cfg, bundle)
    model.initial_state()
    return model, Observer(model)


def _advance(model, observer, steps: int, dt: float) -> list[float]:
    t, changes = 0.0, []
    for _ in range(steps):
        outcome = model.step(t, dt)
        assert outcome.converged, outcome.reason
        model.accept()
        t += dt
        observer.record(t, dt)
        content = observer.history["content"]
        changes.append(abs(content[-1] - content[-2]) / content[0])
    return changes


def test_an_observer_for_a_transferred_state_records_nothing_until_restored():
    """`Observer(model, initial=False)` (the model of a mesh transfer or a resume) holds no t = 0
    record: its history comes with the restored state, not from the state about to be replaced."""
    model, observer = _model([])
    assert observer.history["t_s"] == [0.0]
    assert all(values == [] for values in Observer(model, initial=False).history.values())


def test_li_conserved_with_zero_flux():
    """∫(c̃ + (c_s/c0) ξ) constant to 2e-13 per step when no boundary lets Li⁺ in (monolithic mechanics)."""
    model, observer = _model(["physics.cathode_concentration=null", "physics.mechanics=monolithic"])
    changes = _advance(model, observer, 4, 2e-3)
    grown = observer.history["li_area_m2"][-1] - observer.history["li_area_m2"][0]
    print(f"max relative change per step {max(changes):.2e}; Li area grew {grown:.3e} m²")
    assert max(changes) < 2e-13  # measured 1.1e-14 (round-off; ~20x for other platforms)
    assert grown > 0  # Li was deposited, taken from the electrolyte


def test_li_and_charge_balance_with_open_cathode():
    """Open cathode (c̃ = 1): content change = consistent Li⁺ inflow, deposited Li = net electrode charge."""
    model, observer = _model([])
    _advance(model, observer, 4, 2e-3)
    m = observer.metrics(TimeStats(t=8e-3, steps=4))
    print(
        f"Li balance {m['li_balance_rel_error']:.1e}, charge balance {m['charge_balance_rel_error']:.1e}, "
        f"cathode-charge Faraday error {m['faraday_rel_error']:.2f}"
    )
    assert m["li_balance_rel_error"] < 2e-13  # measured 1.8e-14
    assert m["charge_balance_rel_error"] < 3e-9  # measured 3.5e-10 (the potential's Newton tolerance)


def test_table_s1_interface_is_refused():
    """Table S1's κ0 and W give √(2κ0/W) = 11.5 µm > the 5.6 µm film: the model refuses."""
    cfg = load_config(CONFIG, [*SMALL, "physics.deviations={}"]).config
    bundle = build_mesh(cfg.geometry, MPI.COMM_WORLD)
    with pytest.raises(SolverFailed, match="not small compared with the domain"):
        check_interface(cfg.physics, cfg.geometry, bundle)
    coarse = load_config(CONFIG, [*SMALL, "geometry.mesh.min_size=0.3e-6"]).config
    with pytest.raises(SolverFailed, match="resolved by only"):
        check_interface(coarse.physics, coarse.geometry, build_mesh(coarse.geometry, MPI.COMM_WORLD))


def test_boundary_fluxes_on_the_electrode_cells_equal_the_whole_mesh_ones():
    """The observer's consistent boundary fluxes, integrated over the cells touching an electrode
    only (sim.mesh.near_boundary), have the values of the same integrands over the whole mesh."""
    model, observer = _model(["physics.mechanics=none", "physics.stress_coupling=none"])
    _advance(model, observer, 2, 2e-3)
    model.U.x.array[:] += 1e-3 * np.sin(np.arange(model.U.x.array.size))  # a state off the solution
    for name, forms in observer.flux.items():
        w = fem.Function(model.W)  # the observer's test function: 1 on the electrode's c̃, ψ dofs
        facets = boundary_facets(model.bundle, name)
        for sub in (1, 2):
            w.x.array[fem.locate_dofs_topological(model.W.sub(sub), 1, facets)] = 1.0
        for key, restricted in forms.items():
            form = model.forms[key]
            whole = fem.form(ufl.replace(form, {form.arguments()[0]: w, model.U_n: observer.prev}))
            part, full = assembled(restricted), assembled(whole)
            print(f"{name} {key}: {part:.17g} (electrode cells) {full:.17g} (whole mesh)")
            assert part == pytest.approx(full, rel=1e-13, abs=0.0)  # measured: bit for bit
            assert part != 0.0


def test_uniform_cell_fields_enter_the_forms_as_numbers():
    """A region-wise DG0 field that is the same on every cell is a float in the forms (cheaper
    kernels, the same numbers); one that varies stays a field."""
    model, _ = _model(["physics.mechanics=none", "physics.stress_coupling=none"])
    assert uniform(model.mask) == 1.0  # no filaments on this mesh
    field = model.host["D"]
    assert uniform(field) == field.x.array[0]
    field.x.array[0] *= 0.5
    assert uniform(field) is field
