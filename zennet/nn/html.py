"""HTML tables for Jupyter: ``_repr_html_`` of a Module, of ``summary()`` and of a History.

Jupyter shows an object's ``_repr_html_()`` instead of its text repr; these tables carry the
same numbers as the text (every cell is escaped, so a layer's repr cannot inject markup).
"""

import html


def html_table(header, rows, caption=None, footer=()):
    """A <table> with a header row, body rows and footer lines (strings) under it."""

    def cells(tag, values):
        return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in values)

    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(f"<thead><tr>{cells('th', header)}</tr></thead><tbody>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    parts.append("</tbody></table>")
    parts += [f"<p>{html.escape(line)}</p>" for line in footer]
    return "<div>" + "".join(parts) + "</div>"


def module_rows(model):
    """(name, layer, parameter shapes, count) for each module holding parameters of its own
    or having no children, in registration order; and the model's parameter total."""
    rows = []
    for name, module in model.named_modules():
        own = [(n, p) for n, p in module._parameters.items() if p is not None]
        if module._modules and not own:
            continue  # a container: its children have rows of their own
        layer = repr(module).splitlines()[0] if not module._modules else type(module).__name__
        shapes = ", ".join(f"{n} {tuple(p.shape)}" for n, p in own)
        rows.append((name or "(model)", layer, shapes, f"{sum(p.numel() for _, p in own):,}"))
    total = sum(p.numel() for p in model.parameters())
    return rows, total


def module_html(model):
    rows, total = module_rows(model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return html_table(
        ("name", "layer", "parameters", "count"),
        rows,
        caption=type(model).__name__,
        footer=(f"Total params: {total:,} (trainable: {trainable:,})",),
    )
