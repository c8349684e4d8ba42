"""Small-signal impedance of a `ResidualSplit` (issue 12).

(iωM + J) δu = b in real 2×2 block form on a space of two copies of the model's space:
[[J, −ωM], [ωM, J]] [δu′; δu″] = [b_J; ω b_M]. The block matrix is assembled monolithically from
UFL (ω a Constant), so one MUMPS LU per frequency reuses the symbolic factorisation; a split may
name the combinations of its unknowns the system solves for (`ResidualSplit.basis`). δI is the
consistent current: the interior residual, linearised, tested with the cathode indicator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import ufl
from petsc4py import PETSc

from sim.experiments.forms import ResidualSplit
from sim.mesh import boundary_dofs
from sim.solve import SolverFailed

fem = dolfinx.fem


@dataclass
class Spectrum:
    """Z(f) in Ω m² (per unit electrode area) and the solve timing."""

    frequency: np.ndarray
    """Hz"""
    z_area: np.ndarray
    """complex Z × electrode area, Ω m²"""
    solve_times: np.ndarray
    """s per frequency (assembly + factorisation + solve + current)"""
    num_dofs: int
    """unknowns of the real block system"""


def frequencies(cfg) -> np.ndarray:
    """The log-spaced frequencies of `cfg.frequencies` (a FrequencyRange), Hz, highest first."""
    f = cfg.frequencies
    return np.logspace(np.log10(f.max), np.log10(f.min), f.points)


def _derivative(form, coefficient, direction):
    return ufl.derivative(form, coefficient, direction) if form is not None else None


def _sum(forms):
    forms = [f for f in forms if f is not None]
    return sum(forms[1:], forms[0]) if forms else None


def block_space(split: ResidualSplit) -> fem.FunctionSpace:
    """2n Lagrange fields (n real parts, then n imaginary parts) of the model's element."""
    V = split.u.function_space
    mesh = V.mesh
    degree = V.ufl_element().embedded_superdegree
    element = basix.ufl.element("Lagrange", mesh.basix_cell(), degree)
    return fem.functionspace(mesh, basix.ufl.mixed_element([element] * (2 * split.components)))


def _parts(arg, n: int, basis=None):
    """(real, imaginary) halves of a block-space argument, shaped like the model's argument and
    mapped by `basis` (ResidualSplit.basis) when given."""
    comps = [arg[i] for i in range(2 * n)]
    if n == 1:
        return comps[0], comps[1]
    halves = ufl.as_vector(comps[:n]), ufl.as_vector(comps[n:])
    if basis is None:
        return halves
    P = ufl.as_matrix([list(row) for row in basis])
    return P * halves[0], P * halves[1]


def _check_dirichlet_in_basis(split) -> None:
    """Dirichlet values held on the unknowns the system solves for mean the same on the model's
    components only where the basis leaves a held component alone (its row and column of the basis
    are unit vectors), or where it is held at zero with every component it is combined with, on the
    same facets (an invertible combination of zeros is zero); ValueError otherwise."""
    if split.basis is None:
        return
    P = np.array(split.basis, dtype=float)
    held = {(comp, np.asarray(facets).tobytes()): weight for comp, facets, weight in split.dirichlet}
    for comp, facets, weight in split.dirichlet:
        mixed = set(np.flatnonzero(P[comp])) | set(np.flatnonzero(P[:, comp]))
        if mixed == {comp}:
            continue
        if weight != 0.0 or any(held.get((other, np.asarray(facets).tobytes())) != 0.0 for other in mixed):
            raise ValueError(
                f"component {comp} is held at {weight} on facets where the ResidualSplit basis "
                "combines it with components not held at zero there"
            )


def check_converged(ksp: PETSc.KSP, omega_scaled: float) -> None:
    """SolverFailed unless `ksp` converged."""
    reason = ksp.getConvergedReason()
    if reason <= 0:  # type: ignore[operator]  # an int (stub: enum class)
        raise SolverFailed(f"impedance solve failed at ω = {omega_scaled:.3g} (PETSc reason {reason})")


