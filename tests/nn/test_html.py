"""The HTML tables Jupyter shows: a Module, ``summary()`` and a training History."""

import re

import zennet as zn
from zennet import nn


def _cells(html):
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def test_a_module_shows_its_layers_and_parameters():
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3, bias=False))
    model[2].weight.requires_grad_(False)
    html = model._repr_html_()
    rows = _cells(html)
    assert rows[0] == ["name", "layer", "parameters", "count"]
    assert rows[1] == ["0", "Linear(in_features=2, out_features=4, bias=True)",
                       "weight (4, 2), bias (4,)", "12"]  # fmt: skip
    assert rows[2][:2] == ["1", "Tanh()"] and rows[3][3] == "12"
    assert "Total params: 24 (trainable: 12)" in html


def test_summary_is_its_text_and_an_html_table():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    text = model.summary((2,), print_fn=None)
    assert isinstance(text, str) and text.startswith('Model: "Sequential"')
    rows = _cells(text._repr_html_())
    assert rows[1] == ["0 (Linear)", "(None, 4)", "12"]
    assert rows[3] == ["2 (Linear)", "(None, 1)", "5"]
    assert "<p>Total params: 17</p>" in text._repr_html_()


def test_history_shows_one_row_per_epoch_and_escapes():
    history = zn.History({"loss": [0.5, 0.25], "<b>": [1.0, 2.0]}, epoch=[0, 1])
    rows = _cells(history._repr_html_())
    assert rows[0] == ["epoch", "loss", "&lt;b&gt;"]
    assert rows[1:] == [["1", "0.5000", "1.0000"], ["2", "0.2500", "2.0000"]]
