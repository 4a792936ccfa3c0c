"""Graph convolutional network (after tkipf/pygcn layers.py and models.py), dense adjacency."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parameter import Parameter

N_NODES, N_FEAT, N_HID, N_CLASS = 12, 6, 8, 3


class GraphConvolution(nn.Module):
    """Simple GCN layer, similar to https://arxiv.org/abs/1609.02907"""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.empty(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        nn.init.uniform_(self.weight, -stdv, stdv)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -stdv, stdv)

    def forward(self, input, adj):
        support = input @ self.weight
        output = adj @ support
        if self.bias is not None:
            return output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def build():
    return GCN(N_FEAT, N_HID, N_CLASS, dropout=0.5)


def inputs(rng):
    a = (rng.random((N_NODES, N_NODES)) < 0.3).astype(np.float32)
    a = np.maximum(a, a.T) + np.eye(N_NODES, dtype=np.float32)
    adj = a / a.sum(1, keepdims=True)  # row-normalised, as pygcn
    features = torch.tensor(rng.random((N_NODES, N_FEAT)), dtype=torch.float32)
    labels = torch.tensor(rng.integers(0, N_CLASS, N_NODES))
    idx_train = torch.tensor(np.arange(8))
    return features, torch.tensor(adj), labels, idx_train


def loss(model, features, adj, labels, idx_train):
    output = model(features, adj)
    return F.nll_loss(output[idx_train], labels[idx_train])
