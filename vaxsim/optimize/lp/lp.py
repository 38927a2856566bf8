"""A linear program as sparse arrays, and a builder that fills it block by block with numpy.

The formulation (:mod:`vaxsim.optimize.lp.build`) declares *blocks* of variables over index grids
(``ship[node, lot class, period]``) with a mask of the entries that exist, and adds constraint
rows as broadcast arrays of (row, column, coefficient) triplets. Nothing loops over single
variables in Python, so building stays a small fraction of solving. The same
:class:`LinearProgram` is handed to HiGHS as matrices or to CBC through PuLP
(:mod:`vaxsim.optimize.lp.solvers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sparse

INF = float("inf")


@dataclass
class LinearProgram:
    """``minimise cost·x + offset  s.t.  row_lower <= A x <= row_upper,  col_lower <= x <= col_upper``.

    ``terms`` splits the cost into named objective terms (each a cost vector over the
    columns; they add up to ``cost``) so the solve log can report them. ``columns`` and
    ``rows`` map block names to index arrays shaped like the block's grid (-1 where an entry
    does not exist), for extraction and for naming binding constraints.
    """

    name: str
    cost: np.ndarray
    offset: float
    matrix: sparse.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    terms: dict[str, np.ndarray]
    columns: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    slack_terms: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    @property
    def nonzeros(self) -> int:
        return int(self.matrix.nnz)

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def term_values(self, x: np.ndarray) -> dict[str, float]:
        """Value of each objective term at ``x``.

        ``einsum`` rather than ``@``: a float ``@`` goes to OpenBLAS, whose threads cost ~1 ms
        per call in a forked province worker on a busy 2-core machine (13 ms per province LP,
        0.3 ms this way; benchmarks/optimize.md)."""
        return {name: float(np.einsum("i,i->", vector, x)) for name, vector in self.terms.items()}


@dataclass
class Builder:
    """Collects variable blocks, constraint blocks and triplets, then makes a :class:`LinearProgram`."""

    name: str
    _cols: int = 0
    _rows: int = 0
    _col_lower: list[np.ndarray] = field(default_factory=list)
    _col_upper: list[np.ndarray] = field(default_factory=list)
    _integer: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    _r: list[np.ndarray] = field(default_factory=list)
    _c: list[np.ndarray] = field(default_factory=list)
    _v: list[np.ndarray] = field(default_factory=list)
    _terms: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    _columns: dict[str, np.ndarray] = field(default_factory=dict)
    _rows_by_name: dict[str, np.ndarray] = field(default_factory=dict)
    _shifts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    offset: float = 0.0

    def variables(
        self,
        name: str,
        mask: np.ndarray,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        integer: bool = False,
    ) -> np.ndarray:
        """A block of variables where ``mask`` is true; returns column indices shaped like
        ``mask`` (-1 where there is no variable). Bounds broadcast against ``mask``."""
        mask = np.asarray(mask, dtype=bool)
        count = int(mask.sum())
        index = np.full(mask.shape, -1, dtype=np.int64)
        index[mask] = np.arange(self._cols, self._cols + count)
        self._col_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), mask.shape)[mask])
        self._col_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), mask.shape)[mask])
        self._integer.append(np.full(count, integer))
        self._cols += count
        self._columns[name] = index
        return index

    def constraints(
        self,
        name: str,
        mask: np.ndarray,
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
    ) -> np.ndarray:
        """A block of rows where ``mask`` is true; returns row indices shaped like ``mask``."""
        mask = np.asarray(mask, dtype=bool)
        count = int(mask.sum())
        index = np.full(mask.shape, -1, dtype=np.int64)
        index[mask] = np.arange(self._rows, self._rows + count)
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), mask.shape)[mask].copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), mask.shape)[mask].copy())
        self._rows += count
        self._rows_by_name[name] = index
        return index

    def add(self, rows: np.ndarray, cols: np.ndarray, coefs: float | np.ndarray = 1.0) -> None:
        """Add ``coefs`` at ``(rows, cols)`` (broadcast together); entries where either index is
        -1 are skipped. Repeated entries add up."""
        rows, cols, coefs = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float)
        )
        keep = (rows >= 0) & (cols >= 0) & (coefs != 0)
        if keep.any():
            self._r.append(rows[keep])
            self._c.append(cols[keep])
            self._v.append(coefs[keep])

    def shift_bounds(self, rows: np.ndarray, amount: float | np.ndarray) -> None:
        """Add ``amount`` to both bounds of ``rows`` (moves constants to the right-hand side).
        Rows of -1 are skipped; repeated rows add up."""
        rows, amount = np.broadcast_arrays(np.asarray(rows, dtype=np.int64), np.asarray(amount, dtype=float))
        keep = (rows >= 0) & (amount != 0)
        if keep.any():
            self._shifts.append((rows[keep], amount[keep]))

    def cost(self, term: str, cols: np.ndarray, coefs: float | np.ndarray) -> None:
        """Add ``coefs`` to the cost of ``cols`` under objective term ``term``."""
        cols, coefs = np.broadcast_arrays(np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float))
        keep = (cols >= 0) & (coefs != 0)
        self._terms.setdefault(term, []).append((cols[keep], coefs[keep]))

    def build(self, slack_terms: tuple[str, ...] = ()) -> LinearProgram:
        cols, rows = self._cols, self._rows
        r = np.concatenate(self._r) if self._r else np.zeros(0, dtype=np.int64)
        c = np.concatenate(self._c) if self._c else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self._v) if self._v else np.zeros(0)
        matrix = sparse.csr_matrix((v, (r, c)), shape=(rows, cols))
        matrix.sum_duplicates()
        terms = {}
        for term, parts in self._terms.items():
            vector = np.zeros(cols)
            for idx, coef in parts:
                np.add.at(vector, idx, coef)
            terms[term] = vector
        cost = np.sum(list(terms.values()), axis=0) if terms else np.zeros(cols)
        row_lower = np.concatenate(self._row_lower) if self._row_lower else np.zeros(0)
        row_upper = np.concatenate(self._row_upper) if self._row_upper else np.zeros(0)
        for shifted, amount in self._shifts:
            delta = np.bincount(shifted, weights=amount, minlength=rows)
            row_lower = row_lower + delta
            row_upper = row_upper + delta
        return LinearProgram(
            name=self.name,
            cost=np.asarray(cost, dtype=float).reshape(cols),
            offset=self.offset,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.concatenate(self._col_lower) if self._col_lower else np.zeros(0),
            col_upper=np.concatenate(self._col_upper) if self._col_upper else np.zeros(0),
            integer=np.concatenate(self._integer) if self._integer else np.zeros(0, dtype=bool),
            terms=terms,
            columns=self._columns,
            rows=self._rows_by_name,
            slack_terms=tuple(t for t in slack_terms if t in terms),
        )


def values(index: np.ndarray, x: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Solution values on a block's grid (``fill`` where the variable does not exist)."""
    out = np.full(index.shape, fill, dtype=float)
    present = index >= 0
    out[present] = x[index[present]]
    return out
