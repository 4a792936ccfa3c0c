"""Matrix decompositions and their adjoints: QR, SVD, the symmetric eigendecomposition,
Cholesky and the pseudo-inverse. Real matrices, batched over leading axes (..., m, n).

The backward formulas are PyTorch's (torch/csrc/autograd/FunctionsManual.cpp:
``linalg_qr_backward``, ``svd_backward``, ``linalg_eig_backward`` with is_hermitian,
``cholesky_backward``, ``pinv_backward``), written for real matrices.

A decomposition has several outputs but a Function returns one array, so the factors
travel packed: each flattened over its matrix axes and joined along the last axis,
(..., |factor 1| + |factor 2| + ...). ``unpack`` (used by zennet/functional/decomposition.py)
reads them back; backward splits the packed gradient the same way. An output nobody used
sends back zeros, and a zero gradient is skipped as PyTorch skips an undefined one (which
keeps svdvals and eigvalsh finite at repeated values, where the vector terms divide by 0).
"""

import math

from zennet.autograd import Function


def _mT(xp, a):
    return xp.swapaxes(a, -1, -2)


def pack(xp, batch, parts):
    """The factors as one array (..., total): each flattened after the batch axes."""
    flat = [p.reshape(batch + (math.prod(p.shape[len(batch) :]),)) for p in parts]
    return xp.concatenate(flat, axis=-1)


def split(packed, batch, shapes):
    """The arrays that ``pack`` joined, given their shapes after the batch axes."""
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(packed[..., start : start + size].reshape(batch + tuple(shape)))
        start += size
    return out


def _used(xp, g):
    """g, or None where it is all zeros (an output nobody used)."""
    return g if g.size and xp.any(g) else None


def _solve_right(xp, a, b):
    """X with X·A = B (A (..., k, k))."""
    return _mT(xp, xp.linalg.solve(_mT(xp, a), _mT(xp, b)))


def _diag_embed(xp, d):
    return d[..., :, None] * xp.eye(d.shape[-1], dtype=d.dtype)


def _gaps(xp, values, square):
    """E_jk = f(v_k) - f(v_j) off the diagonal, 1 on it (f = x² for SVD, x for eigh)."""
    v = values * values if square else values
    e = v[..., None, :] - v[..., :, None]  # (..., k, k)
    idx = xp.arange(values.shape[-1])
    e[..., idx, idx] = 1
    return e


class QR(Function):
    """A = Q R, Q with orthonormal columns, R upper triangular (LAPACK's Householder QR).

    gA, with M = gR·Rᵀ - Qᵀ·gQ:
      m ≥ n:  gA = (gQ + Q·sym(triu(M)))·R⁻ᵀ,   sym(X) = X + Xᵀ - diag(X)
      m < n:  gA = [Q·tril(-M + Mᵀ)·R₁⁻ᵀ | 0] + Q·gR,   R₁ = R[:, :m]
    mode='complete' with m > n leaves part of Q undetermined and mode='r' drops Q, so
    neither has a gradient (PyTorch refuses both)."""

    def forward(self, a, mode="reduced"):
        xp = self.xp
        self.mode, self.m, self.n = mode, a.shape[-2], a.shape[-1]
        self.batch = a.shape[:-2]
        if mode == "r":
            self.r = xp.linalg.qr(a, mode="r")
            return pack(xp, self.batch, [self.r])
        self.q, self.r = xp.linalg.qr(a, mode=mode)
        return pack(xp, self.batch, [self.q, self.r])

    def backward(self, dy):
        xp, m, n = self.xp, self.m, self.n
        if self.mode == "r":
            raise NotImplementedError(
                "linalg.qr: mode='r' has no gradient (Q is not computed); use "
                "mode='reduced' to differentiate through the QR decomposition (as PyTorch)."
            )
        if self.mode == "complete" and m > n:
            raise NotImplementedError(
                f"linalg.qr: mode='complete' with more rows than columns ({m} > {n}) is not "
                f"differentiable (part of Q is arbitrary); use mode='reduced' (as PyTorch)."
            )
        q, r = self.q, self.r
        gq, gr = (_used(xp, g) for g in split(dy, self.batch, [q.shape[-2:], r.shape[-2:]]))
        if gq is None and gr is None:
            return (xp.zeros(self.batch + (m, n), dy.dtype),)
        big_m = 0
        if gr is not None:
            big_m = gr @ _mT(xp, r)  # (..., k, k)
        if gq is not None:
            big_m = big_m - _mT(xp, q) @ gq
        if m >= n:
            upper = xp.triu(big_m)
            ga = q @ (upper + _mT(xp, upper) - _diag_embed(xp, xp.diagonal(upper, 0, -2, -1)))
            if gq is not None:
                ga = ga + gq
            return (_solve_right(xp, _mT(xp, r), ga),)  # (..., m, n)
        ga = q @ xp.tril(_mT(xp, big_m) - big_m)  # (..., m, m)
        ga = _solve_right(xp, _mT(xp, r[..., :, :m]), ga)
        ga = xp.concatenate([ga, xp.zeros(self.batch + (m, n - m), ga.dtype)], axis=-1)
        return (ga + q @ gr if gr is not None else ga,)


