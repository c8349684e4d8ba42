"""A PETSc error inside Newton's solve (a preconditioner or factor package PETSc cannot apply to
this matrix) ends the run as failed, exit 3, with the error code and where to look in the config,
not as an internal error (exit 1 with a traceback)."""

from __future__ import annotations

import json

from conftest import ROOT, SMALL_DENDRITE, one_line_error, run_sim

SMALL = [*SMALL_DENDRITE, "solver.petsc_options.pc_factor_mat_solver_type=no_such_package"]


def test_a_missing_factor_package_is_a_failed_run(tmp_path):
    sets = [a for s in SMALL for a in ("--set", s)]
    result = run_sim(
        "run", ROOT / "configs" / "dendrite_peo.yaml", "--out", tmp_path, "--quiet", *sets, check=False
    )
    one_line_error(result, 3, "PETSc stopped the solve with error code", "solver.petsc_options")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed" and "internal error" not in summary["message"]
