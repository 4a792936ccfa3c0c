"""Sequence-to-sequence Transformer translator (after the PyTorch tutorial "Language
Translation with nn.Transformer and torchtext"), small."""

import math

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

SRC_VOCAB, TGT_VOCAB, EMB, NHEAD, FFN = 30, 25, 16, 2, 32
PAD_IDX = 1


class PositionalEncoding(nn.Module):
    def __init__(self, emb_size, dropout, maxlen=50):
        super().__init__()
        den = np.exp(-np.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = np.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = np.zeros((maxlen, emb_size), dtype=np.float32)
        pos_embedding[:, 0::2] = np.sin(pos * den)
        pos_embedding[:, 1::2] = np.cos(pos * den)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pos_embedding", torch.tensor(pos_embedding[:, None, :]))

    def forward(self, token_embedding: Tensor):
        return self.dropout(token_embedding + self.pos_embedding[: token_embedding.size(0), :])


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size, emb_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens: Tensor):
        return self.embedding(tokens) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    def __init__(self, num_encoder_layers, num_decoder_layers, dropout=0.1):
        super().__init__()
        self.transformer = nn.Transformer(
            d_model=EMB,
            nhead=NHEAD,
            num_encoder_layers=num_encoder_layers,
            num_decoder_layers=num_decoder_layers,
            dim_feedforward=FFN,
            dropout=dropout,
        )
        self.generator = nn.Linear(EMB, TGT_VOCAB)
        self.src_tok_emb = TokenEmbedding(SRC_VOCAB, EMB)
        self.tgt_tok_emb = TokenEmbedding(TGT_VOCAB, EMB)
        self.positional_encoding = PositionalEncoding(EMB, dropout=dropout)

    def forward(
        self,
        src,
        trg,
        src_mask,
        tgt_mask,
        src_padding_mask,
        tgt_padding_mask,
        memory_key_padding_mask,
    ):
        src_emb = self.positional_encoding(self.src_tok_emb(src))
        tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
        outs = self.transformer(
            src_emb,
            tgt_emb,
            src_mask,
            tgt_mask,
            None,
            src_padding_mask,
            tgt_padding_mask,
            memory_key_padding_mask,
        )
        return self.generator(outs)


def create_mask(src, tgt):
    src_seq_len = src.shape[0]
    tgt_seq_len = tgt.shape[0]
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_seq_len)
    src_mask = torch.zeros((src_seq_len, src_seq_len))
    src_padding_mask = (src == PAD_IDX).transpose(0, 1)
    tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


def build():
    model = Seq2SeqTransformer(2, 2)
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    return model


def inputs(rng):
    src = rng.integers(2, SRC_VOCAB, (7, 3))
    src[5:, 0] = PAD_IDX  # the first sentence is shorter
    tgt = rng.integers(2, TGT_VOCAB, (6, 3))
    tgt[4:, 1] = PAD_IDX
    return torch.tensor(src), torch.tensor(tgt)


def loss(model, src, tgt):
    tgt_input = tgt[:-1, :]
    src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
    logits = model(
        src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, src_padding_mask
    )
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    tgt_out = tgt[1:, :]
    return loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
