"""Integrated gradients for a text classifier, one number per token, and the tokens drawn in
their colours (ANSI for a terminal, HTML for a file).

The path runs over the token embeddings: from a baseline of zero embeddings (every token
"absent", the padding mask kept) to the text's own, x' + α·(x − x'); each token's
attribution is the sum over the embedding dimension of its integrated gradient, so the
attributions add up to f_c(x) − f_c(baseline) (completeness), up to the quadrature error.
"""

import html

import numpy as np

from zennet import nn
from zennet.explain import integrated_gradients
from zennet.explain._common import inspecting, scores_of
from zennet.io import atomic_write


class _FromEmbeddings(nn.Module):
    """The classifier's scores as a function of the token embeddings, the mask fixed."""

    def __init__(self, classifier, mask):
        super().__init__()
        self.classifier, self.mask = classifier, mask

    def forward(self, embeddings):
        mask = np.broadcast_to(self.mask, embeddings.shape[:2])
        return self.classifier.classify(embeddings, mask)


def token_attributions(model, ids, target=None, steps=64):
    """(attributions (T,), target, f_c(x), f_c(baseline)) for one text's ids (T,): the
    integrated gradients of class ``target`` (default: the predicted one) from zero
    embeddings, summed over the embedding dimension."""
    ids = np.asarray(ids, dtype=np.int64)[None]  # (1, T)
    with inspecting(model):
        embeddings = model.embed(ids).numpy()  # (1, T, D)
    scorer = _FromEmbeddings(model, ids != 0)
    with inspecting(scorer):
        scores = scores_of(scorer, np.concatenate([embeddings, np.zeros_like(embeddings)]))
    target = int(scores[0].argmax()) if target is None else int(target)
    ig = integrated_gradients(scorer, embeddings, target, baseline=0.0, steps=steps)
    return ig[0].sum(axis=-1), target, float(scores[0, target]), float(scores[1, target])


def _shares(attributions):
    """Each attribution over the largest magnitude: in [-1, 1]."""
    a = np.asarray(attributions, dtype=np.float64)
    return a / max(np.abs(a).max(), 1e-12)


def ansi_tokens(tokens, attributions):
    """The tokens on a green (for the class) to red (against) background, by strength."""
    out = []
    for token, s in zip(tokens, _shares(attributions)):
        level = int(round(abs(s) * 4))  # 0..4 -> a darker shade for a stronger token
        colour = (22, 28, 34, 40, 46)[level] if s >= 0 else (52, 88, 124, 160, 196)[level]
        out.append(f"\x1b[48;5;{colour}m\x1b[38;5;231m{token}\x1b[0m" if level else token)
    return " ".join(out)


def plain_tokens(tokens, attributions):
    """The tokens with their attributions in brackets: ``word[+0.12]``."""
    return " ".join(f"{t}[{a:+.3f}]" for t, a in zip(tokens, attributions))


def html_tokens(tokens, attributions, title=""):
    """An HTML page: the tokens shaded green (for the class) or red (against), each with
    its attribution as a tooltip."""
    spans = []
    for token, a, s in zip(tokens, attributions, _shares(attributions)):
        rgb = "0,160,0" if s >= 0 else "220,0,0"
        spans.append(
            f'<span title="{a:+.4f}" style="background: rgba({rgb},{abs(s):.3f}); '
            f'padding: 2px; margin: 1px">{html.escape(token)}</span>'
        )
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}'
        f'</title></head>\n<body style="font-family: monospace; font-size: 16px">\n'
        f"<p>{html.escape(title)}</p>\n<p>{' '.join(spans)}</p>\n</body></html>\n"
    )


def save_html(path, tokens, attributions, title=""):
    """Write :func:`html_tokens` to ``path`` atomically."""
    data = html_tokens(tokens, attributions, title).encode("utf-8")
    atomic_write(path, lambda f: f.write(data), "explain")