class SVD(Function):
    """A = U·diag(S)·Vh, S descending (LAPACK's gesdd); k = min(m, n).

    With E_jk = S_k² - S_j² (1 on the diagonal) and skew(X) = X - Xᵀ:
      gA = U·[(skew(Uᵀ gU)·S + S·skew(Vh gVhᵀ)) / E + diag(gS)]·Vh
         + (I - U Uᵀ)·gU·S⁻¹·Vh        (m > n)
         + U·S⁻¹·gVh·(I - Vhᵀ Vh)       (m < n)
    With full_matrices the extra columns of U (rows of Vh) are arbitrary and take no
    gradient, as in PyTorch. Only gS flowing back: gA = U·diag(gS)·Vh."""

    def forward(self, a, full_matrices=False):
        xp = self.xp
        self.batch, self.m, self.n = a.shape[:-2], a.shape[-2], a.shape[-1]
        self.u, self.s, self.vh = xp.linalg.svd(a, full_matrices=full_matrices)
        return pack(xp, self.batch, [self.u, self.s, self.vh])

    def backward(self, dy):
        xp, m, n = self.xp, self.m, self.n
        k = min(m, n)
        shapes = [self.u.shape[-2:], (k,), self.vh.shape[-2:]]
        gu, gs, gvh = split(dy, self.batch, shapes)
        u, s, vh = self.u[..., :k], self.s, self.vh[..., :k, :]
        gu, gs, gvh = _used(xp, gu[..., :k]), _used(xp, gs), _used(xp, gvh[..., :k, :])
        if gu is None and gvh is None:
            if gs is None:
                return (xp.zeros(self.batch + (m, n), dy.dtype),)
            return ((u * gs[..., None, :]) @ vh,)
        inner = 0
        gaps = _gaps(xp, s, square=True)
        if gu is not None:
            utgu = _mT(xp, u) @ gu
            inner = (utgu - _mT(xp, utgu)) * s[..., None, :] / gaps
        if gvh is not None:
            vtgv = vh @ _mT(xp, gvh)
            inner = inner + s[..., :, None] * (vtgv - _mT(xp, vtgv)) / gaps
        if gs is not None:
            inner = inner + _diag_embed(xp, gs)
        if m > n and gu is not None:
            gu_sinv = gu / s[..., None, :]  # (..., m, k)
            ga = u @ inner + gu_sinv - u @ (_mT(xp, u) @ gu_sinv)
            return (ga @ vh,)
        if m < n and gvh is not None:
            sinv_gvh = gvh / s[..., :, None]  # (..., k, n)
            ga = inner @ vh + sinv_gvh - (sinv_gvh @ _mT(xp, vh)) @ vh
            return (u @ ga,)
        return (u @ inner @ vh,)


