"""Grad-CAM on a tiny conv net with a hand-built filter, and against PyTorch."""

import numpy as np
import pytest
import torch

from zennet import explain, nn

SIZE = 12


def blob_net(stride=2):
    """Channel 0 fires only on a bright 3x3 blob (all-ones filter, bias −4); channel 1 is
    dead. Class 1's score is the mean of channel 0 after ReLU, class 0's its negative."""
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, stride=stride, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2, 2),
    )
    conv, head = model[0], model[4]
    conv.weight.data[...] = 0
    conv.weight.data[0, 0] = 1.0
    conv.bias.data[...] = [-4.0, -1.0]
    head.weight.data[...] = [[-1.0, 0.0], [1.0, 0.0]]
    head.bias.data[...] = 0
    return model


def blob_images(rng, n=3):
    """Images with faint noise and one bright 3x3 blob, each in a different place."""
    x = rng.random((n, 1, SIZE, SIZE), dtype=np.float32) * 0.1
    corners = [(1, 7), (7, 1), (6, 6)][:n]
    for image, (r, c) in zip(x, corners):
        image[0, r : r + 3, c : c + 3] = 1.0
    return x, corners


def test_shape_sign_and_the_region_the_filter_responds_to(rng):
    x, corners = blob_images(rng)
    cam = explain.grad_cam(blob_net(), x, target=1, layer="0")  # the conv, by name
    assert cam.shape == (3, 1, SIZE, SIZE) and cam.dtype == np.float32
    assert (cam >= 0).all()
    for heat, (r, c) in zip(cam[:, 0], corners):
        peak = np.unravel_index(heat.argmax(), heat.shape)
        assert r - 1 <= peak[0] <= r + 3 and c - 1 <= peak[1] <= c + 3
        far = np.ones_like(heat, dtype=bool)
        far[max(r - 3, 0) : r + 6, max(c - 3, 0) : c + 6] = False
        assert heat[far].max() < 0.05 * heat.max()


def test_relu_drops_negative_evidence(rng):
    """On the rectified maps (A >= 0) of the ReLU, class 0's weights α are <= 0: no map."""
    x, _ = blob_images(rng)
    model = blob_net()
    assert np.abs(explain.grad_cam(model, x, target=0, layer=model[1])).max() == 0
    assert np.abs(explain.grad_cam(model, x, target=1, layer=model[1])).max() > 0


def test_same_as_pytorch(rng):
    """α_k = mean ∂f_c/∂A_k, ReLU(Σ α_k A_k), bilinear upsampling: all as in PyTorch."""
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)
    )
    x = rng.standard_normal((2, 2, 9, 9)).astype(np.float32)
    target = np.array([2, 0])
    ours = explain.grad_cam(model, x, target, model[0])

    weights = {k: torch.tensor(v) for k, v in model.state_dict().items()}
    conv = (
        torch.nn.functional.conv2d(
            torch.tensor(x), weights["0.weight"], weights["0.bias"], stride=2
        )
        .detach()
        .requires_grad_(True)
    )
    scores = torch.nn.functional.linear(
        conv.tanh().flatten(1), weights["3.weight"], weights["3.bias"]
    )
    scores[torch.arange(2), torch.tensor(target)].sum().backward()
    alpha = conv.grad.mean(dim=(2, 3), keepdim=True)
    theirs = torch.relu((alpha * conv).sum(1, keepdim=True))
    theirs = torch.nn.functional.interpolate(
        theirs, size=(9, 9), mode="bilinear", align_corners=False
    )
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_output_follows_the_input_layout(rng):
    x, _ = blob_images(rng, n=2)
    model = blob_net(stride=1)
    flat = nn.Sequential(nn.Unflatten(1, (1, SIZE, SIZE)), *model)
    cam = explain.grad_cam(flat, x.reshape(2, -1), 1, flat[1])
    assert cam.shape == (2, SIZE * SIZE)
    np.testing.assert_allclose(cam, explain.grad_cam(model, x, 1, model[0]).reshape(2, -1))
    unbatched_channels = nn.Sequential(nn.Unflatten(1, (1, SIZE)), *model)
    assert explain.grad_cam(unbatched_channels, x[:, 0], 1, "1").shape == (2, SIZE, SIZE)


def test_mode_restored_and_batches(rng):
    x, _ = blob_images(rng)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 10 * 10, 2)
    )
    model.train()
    whole = explain.grad_cam(model, x, 1, model[0])
    np.testing.assert_allclose(
        explain.grad_cam(model, x, 1, model[0], batch_size=1), whole, rtol=1e-6
    )
    assert all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_errors(rng):
    x, _ = blob_images(rng)
    model = blob_net()
    with pytest.raises(ValueError, match="no layer named 'conv'; its layers are"):
        explain.grad_cam(model, x, 1, "conv")
    with pytest.raises(ValueError, match="layer must be a sub-module of the model"):
        explain.grad_cam(model, x, 1, nn.Conv2d(1, 2, 3))
    with pytest.raises(ValueError, match=r"output has shape \(3, 2\); expected \(N, K, h, w\)"):
        explain.grad_cam(model, x, 1, model[3])
    with pytest.raises(ValueError, match=r"x of shape \(3, 7\) is not an image batch"):
        explain.grad_cam(nn.Sequential(nn.Linear(7, 2)), x[:, 0, 0, :7], 1, "0")
