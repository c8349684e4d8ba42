"""Keys a model would accept and ignore, or die on later, are exit 2 at validation (issue 9, tried
as a new user would): units of the phase-field cards, the composite cathode's keys, impossible
geometries. Same checks as test_cli_errors.py (one line `error: FILE:LINE: key: ...`, no directory)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_sim
from test_cli_errors import assert_exit_2

ROOT = Path(__file__).resolve().parents[2]
DENDRITE = (ROOT / "configs" / "dendrite_peo.yaml").read_text()
PLM = (ROOT / "configs" / "dendrite_plm.yaml").read_text()
CATHODE = (ROOT / "configs" / "pl_lfp_cathode.yaml").read_text()
FILM = (ROOT / "configs" / "peo_20x5p6.yaml").read_text()


def line_of(text: str, start: str) -> int:
    """1-based number of the first line starting with `start`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def in_physics(text: str, entry: str) -> str:
    """`text` with `entry` (indented YAML) added as the first key of the physics section."""
    return text.replace("physics:\n", f"physics:\n{entry}", 1)


def with_geometry(text: str, other: str) -> str:
    """`text` with the geometry section of `other`."""
    section = re.compile(r"^geometry:\n(?:[ #].*\n|\n)*", re.MULTILINE)
    found = section.search(other)
    assert found is not None
    return section.sub(lambda _: found.group(0), text, count=1)


CASES = [
    (
        "filament Young's modulus in GPA",
        in_physics(DENDRITE, "  filament: {young_modulus: {value: 1.0, unit: GPA, source: test}}\n"),
        "physics.filament.young_modulus",
        "unknown unit 'GPA'",
    ),
    (
        "filament Poisson ratio with a pressure unit",
        in_physics(DENDRITE, "  filament: {poisson_ratio: {value: 0.4, unit: MPa, source: test}}\n"),
        "physics.filament.poisson_ratio",
        "not that of '1'",
    ),
    (
        "filament material card unknown",
        in_physics(DENDRITE, "  filament: {material: unobtainium}\n"),
        "physics.filament.material",
        "unknown material card 'unobtainium'",
    ),
    (
        "filament material card without a Young's modulus",
        in_physics(DENDRITE, "  filament: {material: insulator}\n"),
        "physics.filament.material",
        "'insulator' has no young_modulus",
    ),
    (
        "filament keys without filaments in the geometry",
        in_physics(DENDRITE, "  filament: {transport_factor: 1.0e-3}\n"),
        "physics.filament.transport_factor",
        "has no effect: the geometry has no filaments",
    ),
    (
        "the filaments' stiffness without mechanics",
        in_physics(
            PLM.replace("mechanics: staggered", "mechanics: none").replace(
                "coupling: reaction", "coupling: none"
            ),
            "  filament: {poisson_ratio: {value: 0.4, unit: '1', source: test}}\n",
        ),
        "physics.filament.poisson_ratio",
        "has no effect without mechanics",
    ),
    (
        "stop_at_tip at or above the counter electrode",
        in_physics(DENDRITE, "  stop_at_tip: 5.6e-6\n"),
        "physics.stop_at_tip",
        "is not below the counter electrode",
    ),
    (
        "phase-field parameter in a unit of another dimension",
        DENDRITE.replace("{value: 1.5625e-6, unit: J/m,", "{value: 1.5625e-6, unit: J/m3,"),
        "physics.deviations",
        "kappa0: unit 'J/m3'",
    ),
    (
        "composite cathode without physics.interface",
        re.sub(r"  interface:\n(    .*\n)+", "", CATHODE),
        "physics.interface",
        "required key is missing",
    ),
    (
        "checks on the composite cathode",
        in_physics(CATHODE, "  checks: warn\n"),
        "physics.checks",
        "unknown key",
    ),
    (
        "steady_tolerance on the (transient) composite cathode",
        in_physics(CATHODE, "  steady_tolerance: 1.0e-6\n"),
        "physics.steady_tolerance",
        "unknown key",
    ),
    (
        "steady_tolerance on a transient NPP run",
        in_physics(FILM, "  steady_tolerance: 1.0e-6\n  time: {t_end: 1.0, dt_initial: 0.01}\n"),
        "physics",
        "steady_tolerance applies to steady runs",
    ),
    (
        "error_tolerance on NPP (only the phase-field models estimate their time error)",
        in_physics(FILM, "  time: {t_end: 1.0, dt_initial: 0.01, error_tolerance: 0.01}\n"),
        "physics.time.error_tolerance",
        "unknown key",
    ),
    (
        "a composite cathode under kind npp",
        CATHODE.replace("kind: cathode", "kind: npp"),
        "physics",
        "is physics.kind: cathode, not npp",
    ),
]