class ImpedanceSolver:
    """Assembles and solves the block system of `split` frequency by frequency."""

    def __init__(self, split: ResidualSplit, bundle, options: dict, prefix: str = "impedance_") -> None:
        self.split, self.bundle = split, bundle
        n = split.components
        V = split.u.function_space
        mesh = V.mesh
        self.W2 = W2 = block_space(split)
        du = ufl.TrialFunction(V)
        U, T = ufl.TrialFunction(W2), ufl.TestFunction(W2)
        _check_dirichlet_in_basis(split)
        (ur, ui), (vr, vi) = _parts(U, n, split.basis), _parts(T, n)
        v = split.test
        storage = _sum([split.storage, split.storage_cathode])
        flux = _sum([split.flux, split.flux_cathode])
        m = _derivative(storage, split.u, du)
        j = _derivative(flux, split.u, du)

        def bil(form, trial, test):
            return ufl.replace(form, {du: trial, v: test})

        self.omega = fem.Constant(mesh, 0.0)
        w = self.omega
        a = bil(j, ur, vr) + bil(j, ui, vi) - w * bil(m, ui, vr) + w * bil(m, ur, vi)
        a_j = bil(j, ur, vr) + bil(j, ui, vi)
        a_m = bil(m, ur, vi) - bil(m, ui, vr)
        one = fem.Function(split.control.function_space)
        one.x.array[:] = 1.0
        self.b_j = b_j = _derivative(split.flux_cathode, split.control, one)
        self.b_m = b_m = _derivative(split.storage_cathode, split.control, one)
        rhs = [-ufl.replace(b_j, {v: vr})] if b_j is not None else []
        rhs += [-w * ufl.replace(b_m, {v: vi})] if b_m is not None else []
        rhs = _sum(rhs) if rhs else fem.Constant(mesh, 0.0) * T[0] * ufl.dx
        self.a, self.L = fem.form(a), fem.form(rhs)
        self.bcs = self._bcs()
        # A(ω) = A_J + ω A_M: both assembled once on the pattern of the block form
        self.A_j, self.A_m = fem.petsc.create_matrix(self.a), fem.petsc.create_matrix(self.a)
        fem.petsc.assemble_matrix(self.A_j, fem.form(a_j), bcs=self.bcs)  # type: ignore[misc, arg-type]
        fem.petsc.assemble_matrix(self.A_m, fem.form(a_m), bcs=self.bcs, diag=0.0)  # type: ignore[misc, arg-type]
        for mat in (self.A_j, self.A_m):
            mat.assemble()
        # PETSc compresses out the preallocated entries an assembly left untouched, so A_J and A_M
        # may hold different patterns (e.g. no storage on a ceramic or a C_dl-free interface): A
        # holds their union, and each frequency adds both as subsets of it
        self.A = self.A_j.copy()
        self.A.axpy(1.0, self.A_m, structure=PETSc.Mat.Structure.DIFFERENT_NONZERO_PATTERN)  # type: ignore[arg-type]
        self.b = fem.petsc.create_vector(fem.extract_function_spaces(self.L))
        self.x = fem.Function(W2)
        self.ksp = PETSc.KSP().create(mesh.comm)
        self.ksp.setOperators(self.A)
        self.ksp.setOptionsPrefix(prefix)
        opts = PETSc.Options()
        for key, value in options.items():
            opts.setValue(prefix + key, value)
        self.ksp.setFromOptions()
        # the current: interior residual (no cathode terms), linearised, tested with the indicator
        self.du, self.indicator = du, self._indicator()
        m_int, j_int = _derivative(split.storage, split.u, du), _derivative(split.flux, split.u, du)
        self.rows = self.current_rows(m_int, j_int)
        self.num_dofs = W2.dofmap.index_map.size_global * W2.dofmap.index_map_bs

    def _bcs(self) -> list:
        mesh, n = self.W2.mesh, self.split.components
        fdim = mesh.topology.dim - 1
        mesh.topology.create_connectivity(fdim, fdim + 1)
        bcs = []
        for comp, facets, weight in self.split.dirichlet:
            for part, value in ((comp, weight), (n + comp, 0.0)):
                sub = self.W2.sub(part)
                dofs = fem.locate_dofs_topological(sub, fdim, facets)
                bcs.append(fem.dirichletbc(np.float64(value), dofs, sub))  # PETSc here is real
        return bcs

    def _indicator(self) -> fem.Function:
        """1 on the cathode's dofs of the charge component, 0 elsewhere."""
        split, n = self.split, self.split.components
        V = split.u.function_space
        ind = fem.Function(V)
        sub = V.sub(split.charge_component) if n > 1 else V
        ind.x.array[boundary_dofs(self.bundle, sub, "cathode")] = 1.0
        ind.x.scatter_forward()
        return ind

    def current_rows(self, m, j) -> tuple[PETSc.Vec, ...]:
        """(j′, m′, j″, m″): δI = (J + iωM)(δu′ + iδu″) tested with the cathode indicator, as
        vectors on the block space, Re δI = (j′ + ω m′)·x, Im δI = (j″ + ω m″)·x (M or J None: no
        such terms). Assembled once: each frequency's δI is then two dot products."""
        split, n = self.split, self.split.components
        T = ufl.TestFunction(self.W2)
        tr, ti = _parts(T, n, split.basis)
        zero = fem.Constant(self.W2.mesh, 0.0) * T[0] * ufl.dx

        def lin(form, direction, sign=1.0):
            if form is None:
                return zero
            return sign * ufl.replace(form, {self.du: direction, split.test: self.indicator})

        rows = []
        for form in (lin(j, tr), lin(m, ti, -1.0), lin(j, ti), lin(m, tr)):
            vec = fem.petsc.assemble_vector(fem.form(form))
            vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)  # type: ignore[arg-type]
            rows.append(vec)
        return tuple(rows)

    def assemble(self, omega_scaled: float) -> None:
        """A(ω) = A_J + ωA_M and b(ω) (δV = 1, scaled) at scaled angular frequency ω."""
        self.omega.value = omega_scaled  # type: ignore[assignment]  # the setter takes a float
        subset = PETSc.Mat.Structure.SUBSET_NONZERO_PATTERN
        self.A.zeroEntries()
        self.A.axpy(1.0, self.A_j, structure=subset)  # type: ignore[arg-type]
        self.A.axpy(omega_scaled, self.A_m, structure=subset)  # type: ignore[arg-type]
        with self.b.localForm() as loc:
            loc.set(0.0)
        fem.petsc.assemble_vector(self.b, self.L)  # type: ignore[arg-type]  # the Vec form is not in the stubs
        fem.petsc.apply_lifting(self.b, [self.a], bcs=[self.bcs])
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)  # type: ignore[arg-type]
        fem.petsc.set_bc(self.b, self.bcs)

    def current(self) -> complex:
        """δI (scaled) of the block solution held in `x`."""
        x, w = self.x.x.petsc_vec, float(self.omega.value)
        jr, mr, ji, mi = self.rows
        return complex(x.dot(jr) + w * x.dot(mr), x.dot(ji) + w * x.dot(mi))

    def solve(self, omega_scaled: float) -> complex:
        """δI (scaled) for δV = 1 (scaled) at scaled angular frequency ω."""
        self.assemble(omega_scaled)
        self.ksp.solve(self.b, self.x.x.petsc_vec)
        check_converged(self.ksp, omega_scaled)
        self.x.x.scatter_forward()
        return self.current()

    def impedance(self, omega_scaled: float) -> complex:
        """δV/δI (scaled) at scaled angular frequency ω: the potential is perturbed."""
        return 1.0 / self.solve(omega_scaled)

    def spectrum(self, frequencies: np.ndarray, width: float) -> Spectrum:
        """Z × area (Ω m²) at `frequencies` (Hz); `width` is the cathode length in m."""
        s = self.split
        z, times = [], []
        for f in frequencies:
            tick = time.perf_counter()
            z_scaled = self.impedance(2.0 * np.pi * f * s.time_unit)
            z.append(z_scaled * s.potential_unit * width / s.current_unit)  # Ω m²
            times.append(time.perf_counter() - tick)
        return Spectrum(np.asarray(frequencies), np.asarray(z), np.asarray(times), self.num_dofs)
