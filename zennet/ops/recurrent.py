"""Recurrent layers as fused primitives: one op runs a whole sequence through one
layer in one direction, and its backward is back-propagation through time.

Shapes: x (T, N, I) time-major; weights as PyTorch, w_ih (G·H, I), w_hh (G·H, H),
b_ih, b_hh (G·H,) with G gates stacked along the rows. Each op returns the states of
every step as one array (S, T, N, H): S = 1 (h) for RNN and GRU, S = 2 (h, c) for LSTM.

Speed comes from the shape of the computation, which is the same for all three cells:

    forward   A = X·W_ihᵀ + b            one GEMM for all T steps, before the loop
              for t: a_t = A_t + h_{t-1}·W_hhᵀ, then the cell's elementwise formulas
    backward  for t in reverse: the cell's formulas backwards give da_t, and
              dh_{t-1} = da_t·W_hh                   (the only GEMM inside the loop)
              dW_hh = Σ_t da_tᵀ·h_{t-1},  dW_ih = Σ_t da_tᵀ·x_t,  dX = dA·W_ih
                                                      (one GEMM each, after the loop)

Variable lengths: with ``lengths`` (N,), steps t ≥ lengths[n] leave sample n's state
unchanged (s_t = m·s_new + (1 - m)·s_{t-1}, m = [t < length]). Running forward, the state
after the last step is then the state at each sample's last valid step; running in
reverse, each sample starts at its own last valid step. Zeroing the outputs in the
padding is left to the module.
"""

from zennet.autograd import Function
from zennet.backend import xp