GEOMETRY_REFUSALS = [
    (
        "npp on a particles geometry",
        with_geometry(FILM, CATHODE),
        "npp",
        "use physics.kind conduction or cathode",
    ),
    ("npp on the dendrite geometry", with_geometry(FILM, DENDRITE), "npp", "npp runs on slab, layers, file"),
    ("cathode on a layers geometry", with_geometry(CATHODE, FILM), "cathode", "cathode runs on particles"),
    ("phase field on a layers geometry", with_geometry(DENDRITE, FILM), "phasefield", "runs on dendrite"),
]
"""a physics kind on a geometry kind it does not run on (sim.physics.model.CAPABILITIES): exit 2 at
physics.kind, naming the kinds that run there"""


@pytest.mark.parametrize("name,bad,key,message", CASES, ids=[c[0] for c in CASES])
def test_ignored_or_crashing_key_is_exit_2(tmp_path, name, bad, key, message):
    assert_exit_2(tmp_path, bad, key, None)
    result = run_sim("validate", "bad.yaml", cwd=tmp_path, check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr


@pytest.mark.parametrize("name,bad,kind,message", GEOMETRY_REFUSALS, ids=[c[0] for c in GEOMETRY_REFUSALS])
def test_a_physics_kind_runs_on_its_geometries_only(tmp_path, name, bad, kind, message):
    assert_exit_2(tmp_path, bad, "physics.kind", line_of(bad, f"  kind: {kind}"))
    result = run_sim("validate", "bad.yaml", cwd=tmp_path, check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_lines_point_at_the_key(tmp_path):
    bad = in_physics(DENDRITE, "  filament: {young_modulus: {value: 1.0, unit: GPA, source: test}}\n")
    assert_exit_2(tmp_path, bad, "physics.filament.young_modulus", line_of(bad, "  filament:"))


def test_unknown_filament_card_names_its_line(tmp_path):
    bad = in_physics(DENDRITE, "  filament:\n    material: unobtainium\n")
    assert_exit_2(tmp_path, bad, "physics.filament.material", line_of(bad, "    material: unobtainium"))


def test_impossible_geometry_exit_2_before_the_run_directory(tmp_path):
    """A packing that cannot be placed is found while meshing: still exit 2, and no directory."""
    bad = CATHODE.replace("volume_fraction: 0.35", "volume_fraction: 0.7\n    max_attempts: 50")
    assert_exit_2(tmp_path, bad, "geometry", None)
    result = run_sim("run", "bad.yaml", "--out", "out", cwd=tmp_path, check=False)
    assert "cannot reach volume_fraction 0.7" in result.stderr


def test_cathode_stops_at_the_depletion_threshold(tmp_path):
    """depletion_threshold acts on the composite cathode: 0.9 × c0 is crossed in the binder next to
    the particles within the first 0.1 s (min c⁺ 882 mol/m³ at 0.081 s measured), so exit 3."""
    sets = ["geometry.mesh.size=6.0e-6", "geometry.mesh.min_size=2.0e-6", "output.fields=false"]
    sets += ["output.figures=false", "physics.depletion_threshold=0.9"]
    args = [a for s in sets for a in ("--set", s)]
    result = run_sim(
        "run",
        ROOT / "configs" / "pl_lfp_cathode.yaml",
        "--out",
        "out",
        "--quiet",
        *args,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "depletion_threshold × c0 = 900 mol/m³" in summary["message"]
    assert summary["metrics"]["time_s"] < 0.5 and summary["metrics"]["min_concentration_Li_mol_m3"] < 900
