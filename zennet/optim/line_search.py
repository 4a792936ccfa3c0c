"""Strong-Wolfe line search with cubic interpolation (Nocedal & Wright, Algorithms 3.5
and 3.6), the one torch.optim.LBFGS uses, on flat NumPy vectors.

A step t along direction d is accepted when it decreases the loss enough (Armijo) and
flattens the slope enough (curvature)::

    f(x + t d) ≤ f(x) + c1 t ∇f·d          |∇f(x + t d)·d| ≤ −c2 ∇f(x)·d
"""


def cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser, within ``bounds``, of the cubic through (x1, f1) and (x2, f2) with
    slopes g1 and g2; the middle of the bounds when the cubic has none."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(position, low), high)


def strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Search step sizes along d from loss f, gradient g and slope gtd = g·d;
    ``evaluate(t)`` returns (loss, flat gradient) at x + t·d.

    Returns (loss, gradient, t, evaluations) of the accepted step: first a bracket of
    steps that must contain one (zoom out by cubic extrapolation), then zoom in."""
    f_new, g_new = evaluate(t)
    evals, gtd_new = 1, float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    done, ls_iter = False, 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        bounds = (t + 0.01 * (t - t_prev), t * 10)
        t_next = cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds)
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, float(g_new @ d), ls_iter + 1
    if ls_iter == max_ls:
        bracket = [[0.0, f, g, gtd], [t, f_new, g_new, gtd_new]]
    counts = (ls_iter, evals, max_ls)
    return _zoom(evaluate, d, bracket, done, counts, f, gtd, (c1, c2, tolerance_change))


def _zoom(evaluate, d, bracket, done, counts, f, gtd, constants):
    """Shrink the bracket [[t, f, g, g·d], ...] around a step that meets both conditions."""
    (ls_iter, evals, max_ls), (c1, c2, tolerance) = counts, constants
    d_norm = abs(d).max()
    insufficient = False
    low, high = (0, 1) if len(bracket) == 1 or bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        (t0, f0, _, s0), (t1, f1, _, s1) = bracket
        if abs(t1 - t0) * d_norm < tolerance:
            break
        t = cubic_minimum(t0, f0, s0, t1, f1, s1)
        top, bottom = max(t0, t1), min(t0, t1)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:  # too close to an end: move in, or note it
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals, ls_iter = evals + 1, ls_iter + 1
        gtd_new = float(g_new @ d)
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new.copy(), gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = list(bracket[low])
            bracket[low] = [t, f_new, g_new.copy(), gtd_new]
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals
