"""Deterministic SVG previews: the same uuid always draws the same picture, with no image library and no network.

Colours and shapes come from the SHA-256 of the content element's uuid, so thumbnails in the portal are stable
across runs and distinguishable at a glance; the asset's name is written on it so a person can match them up.
Only presentation attributes are used (no ``style``), which the site's CSP would refuse.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from .payloads import PREVIEW_HEIGHT, PREVIEW_WIDTH


def _hsl(hue: int, saturation: int, lightness: int) -> str:
    return f"hsl({hue % 360},{saturation}%,{lightness}%)"


def _shape(index: int, seed: bytes) -> str:
    """One circle, rectangle or triangle positioned and coloured by four bytes of the seed."""
    a, b, c, d = seed[index * 4 : index * 4 + 4]
    x, y = a * PREVIEW_WIDTH // 255, b * PREVIEW_HEIGHT // 255
    size = 40 + c % 140
    colour = _hsl(d * 360 // 255, 55 + c % 30, 45 + a % 30)
    opacity = f"{0.35 + (b % 40) / 100:.2f}"
    kind = d % 3
    if kind == 0:
        return f'<circle cx="{x}" cy="{y}" r="{size // 2}" fill="{colour}" fill-opacity="{opacity}"/>'
    if kind == 1:
        return (
            f'<rect x="{x - size // 2}" y="{y - size // 2}" width="{size}" height="{size * 2 // 3}" '
            f'rx="{c % 16}" fill="{colour}" fill-opacity="{opacity}" transform="rotate({a % 45} {x} {y})"/>'
        )
    points = f"{x},{y - size // 2} {x - size // 2},{y + size // 2} {x + size // 2},{y + size // 2}"
    return f'<polygon points="{points}" fill="{colour}" fill-opacity="{opacity}"/>'


def render_svg(content_element_uuid: str, name: str, caption: str = "") -> str:
    """The preview of one element; ``caption`` is a second, smaller line (provider, binary name)."""
    seed = hashlib.sha256(content_element_uuid.encode()).digest()
    hue = seed[0] * 360 // 255
    shapes = "".join(_shape(index, seed[1:]) for index in range(3 + seed[31] % 4))
    label = escape(name[:60])
    sub = escape(caption[:80])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PREVIEW_WIDTH}" height="{PREVIEW_HEIGHT}" '
        f'viewBox="0 0 {PREVIEW_WIDTH} {PREVIEW_HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        '<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{_hsl(hue, 60, 82)}"/>'
        f'<stop offset="1" stop-color="{_hsl(hue + 40 + seed[2] % 80, 55, 62)}"/>'
        "</linearGradient></defs>"
        f'<rect width="{PREVIEW_WIDTH}" height="{PREVIEW_HEIGHT}" fill="url(#bg)"/>'
        f"{shapes}"
        f'<rect x="0" y="{PREVIEW_HEIGHT - 78}" width="{PREVIEW_WIDTH}" height="78" fill="#000" fill-opacity="0.55"/>'
        f'<text x="20" y="{PREVIEW_HEIGHT - 44}" font-family="sans-serif" font-size="24" fill="#fff">{label}</text>'
        f'<text x="20" y="{PREVIEW_HEIGHT - 16}" font-family="sans-serif" font-size="15" fill="#ddd">{sub}</text>'
        "</svg>"
    )
