"""Einstein summation: every product, contraction and transpose of named axes in one op."""

import string

from zennet.autograd import Function


def parse_equation(equation, ndims):
    """The input subscripts and the output subscripts of ``equation`` for operands with
    ``ndims`` dimensions, with "..." replaced by letters and an implicit output made
    explicit (NumPy's rules: the letters that appear once, sorted, after the ellipsis)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: {equation!r} names {len(terms)} operands, got {len(ndims)}.")
    free = [c for c in string.ascii_letters if c not in equation]
    widest = max(
        (n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t), default=0
    )
    ellipsis = "".join(free[:widest])
    inputs = []
    for term, n in zip(terms, ndims):
        if "..." in term:
            k = n - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[widest - k :] if k else "")
        if len(term) != n:
            raise ValueError(f"einsum: subscripts {term!r} do not fit an operand with {n} dims.")
        inputs.append(term)
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        letters = "".join(inputs)
        output = ellipsis + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
        )
    return inputs, output


class Einsum(Function):
    """y = Σ over the letters missing from the output of Π x_k[subscripts_k]
    |   dx_k = einsum(dy and the other operands -> subscripts_k): the same sum with x_k's
        place taken by dy; letters only x_k has are broadcast back, repeated letters
        (a diagonal) are written back onto the diagonal."""

    def forward(self, *xs, inputs, output):
        self.xs, self.inputs, self.output = xs, inputs, output
        return self.xp.einsum(",".join(inputs) + "->" + output, *xs)

    def backward(self, dy):
        return tuple(
            self._grad(k, dy) if needed else None for k, needed in enumerate(self.needs_input_grad)
        )

    def _grad(self, k, dy):
        xp, x, subs = self.xp, self.xs[k], self.inputs[k]
        others = [(s, a) for j, (s, a) in enumerate(zip(self.inputs, self.xs)) if j != k]
        present = set(self.output).union(*[set(s) for s, _ in others])
        unique = "".join(dict.fromkeys(subs))
        target = "".join(c for c in unique if c in present)
        terms = ",".join([self.output] + [s for s, _ in others])
        g = xp.einsum(terms + "->" + target, dy, *[a for _, a in others])  # (target letters)
        size = {c: x.shape[subs.index(c)] for c in unique}
        g = g.reshape([g.shape[target.index(c)] if c in target else 1 for c in unique])
        g = xp.broadcast_to(g, [max(g.shape[i], size[c]) for i, c in enumerate(unique)])
        if unique == subs:
            return g
        dx = xp.zeros(x.shape, dtype=dy.dtype)
        xp.einsum(subs + "->" + unique, dx)[...] = g  # a writable view of the diagonal
        return dx