def sigmoid_(a):
    """σ(a) = ½·(1 + tanh(a/2)) in place: stable for any a, no overflow warnings."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


class _Recurrence(Function):
    """The loop shared by the cells; a subclass supplies ``step`` and ``step_backward``.

    apply(x, w_ih, w_hh, b_ih, b_hh, *initial_states, lengths=None, reverse=False)
    b_ih and b_hh may be None (bias=False); initial states are (N, H) each.
    """

    n_states = 1  # h; the LSTM adds c
    n_gates = 1

    def forward(self, x, w_ih, w_hh, b_ih, b_hh, *initial, lengths=None, reverse=False, **opts):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        self.x, self.w_ih, self.w_hh, self.b_hh, self.initial = x, w_ih, w_hh, b_hh, initial
        self.opts = opts
        self.steps = range(T - 1, -1, -1) if reverse else range(T)
        self.mask = None
        if lengths is not None:
            self.mask = (xp.arange(T)[:, None] < xp.asarray(lengths)[None, :])[..., None]
        # X·W_ihᵀ + b for all steps at once; the loop adds h·W_hhᵀ in place.
        self.gates = (x.reshape(T * N, -1) @ w_ih.T).reshape(T, N, -1)  # (T, N, G·H)
        for b in self.input_biases(b_ih, b_hh):
            self.gates += b
        self.states = xp.empty((self.n_states, T, N, H), dtype=self.gates.dtype)  # (S, T, N, H)
        prev = initial
        for t in self.steps:
            new = self.step(t, prev)
            if self.mask is not None:
                new = tuple(xp.where(self.mask[t], s, p) for s, p in zip(new, prev))
            self.states[:, t] = new
            prev = new
        return self.states

    def backward(self, dstates):  # dstates (S, T, N, H)
        T, N, H = self.states.shape[1:]
        self.h_prev = self.previous(0)  # (T, N, H): h_{t-1} of every step
        self.dhidden = None  # dL/d(h·W_hhᵀ + b_hh) when it differs from dA (GRU)
        self.prepare_backward()
        self.dgates = xp.empty_like(self.gates)  # (T, N, G·H): dL/da_t
        carry = tuple(xp.zeros((N, H), dtype=self.gates.dtype) for _ in range(self.n_states))
        for t in reversed(self.steps):
            d = tuple(c + ds[t] for c, ds in zip(carry, dstates))
            if self.mask is None:
                carry = self.step_backward(t, d)
            else:
                m = self.mask[t]
                carry = self.step_backward(t, tuple(di * m for di in d))
                carry = tuple(c + xp.where(m, 0, di) for c, di in zip(carry, d))
        return self.weight_gradients() + carry

    # ---------------------------------------------------------------- helpers

    def input_biases(self, b_ih, b_hh):
        """The biases folded into the input projection (both, for RNN and LSTM)."""
        return [b for b in (b_ih, b_hh) if b is not None]

    def previous(self, s):
        """The state s as it was before each step: (T, N, H), the initial state at the first."""
        states, first = self.states[s], self.initial[s][None]
        if self.steps.step < 0:
            return xp.concatenate([states[1:], first])
        return xp.concatenate([first, states[:-1]])

    def weight_gradients(self):
        """dX, dW_ih, dW_hh, db_ih, db_hh from dA (T, N, G·H), one GEMM each."""
        T, N, GH = self.dgates.shape
        need = self.needs_input_grad
        da = self.dgates.reshape(T * N, GH)
        dah = da if self.dhidden is None else self.dhidden.reshape(T * N, GH)
        dx = (da @ self.w_ih).reshape(self.x.shape) if need[0] else None
        dw_ih = da.T @ self.x.reshape(T * N, -1) if need[1] else None
        dw_hh = dah.T @ self.h_prev.reshape(T * N, -1) if need[2] else None
        db_ih = da.sum(axis=0) if need[3] else None
        db_hh = dah.sum(axis=0) if need[4] else None
        return dx, dw_ih, dw_hh, db_ih, db_hh

    def prepare_backward(self):
        """Precompute, for all steps at once, what backward needs that does not recur."""

    def step(self, t, prev):
        raise NotImplementedError

    def step_backward(self, t, d):
        raise NotImplementedError


class RNN(_Recurrence):
    """Elman RNN over a sequence (nonlinearity g = tanh or relu):

    h_t = g(a_t),  a_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh
    backward: da_t = dh_t ⊙ g'(a_t)  (tanh' = 1 - h_t², relu' = [h_t > 0]),
              dh_{t-1} = da_t·W_hh
    """

    def step(self, t, prev):
        (h,) = prev
        a = self.gates[t]  # (N, H)
        a += h @ self.w_hh.T
        if self.opts.get("nonlinearity", "tanh") == "tanh":
            return (xp.tanh(a),)
        return (xp.maximum(a, 0),)

    def prepare_backward(self):
        h = self.states[0]
        if self.opts.get("nonlinearity", "tanh") == "tanh":
            self.derivative = 1 - h * h  # g'(a_t), (T, N, H)
        else:
            self.derivative = (h > 0).astype(h.dtype)
        # In the padding a frozen state is not g(a_t), but there the gradient is masked to 0.

    def step_backward(self, t, d):
        (dh,) = d
        da = self.dgates[t]
        xp.multiply(dh, self.derivative[t], out=da)
        return (da @ self.w_hh,)


class LSTM(_Recurrence):
    """Long short-term memory over a sequence, gates stacked in PyTorch's order i, f, g, o:

        a_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh                 (N, 4H)
        i, f, o = σ(a_i), σ(a_f), σ(a_o);   g = tanh(a_g)
        c_t = f ⊙ c_{t-1} + i ⊙ g;          h_t = o ⊙ tanh(c_t)

    backward, with dh and dc the gradients reaching h_t and c_t:
        dc  += dh ⊙ o ⊙ (1 - tanh² c_t)
        da_i = dc ⊙ g ⊙ i(1-i),   da_f = dc ⊙ c_{t-1} ⊙ f(1-f)
        da_g = dc ⊙ i ⊙ (1-g²),   da_o = dh ⊙ tanh c_t ⊙ o(1-o)
        dh_{t-1} = da_t·W_hh,     dc_{t-1} = dc ⊙ f
    """

    n_states, n_gates = 2, 4

    def step(self, t, prev):
        h, c = prev
        H = h.shape[1]
        a = self.gates[t]  # (N, 4H): becomes [i, f, g, o] in place
        a += h @ self.w_hh.T
        sigmoid_(a[:, : 2 * H])
        xp.tanh(a[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])
        sigmoid_(a[:, 3 * H :])
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c_new = f * c + i * g
        return o * xp.tanh(c_new), c_new

    def prepare_backward(self):
        """From the saved gates: tanh c_t, the factors of da per gate, and o ⊙ tanh'(c_t)."""
        T, N, GH = self.gates.shape
        H = GH // 4
        gates = self.gates.reshape(T, N, 4, H)
        i, f, g, o = (gates[:, :, k] for k in range(4))
        c_prev = self.previous(1)
        c_new = f * c_prev + i * g  # c_t before any freezing by the mask
        tanh_c = xp.tanh(c_new)
        # da = [dc, dc, dc, dh] ⊙ factor,
        # factor = [g·i(1-i), c_{t-1}·f(1-f), i(1-g²), tanh c·o(1-o)]
        factor = xp.empty_like(gates)  # (T, N, 4, H)
        factor[:, :, 0] = g * i * (1 - i)
        factor[:, :, 1] = c_prev * f * (1 - f)
        factor[:, :, 2] = i * (1 - g * g)
        factor[:, :, 3] = tanh_c * o * (1 - o)
        self.factor, self.forget = factor, f
        self.dc_from_dh = o * (1 - tanh_c * tanh_c)  # (T, N, H)

    def step_backward(self, t, d):
        dh, dc = d
        N, H = dh.shape
        dc = dc + dh * self.dc_from_dh[t]
        da = self.dgates[t].reshape(N, 4, H)
        factor = self.factor[t]
        xp.multiply(dc[:, None, :], factor[:, :3], out=da[:, :3])
        xp.multiply(dh, factor[:, 3], out=da[:, 3])
        return self.dgates[t] @ self.w_hh, dc * self.forget[t]


