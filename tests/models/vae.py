"""Variational auto-encoder (after pytorch/examples/vae/main.py), the noise passed in."""

import torch
import torch.nn.functional as F
from torch import nn

D, H, Z = 64, 32, 8


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(D, H)
        self.fc21 = nn.Linear(H, Z)
        self.fc22 = nn.Linear(H, Z)
        self.fc3 = nn.Linear(Z, H)
        self.fc4 = nn.Linear(H, D)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, D))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, D), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def build():
    return VAE()


def inputs(rng):
    x = torch.tensor(rng.random((5, 8, 8)), dtype=torch.float32)
    eps = torch.tensor(rng.standard_normal((5, Z)), dtype=torch.float32)
    return x, eps


def loss(model, x, eps):
    recon, mu, logvar = model(x, eps)
    return loss_function(recon, x, mu, logvar)
