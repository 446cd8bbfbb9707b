"""Reading how the page looks, as a person would judge it: text cut by its box, a page that
scrolls sideways, where things are on screen, and colours' WCAG contrast."""

from __future__ import annotations

import re


def box(page, selector: str) -> dict:
    """The element's box on screen now (CSS pixels, relative to the window)."""
    return page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
                         " width: r.width, height: r.height}; }", selector)


# Text a person cannot read in full: its box cuts it (scrollWidth past clientWidth), or its lines
# reach past what shows it (`within`: a container, itself within the window; null: the element).
CUT_TEXT = """(targets) => {
    const problems = [];
    for (const [name, selector, within] of targets) {
        for (const el of document.querySelectorAll(selector)) {
            if (!el.checkVisibility()) continue;
            const label = `${name} "${el.textContent.trim().slice(0, 40)}"`;
            if (el.scrollWidth > el.clientWidth + 1) {
                problems.push(`${label}: its text is ${el.scrollWidth} px wide in a ${el.clientWidth} px box`);
                continue;
            }
            const box = (within ? el.closest(within) : el).getBoundingClientRect();
            const left = within ? Math.max(box.left, 0) : box.left;
            const right = within ? Math.min(box.right, document.documentElement.clientWidth) : box.right;
            const range = document.createRange();
            range.selectNodeContents(el);
            const outside = [...range.getClientRects()].filter(r => r.width > 0)
                .find(r => r.left < left - 1 || r.right > right + 1);
            if (outside) problems.push(`${label}: a line spans `
                                       + `${Math.round(outside.left)}..${Math.round(outside.right)}`
                                       + ` px, its box shows ${Math.round(left)}..${Math.round(right)} px`);
        }
    }
    return problems;
}"""
# The header's tagline and the table's caption within what shows them (a caption running past the
# table's scrolling box is read by scrolling sideways line by line); each column header in its cell.
READ_IN_FULL = [["the tagline", "#tagline", ".app-header"],
                ["the table's caption", "#metrics-table .table-caption", "#metrics-table"],
                ["the column header", "#metrics-table thead th", None]]


def cut_text(page, targets=READ_IN_FULL) -> list[str]:
    return page.evaluate(CUT_TEXT, targets)


def sideways_scroll(page) -> str:
    """"" when the page does not scroll sideways, else how far it does."""
    width, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    return "" if width <= inner else f"the page scrolls sideways: {width} px of content in a {inner} px window"


def rgb(css: str) -> tuple[float, ...]:
    """"rgb(1, 2, 3)" / "rgba(1, 2, 3, 0.5)" / "#010203" → (r, g, b[, a])."""
    if css.startswith("#"):
        return tuple(int(css[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(float(part) for part in re.findall(r"[\d.]+", css))


def luminance(colour: tuple[float, ...]) -> float:
    """WCAG 2 relative luminance."""
    channels = [c / 255 for c in colour[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: tuple[float, ...], other: tuple[float, ...]) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
