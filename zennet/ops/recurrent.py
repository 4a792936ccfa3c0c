"""Recurrent layers as fused primitives: one op runs a whole sequence through one
layer in one direction, and its backward is back-propagation through time.

Shapes: x (T, N, I) time-major; weights as PyTorch, w_ih (G·H, I), w_hh (G·H, H),
b_ih, b_hh (G·H,) with G gates stacked along the rows. Each op returns the states of
every step as one array (S, T, N, H): S = 1 (h) for RNN and GRU, S = 2 (h, c) for LSTM.

Speed comes from the shape of the computation, which is the same for all three cells:

    forward   A = [X | 1]·[W_ih | b]ᵀ     one GEMM for all T steps, before the loop (the
                                         bias is the weight of a constant input 1)
              for t: a_t = A_t + h_{t-1}·W_hhᵀ, then the cell's elementwise formulas
    backward  for t in reverse: the cell's formulas backwards give da_t, and
              dh_{t-1} = da_t·W_hh                   (the only GEMM inside the loop)
              [dW_ih | db | dW_hh] = dAᵀ·[X | 1 | H_{t-1}],  dX = dA·W_ih
                                                      (one GEMM each, after the loop)

and from the layout of the arrays. A, and the activated gates the forward leaves in it,
are gate-major, (G, T, N, H), so that each gate of a step, a_t[k] (N, H), is one
contiguous block: the cell's formulas run on contiguous arrays (on per-gate views of an
(N, G·H) row NumPy's ufuncs are 3 to 4 times slower, docs/performance.md), and h·W_hhᵀ
is a batch of G products h·W_kᵀ with W_kᵀ (H, H) contiguous. dA is step-major,
(T, N, G, H): each step writes its da_t once, through a (G, N, H) view, and the GEMMs
take dA's rows as they are, (N, G·H) for one step and (T·N, G·H) for all.

Variable lengths: with ``lengths`` (N,), steps t ≥ lengths[n] leave sample n's state
unchanged (s_t = m·s_new + (1 - m)·s_{t-1}, m = [t < length]). Running forward, the state
after the last step is then the state at each sample's last valid step; running in
reverse, each sample starts at its own last valid step. Zeroing the outputs in the
padding is left to the module.
"""

import numpy as np

from zennet import kernels
from zennet.autograd import Function
from zennet.backend import array_module
from zennet.kernels import kernel, matmul


