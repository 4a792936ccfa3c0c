"""Connectionist temporal classification (Graves et al., 2006): the loss of a label sequence
given per-frame log-probabilities, summed over every alignment, in log space.

A target ``l = (l_1 .. l_S)`` is extended with blanks, ``l' = (b, l_1, b, l_2, .., l_S, b)``
(length ``L = 2S + 1``); ``y_t(k)`` is the log-probability of class k at frame t.

Forward (the alpha recursion; ``⊕`` is log-sum-exp):

    α_0(0) = y_0(b),  α_0(1) = y_0(l_1),  α_0(s) = -inf for s > 1
    α_t(s) = y_t(l'_s) + [α_{t-1}(s) ⊕ α_{t-1}(s-1) ⊕ α_{t-1}(s-2)]
             (the s-2 term only when l'_s is not blank and l'_s ≠ l'_{s-2}: a skip over a blank)
    loss = -log p(l | x) = -[α_{T-1}(L-1) ⊕ α_{T-1}(L-2)]

Backward (the beta recursion, mirrored, then alpha-beta):

    β_{T-1}(L-1) = y_{T-1}(b),  β_{T-1}(L-2) = y_{T-1}(l_S)
    β_t(s) = y_t(l'_s) + [β_{t+1}(s) ⊕ β_{t+1}(s+1) ⊕ β_{t+1}(s+2)]   (s+2 when a skip)
    γ_t(k) = Σ_{s: l'_s = k} exp(α_t(s) + β_t(s) - y_t(k) + loss)
    grad_t(k) = exp(y_t(k)) - γ_t(k)          (PyTorch's gradient, for t < input length)

α_t(s) + β_t(s) counts y_t(l'_s) twice, hence the ``- y_t(k)``. The true derivative
∂loss/∂y_t(k) is ``-γ_t(k)``; like PyTorch we return ``exp(y_t(k)) - γ_t(k)``, the gradient
as if a log-softmax were folded in. The two agree once they pass back through the
log-softmax that makes ``y`` (Σ_k γ_t(k) = 1 there). Frames at or after an item's input
length get zero gradient.
"""

from zennet.autograd import Function


def extend_with_blanks(xp, targets, target_lengths, blank):
    """``l'`` (N, 2S+1) with blanks around every label, and the skip mask (N, 2S+1): True
    where a path may jump from s-2 to s (l'_s not blank and not equal to l'_{s-2})."""
    n, s_max = targets.shape
    ext = xp.full((n, 2 * s_max + 1), blank, dtype=targets.dtype)
    ext[:, 1::2] = targets
    skip = xp.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    length = 2 * target_lengths + 1  # (N,) valid length of l'
    valid = xp.arange(ext.shape[1])[None, :] < length[:, None]
    return ext, skip, valid


def shift(xp, a, k):
    """``a`` moved k places right along the last axis (k > 0) or left (k < 0), -inf shifted in."""
    out = xp.full(a.shape, -xp.inf, dtype=a.dtype)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def incoming(xp, a, skip, d):
    """Log-sum of the three predecessors of each state: ``a(s) ⊕ a(s-d) ⊕ a(s-2d)`` (the
    last where ``skip``); d = 1 for α (paths come from the left), d = -1 for β."""
    jump = xp.where(skip, shift(xp, a, 2 * d), xp.asarray(-xp.inf, dtype=a.dtype))
    return xp.logaddexp(xp.logaddexp(a, shift(xp, a, d)), jump)


class CTCLoss(Function):
    """Per-item CTC loss ``(N,)`` from log_probs ``(T, N, C)``, targets ``(N, S)`` (padded,
    int), input_lengths ``(N,)``, target_lengths ``(N,)`` (see the module docstring)."""

    def forward(self, log_probs, targets, input_lengths, target_lengths, blank=0,
                zero_infinity=False):  # fmt: skip
        xp = self.xp
        t_max, n, _ = log_probs.shape
        ext, skip, valid = extend_with_blanks(xp, targets, target_lengths, blank)
        batch = xp.arange(n)
        y = log_probs[:, batch[:, None], ext]  # (T, N, L): y_t(l'_s)
        neg_inf = xp.asarray(-xp.inf, dtype=log_probs.dtype)
        alpha = xp.full(y.shape, -xp.inf, dtype=log_probs.dtype)
        alpha[0, :, 0] = y[0, :, 0]
        alpha[0, :, 1] = xp.where(target_lengths > 0, y[0, :, 1], neg_inf)
        for t in range(1, t_max):
            a = alpha[t - 1]  # (N, L)
            alpha[t] = xp.where(valid, y[t] + incoming(xp, a, skip, 1), neg_inf)
        last = input_lengths - 1  # (N,) each item's final frame
        end = 2 * target_lengths  # (N,) index of the final blank in l'
        final = alpha[last, batch]  # (N, L)
        before = xp.where(end > 0, final[batch, xp.maximum(end - 1, 0)], neg_inf)
        loss = -xp.logaddexp(final[batch, end], before)  # (N,)
        self.saved = (log_probs, y, alpha, ext, skip, valid, input_lengths, end, loss)
        self.zero_infinity = zero_infinity
        if zero_infinity:
            loss = xp.where(xp.isinf(loss), 0, loss)
        return loss

    def backward(self, dl):
        xp = self.xp
        log_probs, y, alpha, ext, skip, valid, input_lengths, end, loss = self.saved
        t_max, n, _ = log_probs.shape
        batch = xp.arange(n)
        neg_inf = xp.asarray(-xp.inf, dtype=log_probs.dtype)
        position = xp.arange(ext.shape[1])[None, :]  # (1, L)
        at_end = (position == end[:, None]) | (position == end[:, None] - 1)  # (N, L)
        skip_from = shift(xp, skip, -2) if skip.shape[1] > 2 else xp.zeros_like(skip)
        beta = xp.full(y.shape, -xp.inf, dtype=log_probs.dtype)
        later = xp.full(y.shape[1:], -xp.inf, dtype=log_probs.dtype)  # β_{t+1}, (N, L)
        for t in range(t_max - 1, -1, -1):
            paths = incoming(xp, later, skip_from, -1)
            last = (t == input_lengths - 1)[:, None]  # (N, 1) this is the item's final frame
            inside = (t < input_lengths - 1)[:, None]
            now = xp.where(last & at_end, y[t], xp.where(inside, y[t] + paths, neg_inf))
            beta[t] = later = xp.where(valid, now, neg_inf)
        finite = xp.isfinite(loss)
        with xp.errstate(invalid="ignore"):
            occupancy = xp.exp(alpha + beta - y + xp.where(finite, loss, 0)[None, :, None])
        occupancy = xp.where(finite[None, :, None] & xp.isfinite(alpha + beta), occupancy, 0)
        grad = xp.zeros(log_probs.shape, dtype=log_probs.dtype)  # (T, N, C)
        times = xp.arange(t_max)[:, None, None]
        xp.add.at(grad, (times, batch[None, :, None], ext[None]), -occupancy)
        inside = times < input_lengths[None, :, None]  # (T, N, 1) frames within each item
        grad = xp.where(inside, grad + xp.exp(log_probs), 0)  # PyTorch's folded-in softmax
        if self.zero_infinity:
            grad = xp.where(finite[None, :, None], grad, 0)
        if not self.zero_infinity:
            grad = xp.where(finite[None, :, None], grad, xp.nan)
        return grad * dl[None, :, None], None, None, None