class GRU(_Recurrence):
    """Gated recurrent unit over a sequence, gates in PyTorch's order r, z, n:

        a_t = x_t·W_ihᵀ + b_ih,   b_t = h_{t-1}·W_hhᵀ + b_hh                 (N, 3H) each
        r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n)
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    backward, with dh the gradient reaching h_t:
        dn' = dh ⊙ (1-z) ⊙ (1-n²)                 (= da_n)
        dz' = dh ⊙ (h_{t-1} - n) ⊙ z(1-z)          (= da_z = db_z)
        dr' = dn' ⊙ b_n ⊙ r(1-r)                   (= da_r = db_r)
        db_n = dn' ⊙ r,   dh_{t-1} = db_t·W_hh + dh ⊙ z
    """

    n_gates = 3

    def input_biases(self, b_ih, b_hh):
        return [] if b_ih is None else [b_ih]  # b_hh stays inside: r multiplies it

    def forward(self, x, w_ih, w_hh, b_ih, b_hh, *initial, **params):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        self.hidden_n = xp.empty((T, N, H), dtype=x.dtype)  # b_n = h_{t-1}·W_hnᵀ + b_hn per step
        return super().forward(x, w_ih, w_hh, b_ih, b_hh, *initial, **params)

    def step(self, t, prev):
        (h,) = prev
        H = h.shape[1]
        a = self.gates[t]  # (N, 3H): becomes [r, z, n] in place
        b = h @ self.w_hh.T
        if self.b_hh is not None:
            b += self.b_hh
        rz = a[:, : 2 * H]
        rz += b[:, : 2 * H]
        sigmoid_(rz)
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        self.hidden_n[t] = b[:, 2 * H :]
        n += r * b[:, 2 * H :]
        xp.tanh(n, out=n)
        return (n + z * (h - n),)

    def prepare_backward(self):
        T, N, GH = self.gates.shape
        self.dhidden = xp.empty_like(self.gates)  # dL/db_t, (T, N, 3H)

    def step_backward(self, t, d):
        (dh,) = d
        H = dh.shape[1]
        a = self.gates[t]
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        h_prev = self.h_prev[t]
        da, db = self.dgates[t], self.dhidden[t]
        dn = da[:, 2 * H :]
        xp.multiply(dh * (1 - z), 1 - n * n, out=dn)
        da[:, H : 2 * H] = dh * (h_prev - n) * z * (1 - z)
        da[:, :H] = dn * self.hidden_n[t] * r * (1 - r)
        db[:, : 2 * H] = da[:, : 2 * H]
        xp.multiply(dn, r, out=db[:, 2 * H :])
        return (db @ self.w_hh + dh * z,)