def sigmoid_(a):
    """σ(a) = ½·tanh(a/2) + ½ in place: one tanh pass, cheaper than exp and reciprocal
    (and no overflow for very negative a)."""
    xp = array_module(a)
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
    n_gates = 1  # G: blocks of H rows in the weights
    separate_hidden_gradient = False  # GRU: dL/d(h·W_hhᵀ + b_hh) differs from dL/da
    gate_scale = None  # LSTM: (G,) factors folded into each gate's rows of the weights
    whole_sequence = False  # LSTM, GRU: a compiled kernel can run a whole sequence
    whole = False  # whether this call's sequence ran as one (forward_whole)

    def forward(self, x, w_ih, w_hh, b_ih, b_hh, *initial, lengths=None, reverse=False, **opts):
        if self.whole_sequence:  # float32 on the CPU: one kernel
            arrays = (x, w_ih, w_hh, *initial) + tuple(b for b in (b_ih, b_hh) if b is not None)
            self.whole = kernels.blas_kernels_ready(*arrays)
            if self.whole:
                T, N = x.shape[:2]
                given = np.full(N, T) if lengths is None else np.asarray(lengths)
                self.lengths = given.astype(np.int64)
                return self.forward_whole(x, w_ih, w_hh, b_ih, b_hh, initial, reverse)
        xp = self.xp
        T, N, I = x.shape
        G, H = self.n_gates, w_hh.shape[1]
        self.w_ih, self.w_hh, self.b_hh, self.initial = w_ih, w_hh, b_hh, initial
        self.opts = opts
        self.steps = range(T - 1, -1, -1) if reverse else range(T)
        self.mask = None
        if lengths is not None:
            self.mask = (xp.arange(T)[:, None] < xp.asarray(lengths)[None, :])[..., None]
        gates = self.input_projection(x, w_ih, self.input_biases(b_ih, b_hh), H)
        self.gates = gates.reshape(G, T, N, H)  # the loop adds h·W_hhᵀ in place
        self.states = xp.empty((self.n_states, T, N, H), dtype=gates.dtype)  # (S, T, N, H)
        self.scratch = xp.empty((G, N, H), dtype=gates.dtype)  # reused by every step
        self.allocate()
        prev = initial
        for t in self.steps:
            new = self.step(t, prev, self.states[:, t])  # writes s_t into states[:, t]
            if self.mask is not None:  # the padding keeps the previous state
                for state, before in zip(new, prev):
                    xp.copyto(state, before, where=~self.mask[t])
            prev = new
        return self.states

    def backward(self, dstates):  # dstates (S, T, N, H)
        if self.whole:
            return self.backward_whole(np.ascontiguousarray(dstates, np.float32))
        xp = self.xp
        G, T, N, H = self.gates.shape
        # dL/da_t step-major, (T, N, G, H): the rows (N, G·H) of a step and (T·N, G·H) of
        # all steps enter the GEMMs as they are; the cells write them through gate_grads
        self.dgates = xp.empty((T, N, G, H), dtype=self.gates.dtype)
        self.dhidden = xp.empty_like(self.dgates) if self.separate_hidden_gradient else None
        carry = xp.zeros_like(self.states[:, 0])  # (S, N, H): dL/ds_{t} from step t + 1 on
        d = xp.empty_like(carry)  # (S, N, H): all of dL/ds_t
        for t in reversed(self.steps):
            xp.add(carry, dstates[:, t], out=d)
            if self.mask is None:
                self.step_backward(t, d, carry)  # writes dL/ds_{t-1} into carry
            else:  # the padding passes the gradient straight to the previous state
                m = self.mask[t]
                self.step_backward(t, d * m, carry)
                carry += xp.where(m, 0, d)
        return self.weight_gradients() + tuple(carry)

    # ---------------------------------------------------------------- helpers

    def input_projection(self, x, w_ih, biases, H, x1=None, step_major=False):
        """[x_t | 1]·[W_ih | b]ᵀ for all steps in one GEMM, gate-major (G, T·N, H): the bias
        is the weight of a constant input 1. Also makes W_hhᵀ per gate for the loop. With a
        gate_scale s, both are scaled gate by gate: s_k·a_k = [x | 1]·(s_k·[W_ih | b]_k)ᵀ + ...
        [x_t | 1] is written into ``x1`` (T, N, I + 1) when given, else a new array. With
        ``step_major``, the projection is (T·N, G·H) and W_hhᵀ one (H, G·H) array."""
        xp = self.xp
        T, N, I = x.shape
        G = self.n_gates
        bias = sum(biases[1:], biases[0]) if biases else xp.zeros(G * H, dtype=x.dtype)
        w1 = xp.concatenate([w_ih, bias[:, None]], axis=1).reshape(G, H, I + 1)  # a new array
        # (G, H, H): W_kᵀ per gate, contiguous: BLAS runs h·W_kᵀ 25% faster than on a view
        self.w_hh_t = xp.ascontiguousarray(self.w_hh.reshape(G, H, H).transpose(0, 2, 1))
        if self.gate_scale is not None:
            scale = xp.asarray(self.gate_scale, dtype=x.dtype)[:, None, None]  # (G, 1, 1)
            w1 *= scale
            self.w_hh_t = self.w_hh_t * scale  # (a copy: never the parameter)
        self.x1 = xp.empty((T, N, I + 1), dtype=x.dtype) if x1 is None else x1  # for dW, db
        self.x1[..., :I] = x
        self.x1[..., I] = 1
        if step_major:
            self.w_hh_t = xp.ascontiguousarray(self.w_hh_t.transpose(1, 0, 2).reshape(H, G * H))
            return matmul(self.x1.reshape(T * N, I + 1), w1.reshape(G * H, I + 1).T)
        return matmul(self.x1.reshape(T * N, I + 1), w1.transpose(0, 2, 1))  # (G, T·N, H)

    def input_biases(self, b_ih, b_hh):
        """The biases folded into the input projection (both, for RNN and LSTM)."""
        return [b for b in (b_ih, b_hh) if b is not None]

    def allocate(self):
        """Make the arrays a cell saves per step (called before the loop)."""

    def before(self, s, t):
        """State s as it was before step t (N, H): the previous step's, or the initial one."""
        if t == self.steps[0]:
            return self.initial[s]
        return self.states[s, t - self.steps.step]

    def h_before(self, out):
        """Write h_{t-1} of every step t into out (T, N, H): the states shifted by one step,
        the initial state first."""
        h, first = self.states[0], self.initial[0]
        if self.steps.step > 0:
            out[0], out[1:] = first, h[:-1]
        else:
            out[-1], out[:-1] = first, h[1:]

    def weight_gradients(self):
        """One GEMM each over all steps, with dA (T·N, G·H) the gradients of every step's
        pre-activations: dX = dA·W_ih,  [dW_ih | db | dW_hh] = dAᵀ·[x_t | 1 | h_{t-1}]."""
        T, N, G, H = self.dgates.shape
        I = self.x1.shape[2] - 1
        need = self.needs_input_grad
        da = self.dgates.reshape(T * N, G * H)
        dx = matmul(da, self.w_ih).reshape(T, N, I) if need[0] else None
        if not any(need[1:5]):
            return dx, None, None, None, None
        inputs = self.joint_inputs().reshape(T * N, I + 1 + H)
        if self.dhidden is None:  # RNN, LSTM: b_ih and b_hh both get db
            joint = matmul(da.T, inputs)  # (G·H, I + 1 + H)
            dw_ih, db_ih, dw_hh = joint[:, :I], joint[:, I], joint[:, I + 1 :]
            db_hh = db_ih
        else:  # GRU: the hidden side, h·W_hhᵀ + b_hh, has gradients of its own
            dah = self.dhidden.reshape(T * N, G * H)
            joint = matmul(da.T, inputs[:, : I + 1])  # (G·H, I + 1)
            dw_ih, db_ih = joint[:, :I], joint[:, I]
            dw_hh, db_hh = matmul(dah.T, inputs[:, I + 1 :]), dah.sum(axis=0)
        grads = dw_ih, dw_hh, db_ih, db_hh
        return (dx,) + tuple(g if n else None for g, n in zip(grads, need[1:5]))

    def joint_inputs(self):
        """[x_t | 1 | h_{t-1}] of every step, (T, N, I + 1 + H): the rows of the weight GEMM."""
        if self.whole:
            return self.inputs  # filled as the kernel made the states
        T, N, I1 = self.x1.shape
        inputs = self.xp.empty((T, N, I1 + self.w_hh.shape[1]), dtype=self.x1.dtype)
        inputs[..., :I1] = self.x1
        self.h_before(inputs[..., I1:])
        return inputs

    def gate_grads(self, t, hidden=False):
        """Step t's dL/da_t (or, with ``hidden``, the GRU's dL/d(h·W_hhᵀ + b_hh)) as a
        (G, N, H) view of the step-major array, one (N, H) block per gate."""
        return (self.dhidden if hidden else self.dgates)[t].transpose(1, 0, 2)

    def hidden_input_grad(self, t, out, hidden=False):
        """out = da_t·W_hh (N, H), the gradient reaching h_{t-1}: one GEMM on the step's rows."""
        rows = (self.dhidden if hidden else self.dgates)[t]  # (N, G, H)
        matmul(rows.reshape(rows.shape[0], -1), self.w_hh, out=out)

    def whole_setup(self, x, w_ih, w_hh, b_ih, b_hh, initial, reverse):
        """What forward_whole needs before its kernel: the states (S, T, N, H), the
        step-major projection (T, N, G·H) and ``self.inputs`` (T, N, I + 1 + H), the rows
        [x_t | 1 | h_{t-1}] of the backward's weight GEMM, [x_t | 1] filled and h_{t-1}
        left for the kernel to write (its view is returned) but for the first step's."""
        T, N, I = x.shape
        G, H = self.n_gates, w_hh.shape[1]
        self.w_ih, self.w_hh, self.b_hh = w_ih, w_hh, b_hh
        self.initial = tuple(np.ascontiguousarray(s) for s in initial)
        self.steps = range(T - 1, -1, -1) if reverse else range(T)
        self.inputs = np.empty((T, N, I + 1 + H), np.float32)
        hidden = self.inputs[..., I + 1 :]
        hidden[self.steps[0]] = self.initial[0]
        projection = self.input_projection(
            x, w_ih, self.input_biases(b_ih, b_hh), H, x1=self.inputs[..., : I + 1],
            step_major=True,
        )  # fmt: skip
        self.gates = projection.reshape(T, N, G * H)
        self.states = np.empty((self.n_states, T, N, H), np.float32)
        return hidden

    def step(self, t, prev, out):
        """Step t: the new states from ``prev``, written into ``out`` (S, N, H); returns out."""
        raise NotImplementedError

    def step_backward(self, t, d, out):
        """Back through step t: from ``d`` (S, N, H), the gradients of the step's states
        (``d`` may be overwritten), write dL/da_t into self.dgates[:, t] and the gradients of
        the previous states into ``out`` (S, N, H)."""
        raise NotImplementedError


