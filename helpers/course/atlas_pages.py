"""The class atlas's pages: the contact sheet (a PIL image) and the sortable HTML table of `helpers.atlas`.

Both take an `helpers.atlas.Atlas` (settings, entries, images) and only read it.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from ..feature_vis import contrast_stretch


def contact_sheet(atlas: Any, *, thumb: int = 128, columns: int | None = None):
    """A PIL image: every class image (contrast-stretched) in a grid, its name and judge rank below (class order)."""
    from PIL import Image, ImageDraw, ImageFont

    entries = [e for e in atlas.entries if e.index in atlas.images]
    n = max(1, len(entries))
    cols = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    caption = 30
    sheet = Image.new("RGB", (cols * thumb, rows * (thumb + caption)), "white")
    draw = ImageDraw.Draw(sheet)
    try:
        font = ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        font = ImageFont.load_default()
    for i, e in enumerate(entries):
        x, y = (i % cols) * thumb, (i // cols) * (thumb + caption)
        shown = contrast_stretch(atlas.images[e.index])  # about the identity on a PNG that was stretched already
        sheet.paste(Image.fromarray(shown).resize((thumb, thumb), Image.BILINEAR), (x, y))
        score = f"judge rank {e.judge_rank}" if e.judge_rank is not None else f"own rank {e.model_rank}"
        draw.text((x + 2, y + thumb + 1), e.name[:22], fill="black", font=font)
        draw.text((x + 2, y + thumb + 15), score, fill=(90, 90, 90), font=font)
    return sheet


def atlas_table(entries: Any) -> str:
    """The sortable HTML table of atlas entries (click a header to sort) with its script; images link to `e.file`."""
    rows = "\n".join(
        f'<tr><td>{e.index}</td><td>{html.escape(e.name)}</td><td><img src="{html.escape(e.file)}" width=96></td>'
        f"<td>{e.model_rank}</td><td>{e.model_prob:.4f}</td>"
        f"<td>{'' if e.judge_rank is None else e.judge_rank}</td><td>{'' if e.judge_prob is None else f'{e.judge_prob:.4f}'}</td></tr>"
        for e in entries
    )
    return f"""<table id="atlas"><thead><tr><th>index</th><th>class</th><th>image</th><th>model rank</th><th>model P</th>
<th>judge rank</th><th>judge P</th></tr></thead><tbody>
{rows}
</tbody></table>
<script>
document.querySelectorAll('#atlas th').forEach((th, col) => th.addEventListener('click', () => {{
  const body = document.querySelector('#atlas tbody');
  const rows = Array.from(body.rows);
  const asc = th.dataset.asc !== 'true'; th.dataset.asc = asc;
  const key = r => {{ const t = r.cells[col].textContent; const v = parseFloat(t); return isNaN(v) ? t : v; }};
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (asc ? 1 : -1));
  rows.forEach(r => body.appendChild(r));
}}));
</script>"""


def html_page(atlas: Any) -> str:
    """A self-contained HTML page of the atlas: its settings, its recognisability and the sortable table."""
    s = atlas.settings
    try:
        headline = f"recognisability (judge top-5): {atlas.recognisability():.1%} of {len(atlas.entries)} classes"
    except ValueError:  # an atlas without a judge (AtlasError)
        headline = f"{len(atlas.entries)} classes, no judge"
    title = html.escape(
        f"Class atlas: {s['model']}, {s['method']} method, {s['steps']} steps, {s['size']} px, judge {s['judge']}"
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif}} th{{cursor:pointer;background:#eee}} td,th{{padding:2px 8px;text-align:left}}</style>
</head><body><h1>{title}</h1><p>{html.escape(headline)}. Click a column header to sort.</p>
{atlas_table(atlas.entries)}
</body></html>
"""
