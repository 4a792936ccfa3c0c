"""zn.onnx.export traces a custom forward() op by op: each tensor op of the PyTorch surface
that ONNX can express exports, and onnxruntime computes what zennet computes (float32,
rtol 1e-4, atol 1e-5) on the example and on a batch of another size."""

import numpy as np
import pytest

import zennet as zn
from tests.onnx.helpers import assert_exports
from zennet import nn


class Lambda(nn.Module):
    """A custom Module whose forward() is ``fn``: exported by tracing."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.w = nn.Parameter(zn.tensor(np.linspace(-1, 1, 4, dtype=np.float32)))

    def forward(self, x):
        return self.fn(x, self.w)


def floats(low=-2.0, high=2.0):
    return lambda rng, n: rng.uniform(low, high, (n, 3, 4)).astype(np.float32)


def ints(high=5):
    return lambda rng, n: rng.integers(0, high, (n, 3, 4))


UNIT, POSITIVE, ABOVE1 = floats(-0.9, 0.9), floats(0.1, 3.0), floats(1.1, 3.0)
# name -> (x, w -> output; x (N, 3, 4), w (4,) a parameter), the input, positive
OPS = {
    "add_alpha": (lambda x, w: zn.add(x, w, alpha=2), floats()),
    "sub_mul_div": (lambda x, w: (x - w) * 3 / (w + 2), floats()),
    "div_floor": (lambda x, w: zn.div(x * 3, w + 2, rounding_mode="floor"), floats()),
    "div_trunc": (lambda x, w: zn.div(x * 3, w + 2, rounding_mode="trunc"), floats()),
    "pow": (lambda x, w: x.abs() ** w + x**2, floats()),
    "sin_cos_tan": (lambda x, w: zn.sin(x) + zn.cos(x) + zn.tan(x / 2), floats()),
    "asin_acos_atan": (lambda x, w: zn.asin(x) + zn.acos(x) + zn.atan(x * 3), UNIT),
    "atan2": (lambda x, w: zn.atan2(x, w), floats()),
    "hyperbolic": (lambda x, w: zn.sinh(x) + zn.cosh(x) + zn.asinh(x) + zn.atanh(x / 3), floats()),
    "acosh": (lambda x, w: zn.acosh(x), ABOVE1),
    "erf_erfc": (lambda x, w: zn.erf(x) + 2 * zn.erfc(x), floats()),
    "exp_family": (lambda x, w: zn.expm1(x) + zn.exp2(x) + x.exp(), floats()),
    "log_family": (lambda x, w: zn.log1p(x) + zn.log2(x) + zn.log10(x) + x.log(), POSITIVE),
    "rsqrt_reciprocal_sqrt": (lambda x, w: zn.rsqrt(x) + zn.reciprocal(x) + x.sqrt(), POSITIVE),
    "square_sign_sgn": (lambda x, w: zn.square(x) + zn.sign(x) + zn.sgn(x - 1), floats()),
    "rounding": (
        lambda x, w: zn.floor(x * 3) + zn.ceil(x * 3) + zn.round(x * 3) + zn.trunc(x * 3),
        floats(),
    ),
    "round_decimals": (lambda x, w: zn.round(x, decimals=2), floats()),
    "frac": (lambda x, w: zn.frac(x * 3), floats()),
    "fmod_remainder": (
        lambda x, w: zn.fmod(x * 3, w + 1.5) + zn.remainder(x * 3, w - 1.5),
        floats(),
    ),
    "lerp": (lambda x, w: zn.lerp(x, w, 0.3), floats()),
    "hypot": (lambda x, w: zn.hypot(x, w), floats()),
    "logaddexp": (lambda x, w: zn.logaddexp(x, w) + zn.logaddexp2(x, w), floats()),
    "xlogy": (lambda x, w: zn.xlogy(x, w + 2), floats()),
    "nan_to_num": (lambda x, w: zn.nan_to_num(zn.log(x)), floats()),
    "clamp": (
        lambda x, w: x.clamp(-0.5, 0.7) + zn.clamp_min(x, 0.1) + zn.clamp_max(x, 0.2),
        floats(),
    ),
    "clamp_tensor_bounds": (lambda x, w: x.clamp(min=w, max=w + 1), floats()),
    "copysign": (lambda x, w: zn.copysign(x, w), floats()),
    "maximum_minimum": (lambda x, w: zn.maximum(x, w) + zn.minimum(x, w), floats()),
    "comparisons": (
        lambda x, w: zn.where((x > w) & (x <= 1) | (x == 0) | ~(x != x), x, w),
        floats(),
    ),
    "eq_ne_lt_ge": (
        lambda x, w: (
            zn.eq(x, w).float() + zn.ne(x, 0).float() + zn.lt(x, w).float() + zn.ge(x, w).float()
        ),
        floats(),
    ),
    "isnan_isinf_isfinite": (
        lambda x, w: zn.where(zn.isnan(x.log()) | zn.isinf(1 / (x * 0)) | ~zn.isfinite(x), 1.0, x),
        floats(),
    ),
    "isclose": (lambda x, w: zn.isclose(x, x + 1e-6).float() + zn.isclose(x, w).float(), floats()),
    "logical": (
        lambda x, w: zn.logical_xor(
            zn.logical_and(x > 0, x < 1), zn.logical_or(x > 1.5, zn.logical_not(x > -1))
        ).float(),
        floats(),
    ),
    "bitwise_bool": (
        lambda x, w: zn.bitwise_xor(zn.bitwise_and(x > 0, x < 1), zn.bitwise_not(x > -1)).float(),
        floats(),
    ),
    "all_any": (
        lambda x, w: (
            (x > -1).all(dim=1).float()
            + (x > 1).any(-1).float().sum(-1, True)
            + (x > 0).any(1, keepdim=True).float().sum(1)
            + (x > -3).all().float()
        ),
        floats(),
    ),
    "count_nonzero": (lambda x, w: zn.count_nonzero(x > 0.5, dim=-1), floats()),
    "gather": (lambda x, w: zn.gather(x, 2, x.argsort(dim=2)), floats()),
    "scatter": (
        lambda x, w: (
            x.scatter(2, x.argsort(2)[..., :2], x[..., :2] * 2)
            + x.scatter(1, x.argmax(1, keepdim=True), 5.0)
        ),
        floats(),
    ),
    "scatter_add": (lambda x, w: x.scatter_add(2, x.argsort(dim=2), x * 2), floats()),
    "scatter_reduce": (
        lambda x, w: (
            x.scatter_reduce(2, x.argsort(2)[..., :3], x[..., 1:] * 2, "prod")
            + x.scatter_reduce(
                2,
                zn.tensor([[[0, 0, 3]] * 3]).expand(x.shape[0], 3, 3),
                x[..., :3],
                "mean",
                include_self=False,
            )
            + x.scatter_reduce(
                1,
                zn.tensor([[[2, 0, 0, 2]]]).expand(x.shape[0], 1, 4),
                x[:, :1] * 3,
                "sum",
                include_self=False,
            )
        ),
        floats(),
    ),
    "fmax_fmin": (lambda x, w: zn.fmax(x, w) + zn.fmin(x, w * 2), floats()),
    "index_select": (lambda x, w: zn.index_select(x, 2, zn.tensor([3, 0, 0])), floats()),
    "index_add_fill_copy": (
        lambda x, w: (
            x.index_add(2, zn.tensor([0, 2]), x[..., :2])
            .index_fill(1, zn.tensor([1]), -1.0)
            .index_copy(2, zn.tensor([3]), x[..., 1:2])
        ),
        floats(),
    ),
    "masked_fill": (lambda x, w: x.masked_fill(x > w, -1.0), floats()),
    "masked_fill_causal": (
        lambda x, w: x.masked_fill(zn.ones(3, 4).tril() == 0, float("-inf")).softmax(-1),
        floats(),
    ),
    "take_along_dim": (lambda x, w: zn.take_along_dim(x, x.argsort(dim=1), dim=1), floats()),
    "take": (lambda x, w: zn.take(x[0], zn.tensor([[0, 5], [11, 3]])) + x.sum(), floats()),
    "narrow_select": (lambda x, w: x.narrow(2, 1, 2).sum(-1) + x.select(2, 0), floats()),
    "getitem_basic": (
        lambda x, w: x[:, 1:, ::2] + x[:, -2:, 1::2] + x[:, None, 0, :2].squeeze(1)[:, None],
        floats(),
    ),
    "getitem_reverse_step": (lambda x, w: x[:, ::-1, ::-2], floats()),
    "getitem_int_array": (lambda x, w: x[:, [2, 0, 0]] + x[..., [1, 1, 3, 0]][:, :3], floats()),
    "getitem_tensor_index": (lambda x, w: w[x.argmax(-1)], floats()),
    "getitem_mask_constant": (lambda x, w: x[:, zn.tensor([True, False, True])], floats()),
    "setitem": (lambda x, w: _setitem(x, w), floats()),
    "setitem_mask": (lambda x, w: _masked_set(x), floats()),
    "sort": (
        lambda x, w: x.sort(dim=-1).values + x.sort(dim=1, descending=True)[0].sum(1, keepdim=True),
        floats(),
    ),
    "sort_indices": (lambda x, w: x.sort(-1)[1] + zn.argsort(x, dim=1, descending=True), floats()),
    "topk": (lambda x, w: x.topk(2, dim=-1).values + x.topk(2, largest=False)[1], floats()),
    "argmax_argmin": (
        lambda x, w: x.argmax(1) + x.argmin(1, keepdim=True).sum(1) + zn.argmax(x),
        floats(),
    ),
    "max_min_dim": (
        lambda x, w: x.max(1).values + x.min(1, keepdim=True)[0].sum(1) + x.max(dim=1)[1],
        floats(),
    ),
    "cumsum": (lambda x, w: x.cumsum(-1) + zn.cumsum(x, dim=1), floats()),
    "diff": (lambda x, w: zn.diff(x, dim=-1), floats()),
    "tril_triu": (lambda x, w: x.tril() + x.triu(1) * 2, floats()),
    "diag_diagonal_trace": (
        lambda x, w: zn.diagonal(x, 0, 1, 2) + zn.diag_embed(x[:, 0]).sum(-1)[:, :3],
        floats(),
    ),
    "trace": (lambda x, w: zn.trace(x[0]) + x, floats()),
    "flip_roll_rot90": (
        lambda x, w: x.flip(2) + zn.fliplr(x[0])[None] + x.roll(1, 2) + zn.rot90(x, 2, (1, 2)),
        floats(),
    ),
    "flipud": (lambda x, w: zn.flipud(x), floats()),
    "repeat_interleave": (lambda x, w: x.repeat_interleave(2, dim=2), floats()),
    "tile_repeat": (lambda x, w: x.tile((1, 2)) + x.repeat(1, 1, 2), floats()),
    "unbind_movedim_swapaxes": (
        lambda x, w: sum(x.unbind(1))[:, None] + x.movedim(1, 2).swapaxes(1, 2),
        floats(),
    ),
    "broadcast_tensors": (lambda x, w: zn.broadcast_tensors(x, w)[1] + x, floats()),
    "meshgrid": (lambda x, w: zn.meshgrid(w, w[:3], indexing="ij")[0].T + x, floats()),
    "cat_stack_split": (
        lambda x, w: (
            zn.cat(zn.split(x, [1, 3], dim=2)[::-1], 2) + zn.stack([x, w.expand(x.shape)]).sum(0)
        ),
        floats(),
    ),
    "chunk": (lambda x, w: zn.cat(x.chunk(2, dim=-1), 1), floats()),
    "mm_bmm_matmul": (lambda x, w: x @ zn.outer(w, w) + zn.bmm(x, x.transpose(1, 2)) @ x, floats()),
    "mv_dot_inner": (lambda x, w: zn.mv(x[0], w) + zn.dot(w, w) + zn.inner(x, w)[0], floats()),
    "addmm_baddbmm": (
        lambda x, w: (
            zn.baddbmm(x, x, zn.ones(x.shape[0], 4, 4) * w, alpha=0.5)
            + zn.addmm(x[0], x[0], zn.eye(4))
        ),
        floats(),
    ),
    "einsum": (
        lambda x, w: zn.einsum("nij,j->ni", x, w) + zn.einsum("nij,nkj->nik", x, x).sum(-1),
        floats(),
    ),
    "tensordot_kron": (
        lambda x, w: zn.tensordot(x, w, dims=1) + zn.kron(w[:2], w[:2])[:3],
        floats(),
    ),
    "cross": (lambda x, w: zn.cross(x[..., :3], w[:3].expand(x.shape[0], 3, 3), dim=-1), floats()),
    "cdist": (lambda x, w: zn.cdist(x, x), floats()),
    "linalg_norm": (
        lambda x, w: (
            zn.linalg.vector_norm(x, dim=-1) + zn.linalg.norm(x, dim=1).sum(-1, keepdim=True)
        ),
        floats(),
    ),
    "det": (lambda x, w: zn.linalg.det(x[:, :, :3] + zn.eye(3) * 3), floats()),
    "prod_nansum_nanmean": (
        lambda x, w: x.prod(-1) + zn.nansum(x, 1).sum(-1, keepdim=True) + zn.nanmean(x, -1),
        floats(),
    ),
    "std_var": (
        lambda x, w: (
            x.std(-1) + x.var(1, unbiased=False).sum(-1, keepdim=True) + zn.std_mean(x, dim=-1)[1]
        ),
        floats(),
    ),
    "var_correction": (lambda x, w: zn.var(x, dim=(1, 2), correction=0), floats()),
    "aminmax_logsumexp": (
        lambda x, w: zn.aminmax(x, dim=-1)[0] + x.logsumexp(-1) + x.amax((1, 2))[:, None],
        floats(),
    ),
    "norm": (lambda x, w: x.norm(dim=-1) + x.norm(p=1, dim=-1), floats()),
    "mean_sum": (lambda x, w: x.mean(-1) + x.sum(1).sum(-1, keepdim=True) + x.mean(), floats()),
    "cast_type_as": (
        lambda x, w: (
            (x * 3).long().float()
            + (x > 0).int().type_as(x)
            + x.double().float()
            + x.to(zn.float16).float()
        ),
        floats(),
    ),
    "reshape_view_flatten": (
        lambda x, w: x.reshape(x.shape[0], -1).view(-1, 2, 6).flatten(1),
        floats(),
    ),
    "squeeze_unsqueeze_expand": (
        lambda x, w: x.unsqueeze(1).expand(-1, 2, -1, -1).squeeze(0).sum(1),
        floats(),
    ),
    "new_zeros_full_like": (
        lambda x, w: x + zn.ones_like(x) + zn.full_like(x, 2) + x.new_ones(4),
        floats(),
    ),
    "embedding_functional": (lambda x, w: zn.functional.embedding(x, w.reshape(2, 2)), ints(2)),
    "one_hot": (lambda x, w: zn.functional.one_hot(x, 5).float() @ zn.ones(5, 2), ints()),
    "int_input_arithmetic": (
        lambda x, w: x * 2 + zn.floor_divide(x, 2) + zn.remainder(x, 3) - x.float() / 2,
        ints(),
    ),
}


def _setitem(x, w):
    y = x.clone()
    y[:, 0] = w
    y[:, :, 1] = 0.0
    y[:, [1, 2], 3] += 1.0
    return y


def _masked_set(x):
    y = x * 1
    y[x > 0.5] = 0.0
    return y


@pytest.mark.parametrize("name", list(OPS))
def test_op_exports(tmp_path, rng, name):
    fn, make = OPS[name]
    assert_exports(Lambda(fn), make(rng, 2), make(rng, 5), tmp_path)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_max_min_export_from_opset_18(tmp_path, rng, reduce):
    def fn(x, w):
        return x.scatter_reduce(2, x.argsort(2), x * w, reduce, include_self=reduce == "amax")

    make = floats()
    assert_exports(Lambda(fn), make(rng, 2), make(rng, 5), tmp_path, opset=18)
    with pytest.raises(ValueError, match=f"reduce='{reduce}' needs opset 18"):
        zn.onnx.export(Lambda(fn), make(rng, 2), tmp_path / "m17.onnx")
