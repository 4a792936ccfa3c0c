"""Sine-wave sequence prediction in float64 with LBFGS (after
pytorch/examples/time_sequence_prediction/train.py), smaller."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

HIDDEN = 8


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, HIDDEN)
        self.lstm2 = nn.LSTMCell(HIDDEN, HIDDEN)
        self.linear = nn.Linear(HIDDEN, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), HIDDEN, dtype=torch.float64)
        c_t = torch.zeros(input.size(0), HIDDEN, dtype=torch.float64)
        h_t2 = torch.zeros(input.size(0), HIDDEN, dtype=torch.float64)
        c_t2 = torch.zeros(input.size(0), HIDDEN, dtype=torch.float64)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def build():
    return Sequence().double()


def inputs(rng):
    T, L, N = 20, 12, 4
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + rng.integers(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype("float64")
    return torch.tensor(data[:, :-1]), torch.tensor(data[:, 1:])


def loss(model, input, target):
    return nn.MSELoss()(model(input, future=2)[:, :-2], target)


def train(model, input, target):
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(model.parameters(), lr=0.8, max_iter=5)
    losses = []
    for _ in range(2):

        def closure():
            optimizer.zero_grad()
            out = model(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            return loss

        optimizer.step(closure)
    return losses
