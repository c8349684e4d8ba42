"""Galvanostatic impedance: the cathode current is perturbed and its potential is an unknown.

The cathode is a metal electrode (one potential δV = δV′ + iδV″), the analyser imposes δI. The
block system of `ImpedanceSolver` is bordered by the two real unknowns δV′, δV″ and the two
equations Re δI = 1, Im δI = 0:

    [[A, −b, −Rb], [ℓ′ᵀ, d′], [ℓ″ᵀ, d″]] [x; δV′; δV″] = [0; 1; 0],

where b is the right-hand side for δV = 1 (it holds every way δV enters: Dirichlet values, lifting,
Butler–Volmer and double-layer terms), Rb the one for δV = i (R(x′, x″) = (−x″, x′): the block
system is the real form of a complex one), and δI = ℓ·x + d·δV the consistent current. With
cathode terms (Butler–Volmer, double layer) δI is minus their linearisation tested with the cathode
indicator (equal to the interior residual's, which `ImpedanceSolver` uses, for the solved state):
that row carries no ωM of the bulk, which the LU would otherwise cancel against the bulk rows.
With a Dirichlet cathode it is the interior residual's (d = 0). The border is scaled to entries
of at most 1; the bordered matrix is a MatNest converted to AIJ at each frequency (same pattern)
and factorised whole; Z = δV/δI.
"""

from __future__ import annotations

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

from sim.experiments.impedance import ImpedanceSolver, _derivative, check_converged

fem = dolfinx.fem
INSERT = PETSc.InsertMode.INSERT_VALUES


