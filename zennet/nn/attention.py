"""Multi-head attention, with PyTorch's parameters (packed in_proj_weight, out_proj)."""

from zennet import functional as F
from zennet.creation import empty, zeros
from zennet.functional._util import array_of, as_tensor, shape_of
from zennet.functional.attention import additive_mask, attention, causal_mask
from zennet.nn import init
from zennet.nn.checks import check_input
from zennet.nn.linear import Linear
from zennet.nn.module import Module, Parameter
from zennet.nn.recurrent import check_sizes
from zennet.ops.attention import SelfAttention


class MultiheadAttention(Module):
    """Attention over ``num_heads`` subspaces of size E/h, joined and projected back:

        Q_i = query·W_qiᵀ + b_qi,  K_i = key·W_kiᵀ + b_ki,  V_i = value·W_viᵀ + b_vi
        head_i = softmax(Q_i·K_iᵀ / √(E/h) + M)·V_i
        output = [head_1 … head_h]·W_oᵀ + b_o

    Parameters as PyTorch: in_proj_weight (3E, E) = [W_q; W_k; W_v] and in_proj_bias (3E,)
    (or q/k/v_proj_weight when kdim or vdim differ from E), out_proj.weight (E, E),
    out_proj.bias (E,). in_proj_weight is xavier_uniform_, the biases start at zero.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
            average_attn_weights=True, is_causal=False) -> (output, weights or None)

    query (L, N, E), key (S, N, kdim), value (S, N, vdim) — or (N, L, E) ... with
    batch_first, or unbatched (L, E) ... — gives output shaped like query. Masks follow
    PyTorch: in a boolean attn_mask (L, S) or (N·h, L, S) and key_padding_mask (N, S),
    True means "may NOT attend"; float masks are added to the scores. is_causal with no
    attn_mask builds the causal mask (PyTorch requires the mask as well). weights are
    (N, L, S) averaged over heads, or (N, h, L, S), after dropout. A query whose keys are
    all masked gets weights and output 0 (PyTorch gives NaN when need_weights=True).
    Self-attention (one tensor as query, key and value) with need_weights=False and no
    dropout runs as one fused op, ops.attention.SelfAttention (the same values).
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_sizes("MultiheadAttention", embed_dim=embed_dim, num_heads=num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim={embed_dim} is not divisible by "
                f"num_heads={num_heads}; each head gets embed_dim / num_heads features. "
                f"Choose num_heads among the divisors of {embed_dim}."
            )
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout!r}.")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.dropout, self.batch_first = dropout, batch_first
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        for name, value in (("add_bias_kv", add_bias_kv), ("add_zero_attn", add_zero_attn)):
            if value:
                raise NotImplementedError(f"MultiheadAttention: {name}=True is not supported yet.")
        E, made = embed_dim, dict(device=device, dtype=dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * E, E), **made))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty((E, E), **made))
            self.k_proj_weight = Parameter(empty((E, self.kdim), **made))
            self.v_proj_weight = Parameter(empty((E, self.vdim), **made))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(zeros(3 * E, **made))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, **made)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"

    # ---------------------------------------------------------------- forward

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
        name = f"MultiheadAttention(embed_dim={self.embed_dim})"
        query, key, value = (check_input(name, t) for t in (query, key, value))
        batched = self._check_inputs(query, key, value)
        fused = query is key is value and self._qkv_same_embed_dim and not need_weights
        if not batched:  # (L, E) -> (1, L, E)
            query, key, value = (F.unsqueeze(t, 0) for t in (query, key, value))
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (F.transpose(t, 0, 1) for t in (query, key, value))
        N, L, S = query.shape[0], query.shape[1], key.shape[1]
        mask = self._merge_masks(attn_mask, key_padding_mask, is_causal, N, L, S, query.dtype)
        p = self.dropout if self.training else 0.0
        if fused and p == 0 and not getattr(mask, "requires_grad", False):
            heads = SelfAttention.apply(
                query, self.in_proj_weight, self.in_proj_bias, heads=self.num_heads,
                mask=None if mask is None else array_of(mask),
            )  # (N, L, E), heads side by side  # fmt: skip
            weights = None
        else:
            q, k, v = self._project(query, key, value)  # (N, h, L|S, E/h) each
            heads, weights = attention(q, k, v, mask, dropout_p=p)  # (N, h, L, E/h), (N, h, L, S)
            heads = F.reshape(F.transpose(heads, 1, 2), N, L, self.embed_dim)  # side by side
        out = self.out_proj(heads)  # (N, L, E)
        if not batched:
            out = F.squeeze(out, 0)
        elif not self.batch_first:
            out = F.transpose(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = F.mean(weights, dim=1)  # (N, L, S)
        return out, weights if batched else F.squeeze(weights, 0)

    def _project(self, query, key, value):
        """Q, K, V split into heads: (N, L, E) -> (N, h, L, E/h).

        Three GEMMs, on row blocks of in_proj_weight, also for self-attention: one GEMM
        for all three and a split of its output measured 2-5% slower forward and backward,
        as each piece's gradient comes back as a zero-padded full-size array to be summed
        (docs/performance.md)."""
        E, b = self.embed_dim, self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:E], w[E : 2 * E], w[2 * E :])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        q, k, v = (F.linear(x, w, bias) for x, w, bias in zip((query, key, value), weights, biases))
        N, h = query.shape[0], self.num_heads
        heads = (F.reshape(t, N, t.shape[1], h, self.head_dim) for t in (q, k, v))  # (N, L, h, E/h)
        return tuple(F.transpose(t, 1, 2) for t in heads)

    def _merge_masks(self, attn_mask, key_padding_mask, is_causal, N, L, S, dtype):
        """One additive mask broadcasting to (N, h, L, S), or None."""
        name, mask = "MultiheadAttention", None
        if attn_mask is not None:
            shape = tuple(shape_of(attn_mask))
            if shape == (N * self.num_heads, L, S):
                attn_mask = F.reshape(as_tensor(attn_mask), N, self.num_heads, L, S)
            elif shape != (L, S):
                raise ValueError(
                    f"{name}: attn_mask has shape {shape}; expected (L, S) = {(L, S)} or "
                    f"(batch * num_heads, L, S) = {(N * self.num_heads, L, S)}."
                )
            mask = additive_mask(attn_mask, dtype, allowed=False)
        elif is_causal:
            mask = additive_mask(causal_mask(L, S), dtype)
        if key_padding_mask is not None:
            if tuple(shape_of(key_padding_mask)) != (N, S):
                raise ValueError(
                    f"{name}: key_padding_mask has shape {tuple(shape_of(key_padding_mask))}; "
                    f"expected (batch, S) = {(N, S)}, True at the keys to ignore."
                )
            padding = additive_mask(array_of(key_padding_mask), dtype, allowed=False)
            padding = F.reshape(as_tensor(padding), N, 1, 1, S)
            mask = padding if mask is None else mask + padding
        return mask

    def _check_inputs(self, query, key, value):
        """True for a batch (3-D inputs), False for one unbatched sequence (2-D)."""
        name = f"MultiheadAttention(embed_dim={self.embed_dim})"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"{name}: query, key and value must all be 3-D batches or all 2-D sequences; "
                f"got shapes {query.shape}, {key.shape}, {value.shape}."
            )
        layout = "(batch, seq, {})" if self.batch_first else "(seq, batch, {})"
        layout = layout if query.ndim == 3 else "(seq, {})"
        for what, t, size in (
            ("query", query, self.embed_dim),
            ("key", key, self.kdim),
            ("value", value, self.vdim),
        ):
            if t.shape[-1] != size:
                raise ValueError(
                    f"{name} got {what} of shape {t.shape}; expected {layout.format(size)}."
                )
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(
                f"{name}: key {key.shape} and value {value.shape} must have the same batch "
                f"and sequence length."
            )
        batch_axis = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[batch_axis] != key.shape[batch_axis]:
            raise ValueError(
                f"{name}: query {query.shape} and key {key.shape} have different batch sizes."
            )
        return query.ndim == 3
