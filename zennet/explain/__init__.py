"""Interpretability: which input features a model's decision rests on.

    zn.explain.saliency(model, x, target)               ∂f_c/∂x
    zn.explain.gradient_x_input(model, x, target)       x ⊙ ∂f_c/∂x
    zn.explain.smoothgrad(model, x, target)             mean ∂f_c/∂x over noisy copies of x
    zn.explain.integrated_gradients(model, x, target)   (x − x')·∫ ∂f_c/∂x along x' → x
    zn.explain.occlusion(model, x, target)              score drop when a patch is covered
    zn.explain.grad_cam(model, x, target, layer)        ReLU(Σ_k α_k·A_k) of a conv layer

Each returns an ndarray shaped like x (grad_cam: one channel, see its docstring).
``trace_step`` follows one training step of an MLP with the primer's formulas;
``render.save_overlay`` draws a heat map over an image as a PNG (needs matplotlib).
"""

from zennet.explain.gradcam import grad_cam, last_conv_block
from zennet.explain.gradients import (
    completeness_gap,
    gradient_x_input,
    integrated_gradients,
    saliency,
    smoothgrad,
)
from zennet.explain.occlusion import occlusion
from zennet.explain.render import overlay, save_overlay
from zennet.explain.trace import Trace, TraceStep, format_trace, trace_step