class CurrentControlledSolver(ImpedanceSolver):
    """`ImpedanceSolver` with the cathode current imposed (the potential perturbation's Z, solved
    the other way round)."""

    def __init__(self, split, bundle, options: dict, prefix: str = "impedance_current_") -> None:
        super().__init__(split, bundle, options, prefix=prefix)
        W2, n = self.W2, split.components
        comm = W2.mesh.comm
        if split.flux_cathode is not None or split.storage_cathode is not None:
            m_c = _derivative(split.storage_cathode, split.u, self.du)
            j_c = _derivative(split.flux_cathode, split.u, self.du)
            self.border_rows = self.current_rows(m_c, j_c)
            for vec in self.border_rows:
                vec.scale(-1.0)
        else:
            self.border_rows = self.rows
        v, ind = split.test, self.indicator
        self.d_forms = [fem.form(-ufl.replace(f, {v: ind})) if f else None for f in (self.b_j, self.b_m)]
        self.n_owned = W2.dofmap.index_map.size_local
        pairs = [(W2.sub(k).collapse()[1], W2.sub(n + k).collapse()[1]) for k in range(n)]
        self.real_dofs = np.concatenate([np.asarray(r, dtype=np.int32) for r, _ in pairs])
        self.imag_dofs = np.concatenate([np.asarray(i, dtype=np.int32) for _, i in pairs])
        # the two bordering unknowns and equations live on the last rank
        self.owner = comm.size - 1
        extra = 2 if comm.rank == self.owner else 0
        self.first = self.A.getOwnershipRange()[0]
        # the sparsity of b and ℓ: their support at a frequency where every term is on
        self.assemble(1.0)
        self.ell_vecs = [self.b.duplicate() for _ in range(2)]
        self._assemble_border()
        col0, col1 = self._columns()
        self.b_rows = np.flatnonzero(np.abs(col0) + np.abs(col1)).astype(np.int32)
        self.l_cols = np.flatnonzero(sum(np.abs(v.array) for v in self.ell_vecs)).astype(np.int32)
        size = (self.n_owned, PETSc.DECIDE), (extra, 2)
        self.B = PETSc.Mat().createAIJ(size, nnz=2, comm=comm)
        self.C = PETSc.Mat().createAIJ((size[1], size[0]), comm=comm)
        self.C.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, False)  # type: ignore[arg-type]  # an int (stub: enum class)
        self.C.setUp()
        self.D = PETSc.Mat().createAIJ((size[1], size[1]), nnz=2, comm=comm)
        self.X, self.rhs = self._bordered_vecs(comm, extra)
        self._fill()
        self.nest = PETSc.Mat().createNest([[self.A, self.B], [self.C, self.D]], comm=comm)
        self.K = self.nest.convert("aij", out=PETSc.Mat())  # a new AIJ (no `out`: in place)
        self.ksp.setOperators(self.K)

    def _bordered_vecs(self, comm, extra: int) -> tuple[PETSc.Vec, PETSc.Vec]:
        """Solution and right-hand side in the bordered layout (each rank: its rows of A, then
        the border's rows on the last rank), zero."""
        vecs = []
        for _ in range(2):
            vec = PETSc.Vec().createMPI((self.n_owned + extra, PETSc.DECIDE), comm=comm)
            vec.set(0.0)
            vecs.append(vec)
        return vecs[0], vecs[1]

    def _assemble_border(self) -> None:
        """ℓ′, ℓ″ and d = d_J + iω d_M at the current ω."""
        w = float(self.omega.value)
        jr, mr, ji, mi = self.border_rows
        for vec, (j, m) in zip(self.ell_vecs, ((jr, mr), (ji, mi)), strict=True):
            j.copy(vec)
            vec.axpy(w, m)
        comm = self.W2.mesh.comm
        d_j, d_m = (
            comm.allreduce(fem.assemble_scalar(f), op=MPI.SUM) if f is not None else 0.0 for f in self.d_forms
        )
        self.d = complex(d_j, w * d_m)

    def _columns(self) -> tuple[np.ndarray, np.ndarray]:
        """(−b, −Rb) on the owned rows."""
        b = np.zeros(self.x.x.array.size)
        b[: self.n_owned] = self.b.array[: self.n_owned]
        rb = np.zeros_like(b)
        rb[self.real_dofs], rb[self.imag_dofs] = -b[self.imag_dofs], b[self.real_dofs]
        return -b[: self.n_owned], -rb[: self.n_owned]

    def _fill(self) -> None:
        """B, C and D at the assembled frequency on their fixed sparsity, B's columns and C's rows
        scaled to a largest entry of 1 (the border otherwise differs from A by up to ω)."""
        comm = self.W2.mesh.comm
        col0, col1 = self._columns()
        values = np.column_stack([col0[self.b_rows], col1[self.b_rows]])
        ell = [vec.array[self.l_cols] for vec in self.ell_vecs]
        sb = comm.allreduce(float(np.max(np.abs(values), initial=0.0)), op=MPI.MAX)
        sc = comm.allreduce(max(float(np.max(np.abs(e), initial=0.0)) for e in ell), op=MPI.MAX)
        self.scale_b = sb
        self.B.zeroEntries()
        for r, vals in zip(self.b_rows, values / sb, strict=True):
            self.B.setValues([int(self.first + r)], [0, 1], vals, addv=INSERT)  # type: ignore[arg-type]
        self.B.assemble()
        self.C.zeroEntries()
        for k, e in enumerate(ell):
            self.C.setValues([k], self.first + self.l_cols, e / sc, addv=INSERT)  # type: ignore[arg-type]
        self.C.assemble()
        self.D.zeroEntries()
        if comm.rank == self.owner:
            d = np.array([[self.d.real, -self.d.imag], [self.d.imag, self.d.real]]) / (sb * sc)
            self.D.setValues([0, 1], [0, 1], d.ravel(), addv=INSERT)  # type: ignore[arg-type]
            self.rhs.array[self.n_owned] = 1.0 / sc  # Re δI = 1 (scaled)
        self.D.assemble()

    def impedance(self, omega_scaled: float) -> complex:
        """δV/δI (scaled) at scaled angular frequency ω: the current is perturbed."""
        self.assemble(omega_scaled)
        self._assemble_border()
        self._fill()
        self.nest.convert("aij", out=self.K)
        self.ksp.solve(self.rhs, self.X)
        check_converged(self.ksp, omega_scaled)
        comm = self.W2.mesh.comm
        local = self.X.array[self.n_owned :] if comm.rank == self.owner else None
        dv = comm.bcast(local, root=self.owner)
        self.x.x.array[: self.n_owned] = self.X.array[: self.n_owned]
        self.x.x.scatter_forward()
        return complex(dv[0], dv[1]) / self.scale_b