class Eigh(Function):
    """A = V·diag(L)·Vᵀ for symmetric A (LAPACK's syevd on the UPLO triangle), L ascending.

    gA = V·[skew(Vᵀ gV) / 2E + diag(gL)]·Vᵀ,  E_jk = L_k - L_j (1 on the diagonal);
    only gL flowing back: gA = V·diag(gL)·Vᵀ. The gradient is PyTorch's: symmetric, as
    if A's two triangles moved together (the forward reads only one of them)."""

    def forward(self, a, uplo="L"):
        xp = self.xp
        self.batch = a.shape[:-2]
        self.values, self.vectors = xp.linalg.eigh(a, UPLO=uplo)
        return pack(xp, self.batch, [self.values, self.vectors])

    def backward(self, dy):
        xp, v = self.xp, self.vectors
        n = v.shape[-1]
        gl, gv = (_used(xp, g) for g in split(dy, self.batch, [(n,), (n, n)]))
        if gv is None:
            if gl is None:
                return (xp.zeros(self.batch + (n, n), dy.dtype),)
            return ((v * gl[..., None, :]) @ _mT(xp, v),)
        vtgv = _mT(xp, v) @ gv
        inner = 0.5 * (vtgv - _mT(xp, vtgv)) / _gaps(xp, self.values, square=False)
        idx = xp.arange(n)
        inner[..., idx, idx] = 0 if gl is None else gl
        return (v @ inner @ _mT(xp, v),)


class Cholesky(Function):
    """A = L·Lᵀ, L lower triangular (upper: A = Uᵀ·U with U = Lᵀ); A symmetric positive-definite.

    gA = L⁻ᵀ·Φ(Lᵀ gL)·L⁻¹,  Φ(X) = ½·(tril(X) + tril(X, -1)ᵀ)  (Iain Murray, 2016), the
    symmetric gradient PyTorch gives."""

    def forward(self, a, upper=False):
        xp = self.xp
        self.upper = upper
        try:
            self.low = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise ValueError(
                f"linalg.cholesky: the input of shape {a.shape} is not positive-definite (a "
                f"leading minor is <= 0); Cholesky needs a symmetric positive-definite "
                f"matrix (add a multiple of the identity, or use linalg.cholesky_ex)."
            ) from None
        return _mT(xp, self.low) if upper else self.low

    def backward(self, dy):
        xp, low = self.xp, self.low
        dlow = _mT(xp, dy) if self.upper else dy
        p = xp.tril(_mT(xp, low) @ dlow)
        p = 0.5 * (p + _mT(xp, xp.tril(p, -1)))  # (..., n, n) symmetric
        return (_solve_right(xp, low, xp.linalg.solve(_mT(xp, low), p)),)


class Pinv(Function):
    """A⁺ from the SVD (or, hermitian, the eigendecomposition): singular values at most
    max(atol, rtol·σ_max) count as zero.

    gA for the gradient G of A⁺ (Golub and Pereyra; exact while the rank stays constant),
    grouped as PyTorch does to keep the products small; for m ≤ n, with K = Gᵀ·A⁺:
      gA = -(A⁺ K)ᵀ + K A⁺ᵀ - A A⁺ K A⁺ᵀ + A⁺ᵀ A⁺ (Gᵀ - K A)
    and for m > n, with K = A⁺·Gᵀ:
      gA = -(K A⁺)ᵀ + (Gᵀ - A K) A⁺ A⁺ᵀ + A⁺ᵀ K - A⁺ᵀ K A⁺ A."""

    def forward(self, a, atol, rtol, hermitian=False):
        xp = self.xp
        self.a = a
        if hermitian:
            values, vectors = xp.linalg.eigh(a)
            big = xp.abs(values).max(axis=-1, initial=0)  # (...,)
            keep = xp.abs(values) > xp.maximum(atol, rtol * big)[..., None]
            inv = xp.where(keep, 1 / xp.where(keep, values, 1), 0)
            self.pinv = (vectors * inv[..., None, :]) @ _mT(xp, vectors)
        else:
            u, s, vh = xp.linalg.svd(a, full_matrices=False)
            big = s.max(axis=-1, initial=0)
            keep = s > xp.maximum(atol, rtol * big)[..., None]
            inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
            self.pinv = (_mT(xp, vh) * inv[..., None, :]) @ _mT(xp, u)  # (..., n, m)
        return self.pinv

    def backward(self, g):
        xp, a, p = self.xp, self.a, self.pinv
        pt, gt = _mT(xp, p), _mT(xp, g)
        if a.shape[-2] <= a.shape[-1]:
            k = gt @ p  # (..., m, m)
            k_pt = k @ pt
            return (-_mT(xp, p @ k) + k_pt - (a @ p) @ k_pt + (pt @ p) @ (gt - k @ a),)
        k = p @ gt  # (..., n, n)
        pt_k = pt @ k
        return (-_mT(xp, k @ p) + (gt - a @ k) @ p @ pt + pt_k - pt_k @ p @ a,)