class RNN(_Recurrence):
    """Elman RNN over a sequence (nonlinearity g = tanh or relu):

    h_t = g(a_t),  a_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh
    backward: da_t = dh ⊙ g'(a_t)  (tanh' = 1 - h_t², relu' = [h_t > 0]),
              dh_{t-1} = da_t·W_hh
    """

    def step(self, t, prev, out):
        xp = self.xp
        (h,), (h_new,) = prev, out
        a = self.gates[0, t]  # (N, H)
        a += matmul(h, self.w_hh_t[0], out=self.scratch[0])
        if self.opts.get("nonlinearity", "tanh") == "tanh":
            return (xp.tanh(a, out=h_new),)
        return (xp.maximum(a, 0, out=h_new),)

    def step_backward(self, t, d, out):
        xp = self.xp
        (dh,) = d
        h = self.states[0, t]  # in the padding h is frozen, not g(a_t), but there dh = 0
        da = self.gate_grads(t)[0]  # (N, H)
        if self.opts.get("nonlinearity", "tanh") == "tanh":
            xp.multiply(h, h, out=da)
            xp.subtract(1, da, out=da)
            da *= dh
        else:
            xp.multiply(dh, h > 0, out=da)
        self.hidden_input_grad(t, out[0])


class LSTM(_Recurrence):
    """Long short-term memory over a sequence, gates stacked in PyTorch's order i, f, g, o:

        a_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh                 (4, N, H)
        i, f, o = σ(a_i), σ(a_f), σ(a_o);   g = tanh(a_g)
        c_t = f ⊙ c_{t-1} + i ⊙ g;          h_t = o ⊙ tanh(c_t)

    σ(a) = ½·tanh(a/2) + ½, so every gate is s·tanh(s·a) + 1 - s with s = ½ for i, f, o
    and 1 for g: the factor s is folded into the weights (gate_scale), and one tanh pass
    over all four gates, a multiply and an add activate them.

    backward, with dh and dc the gradients reaching h_t and c_t:
        dc  += dh ⊙ o ⊙ (1 - tanh² c_t)
        da_i = dc ⊙ g ⊙ i(1-i),   da_f = dc ⊙ c_{t-1} ⊙ f(1-f)
        da_g = dc ⊙ i ⊙ (1-g²),   da_o = dh ⊙ tanh c_t ⊙ o(1-o)
        dh_{t-1} = da_t·W_hh,     dc_{t-1} = dc ⊙ f
    """

    n_states, n_gates = 2, 4
    gate_scale = (0.5, 0.5, 1.0, 0.5)
    whole_sequence = True

    def forward_whole(self, x, w_ih, w_hh, b_ih, b_hh, initial, reverse):
        """The whole sequence as one compiled kernel (kernels.lstm_sequence_rows, its
        samples cut across zennet's threads): float32, padded (``lengths``) or not. The
        projection is step-major here, (T, N, 4H), one row of four gates per sample and
        step, and the rows [x_t | 1 | h_{t-1}] of the backward's weight GEMM are filled as
        the states are made (the kernel writes each h_t into the next step's row). The
        projection is s·[W_ih | b] and w_hh_t (H, 4H) = (s·W_hh)ᵀ (input_projection's gate
        scale)."""
        hidden = self.whole_setup(x, w_ih, w_hh, b_ih, b_hh, initial, reverse)
        _, T, N, H = self.states.shape
        scale = np.repeat(np.asarray(self.gate_scale, np.float32), H)  # (4H,): s per row
        self.tanh_c = np.empty((T, N, H), np.float32)
        kernels.by_rows("lstm_sequence", N, self.gates, self.w_hh_t, *self.initial, scale,
                        1 - scale, self.states, self.tanh_c, hidden, self.lengths,
                        reverse)  # fmt: skip
        return self.states

    def backward_whole(self, dstates):
        T, N, G4 = self.gates.shape
        self.dgates = np.empty((T, N, 4, G4 // 4), np.float32)  # weight_gradients's dA
        self.dhidden = None
        dh0, dc0 = np.empty_like(self.initial[0]), np.empty_like(self.initial[1])
        w_hh = np.ascontiguousarray(self.w_hh)
        kernels.by_rows("lstm_sequence_backward", N, self.gates, self.tanh_c, self.states,
                        self.initial[1], w_hh, dstates, self.dgates.reshape(T, N, G4), dh0, dc0,
                        self.lengths, self.steps.step < 0)  # fmt: skip
        return self.weight_gradients() + (dh0, dc0)

    def allocate(self):
        xp = self.xp
        G, T, N, H = self.gates.shape
        self.tanh_c = xp.empty((T, N, H), dtype=self.gates.dtype)
        self.offset = 1 - xp.asarray(self.gate_scale, dtype=self.gates.dtype)[:, None, None]
        self.scale = 1 - self.offset  # (4, 1, 1)

    def step(self, t, prev, out):
        xp = self.xp
        (h, c), (h_new, c_new) = prev, out
        a = self.gates[:, t]  # (4, N, H): s·a_t, becomes [i, f, g, o] in place
        a += matmul(h, self.w_hh_t, out=self.scratch)
        xp.tanh(a, out=a)
        a *= self.scale  # s·tanh(s·a) + 1 - s: σ for i, f, o, tanh for g
        a += self.offset
        i, f, g, o = a
        xp.multiply(f, c, out=c_new)  # c_t = f ⊙ c_{t-1} + i ⊙ g
        c_new += xp.multiply(i, g, out=h_new)  # (h_new is free until the last line)
        tanh_c = xp.tanh(c_new, out=self.tanh_c[t])
        xp.multiply(o, tanh_c, out=h_new)  # h_t = o ⊙ tanh c_t
        return h_new, c_new

    def step_backward(self, t, d, out):
        xp = self.xp
        (dh, dc), (dh_prev, dc_prev) = d, out
        i, f, g, o = self.gates[:, t]  # the activated gates of step t
        tanh_c, c_prev = self.tanh_c[t], self.before(1, t)
        cell = (i, f, g, o, tanh_c, c_prev, dh, dc)
        run = kernel("lstm_cell_backward", *cell, dc_prev)
        if run is not None and all(a.flags.c_contiguous for a in cell):
            run(*cell, self.dgates[t], dc_prev)  # the lines below, in one compiled call
        else:
            dc += dh * o * (1 - tanh_c * tanh_c)
            da = self.gate_grads(t)  # (4, N, H): dL/da_t, gate by gate
            da[0] = dc * g * i * (1 - i)
            da[1] = dc * c_prev * f * (1 - f)
            da[2] = dc * i * (1 - g * g)
            da[3] = dh * tanh_c * o * (1 - o)
            xp.multiply(dc, f, out=dc_prev)
        self.hidden_input_grad(t, dh_prev)


class GRU(_Recurrence):
    """Gated recurrent unit over a sequence, gates in PyTorch's order r, z, n:

        a_t = x_t·W_ihᵀ + b_ih,   b_t = h_{t-1}·W_hhᵀ + b_hh                 (3, N, H) each
        r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r ⊙ b_n)
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    backward, with dh the gradient reaching h_t:
        da_n = dh ⊙ (1-z) ⊙ (1-n²)
        da_z = db_z = dh ⊙ (h_{t-1} - n) ⊙ z(1-z)
        da_r = db_r = da_n ⊙ b_n ⊙ r(1-r)
        db_n = da_n ⊙ r,   dh_{t-1} = db_t·W_hh + dh ⊙ z
    """

    n_gates = 3
    separate_hidden_gradient = True
    whole_sequence = True

    def forward_whole(self, x, w_ih, w_hh, b_ih, b_hh, initial, reverse):
        """The whole sequence as one compiled kernel (kernels.gru_sequence_rows), as
        LSTM.forward_whole: float32, padded or not, the projection step-major (T, N, 3H),
        each step's b_t = h_{t-1}·W_hhᵀ + b_hh kept for the backward (T, N, 3H)."""
        hidden = self.whole_setup(x, w_ih, w_hh, b_ih, b_hh, initial, reverse)
        T, N, G3 = self.gates.shape
        bias = np.zeros(G3, np.float32) if b_hh is None else np.ascontiguousarray(b_hh)
        self.hidden = np.empty((T, N, G3), np.float32)
        kernels.by_rows("gru_sequence", N, self.gates, self.w_hh_t, bias, self.initial[0],
                        self.states, hidden, self.hidden, self.lengths, reverse)  # fmt: skip
        return self.states

    def backward_whole(self, dstates):
        T, N, G3 = self.gates.shape
        self.dgates = np.empty((T, N, 3, G3 // 3), np.float32)  # weight_gradients's dA
        self.dhidden = np.empty_like(self.dgates)  # and its dL/d(h·W_hhᵀ + b_hh)
        dh0 = np.empty_like(self.initial[0])
        w_hh = np.ascontiguousarray(self.w_hh)
        kernels.by_rows("gru_sequence_backward", N, self.gates, self.hidden, self.states,
                        self.initial[0], w_hh, dstates, self.dgates.reshape(T, N, G3),
                        self.dhidden.reshape(T, N, G3), dh0, self.lengths,
                        self.steps.step < 0)  # fmt: skip
        return self.weight_gradients() + (dh0,)

    def input_biases(self, b_ih, b_hh):
        return [] if b_ih is None else [b_ih]  # b_hh stays inside: r multiplies it

    def allocate(self):
        xp = self.xp
        G, T, N, H = self.gates.shape
        self.hidden = xp.empty((T, G, N, H), dtype=self.gates.dtype)  # b_t of every step

    def step(self, t, prev, out):
        xp = self.xp
        (h,), (h_new,) = prev, out
        a, b = self.gates[:, t], self.hidden[t]  # (3, N, H) each; a becomes [r, z, n] in place
        matmul(h, self.w_hh_t, out=b)
        if self.b_hh is not None:
            b += self.b_hh.reshape(3, 1, -1)
        a[:2] += b[:2]
        sigmoid_(a[:2])
        r, z, n = a
        n += xp.multiply(r, b[2], out=h_new)
        xp.tanh(n, out=n)
        xp.subtract(h, n, out=h_new)  # h_t = n + z ⊙ (h_{t-1} - n)
        h_new *= z
        h_new += n
        return (h_new,)

    def step_backward(self, t, d, out):
        (dh,) = d
        r, z, n = self.gates[:, t]
        b_n, h_prev = self.hidden[t, 2], self.before(0, t)
        cell = (r, z, n, b_n, h_prev, dh)
        run = kernel("gru_cell_backward", *cell)
        if run is not None and all(a.flags.c_contiguous for a in cell):
            run(*cell, self.dgates[t], self.dhidden[t])  # the lines below, in one compiled call
        else:
            da, db = self.gate_grads(t), self.gate_grads(t, hidden=True)  # (3, N, H) each
            da[2] = dh * (1 - z) * (1 - n * n)
            da[1] = dh * (h_prev - n) * z * (1 - z)
            da[0] = da[2] * b_n * r * (1 - r)
            db[:2] = da[:2]
            db[2] = da[2] * r
        self.hidden_input_grad(t, out[0], hidden=True)
        out[0] += dh * z
