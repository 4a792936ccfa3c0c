"""Word-level language model (after pytorch/examples/word_language_model/model.py)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

NTOKEN, NINP, NHID, NLAYERS = 50, 16, 16, 2


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (
                torch.zeros(self.nlayers, bsz, self.nhid, dtype=weight.dtype),
                torch.zeros(self.nlayers, bsz, self.nhid, dtype=weight.dtype),
            )
        return torch.zeros(self.nlayers, bsz, self.nhid, dtype=weight.dtype)


def build():
    return RNNModel("LSTM", NTOKEN, NINP, NHID, NLAYERS, dropout=0.2, tie_weights=True)


def inputs(rng):
    data = torch.tensor(rng.integers(0, NTOKEN, (7, 3)))
    targets = torch.tensor(rng.integers(0, NTOKEN, (7 * 3,)))
    return data, targets


def loss(model, data, targets):
    hidden = model.init_hidden(data.size(1))
    output, hidden = model(data, hidden)
    return nn.NLLLoss()(output, targets)
