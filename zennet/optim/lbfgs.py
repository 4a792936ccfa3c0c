"""L-BFGS (Nocedal, 1980): a quasi-Newton method for full-batch problems that keeps the
last ``history_size`` steps s and gradient changes y to apply an approximate inverse
Hessian to the gradient (the two-loop recursion), as torch.optim.LBFGS does, with its
optional strong-Wolfe line search (line_search.py).

``step(closure)`` runs up to ``max_iter`` iterations; ``closure`` clears the gradients,
computes the loss, calls backward and returns the loss.
"""

from zennet.autograd import enable_grad
from zennet.backend import array_module
from zennet.optim.line_search import strong_wolfe
from zennet.optim.optimizer import Optimizer
from zennet.optim.registry import OPTIMIZERS


def two_loop(grad, steps, changes, rhos, h_diag):
    """d = −H·g with H built from pairs (s_i, y_i), ρ_i = 1/(y_i·s_i), H₀ = h_diag·I."""
    q, alphas = -grad, []
    for s, y, rho in zip(reversed(steps), reversed(changes), reversed(rhos)):
        alpha = float(s @ q) * rho
        q = q - alpha * y
        alphas.append(alpha)
    r = q * h_diag
    for s, y, rho, alpha in zip(steps, changes, rhos, reversed(alphas)):
        beta = float(y @ r) * rho
        r = r + (alpha - beta) * s
    return r


class LBFGS(Optimizer):
    """L-BFGS over every parameter at once (one parameter group), PyTorch's algorithm and
    stopping rules: gradient max-norm ≤ tolerance_grad, step or loss change ≤
    tolerance_change, max_iter iterations or max_eval evaluations per ``step``."""

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}."
            )
        max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        options = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, options)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: does not support parameter groups; pass one list.")
        self._params_list = self.param_groups[0]["params"]

    # ----------------------------------------------------- flat views of the parameters

    def _flat_grad(self):
        xp = array_module(self._params_list[0].data)
        parts = [
            xp.zeros(p.data.size, p.data.dtype) if p.grad is None else p.grad.data.ravel()
            for p in self._params_list
        ]
        return xp.concatenate(parts)

    def _add(self, t, d):
        """θ ← θ + t·d, d laid out as the concatenated parameters."""
        offset = 0
        for p in self._params_list:
            n = p.data.size
            p.data += (t * d[offset : offset + n]).reshape(p.data.shape).astype(p.data.dtype)
            offset += n

    def _evaluate(self, closure, x, t, d):
        """Loss and gradient at x + t·d; the parameters are put back to x."""
        self._add(t, d)
        loss = float(closure())
        grad = self._flat_grad()
        for p, saved in zip(self._params_list, x):
            p.data[...] = saved
        return loss, grad

    # ------------------------------------------------------------------------- step

    def step(self, closure):
        """Up to max_iter L-BFGS iterations; returns the loss before the first."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that computes and returns the loss.")
        group = self.param_groups[0]
        state = self.state.setdefault(self._params_list[0], {"func_evals": 0, "n_iter": 0})

        def evaluate():
            with enable_grad():
                return closure()

        first_loss = evaluate()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        grad = self._flat_grad()
        if abs(grad).max() <= group["tolerance_grad"]:
            return first_loss
        d, t = state.get("d"), state.get("t")
        steps, changes, rhos = state.get("old_stps"), state.get("old_dirs"), state.get("ro")
        h_diag, prev_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        lr = group["lr"]
        for n_iter in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, steps, changes, rhos, h_diag = -grad, [], [], [], 1.0
            else:
                y, s = grad - prev_grad, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only when the curvature is positive
                    if len(changes) == group["history_size"]:
                        steps.pop(0), changes.pop(0), rhos.pop(0)
                    steps.append(s), changes.append(y), rhos.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                d = two_loop(grad, steps, changes, rhos, h_diag)
            prev_grad, prev_loss = grad.copy(), loss
            t = min(1.0, 1.0 / float(abs(grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(grad @ d)
            if gtd > -group["tolerance_change"]:  # not a descent direction
                break
            ls_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x = [p.data.copy() for p in self._params_list]
                loss, grad, t, ls_evals = strong_wolfe(
                    lambda step, x=x, d=d: self._evaluate(evaluate, x, step, d),
                    t,
                    d,
                    loss,
                    grad,
                    gtd,
                    max_ls=group["max_eval"] - evals,
                )
                self._add(t, d)
            else:
                self._add(t, d)
                if n_iter != group["max_iter"]:
                    loss, grad, ls_evals = float(evaluate()), self._flat_grad(), 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == group["max_iter"] or evals >= group["max_eval"]:
                break
            if abs(grad).max() <= group["tolerance_grad"]:
                break
            if abs(d * t).max() <= group["tolerance_change"]:
                break
            if abs(loss - prev_loss) < group["tolerance_change"]:
                break
        state.update(d=d, t=t, old_dirs=changes, old_stps=steps, ro=rhos, H_diag=h_diag)
        state.update(prev_flat_grad=prev_grad, prev_loss=prev_loss)
        return first_loss


OPTIMIZERS.register("lbfgs", LBFGS, "L-BFGS (full batch, needs a closure)")
