"""Accessibility on every main page: labelled controls, contrast, live flashes, hold wording."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Scenario, nav_paths, sign_in, sign_out

pytestmark = pytest.mark.browser

# Controls without an accessible name: no label[for], no wrapping label, no aria-label(ledby),
# and (for buttons and links) no text.
UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href]')]
  .filter(el => {
    if (el.labels && el.labels.length) return false;
    if ((el.getAttribute('aria-label') || '').trim()) return false;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\\s+/).some(id => (document.getElementById(id)?.textContent || '').trim()))
      return false;
    if (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim()) return false;
    return true;
  })
  .map(el => el.outerHTML.slice(0, 120))"""

# Charts must be inline SVG images with a text alternative (a title, label or labelledby).
UNNAMED_CHARTS = """() => [...document.querySelectorAll('svg:not([aria-hidden="true"])')]
  .filter(svg => svg.getAttribute('role') !== 'img'
    || !(svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby')
         || svg.querySelector(':scope > title')))
  .map(svg => svg.outerHTML.slice(0, 100))"""

# Text whose contrast with what is behind it is under WCAG AA (4.5:1, or 3:1 for large text).
LOW_CONTRAST = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (top, base, a) => [0, 1, 2].map(i => top[i] * a + base[i] * (1 - a));
  const behind = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let base = [255, 255, 255];
    for (const l of layers.reverse()) base = blend(l, base, l[3]);
    return base; };
  const opacity = el => { let o = 1;
    for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o; };
  const found = []; const seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!walk.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('.visually-hidden, [aria-hidden="true"], svg, select, option, .skip, :disabled'))
      continue;
    const box = el.getBoundingClientRect(); const s = getComputedStyle(el);
    if (!box.width || !box.height || s.visibility === 'hidden') continue;
    const bg = behind(el); const fg = parse(s.color);
    const shown = blend(fg, bg, fg[3] * opacity(el));
    const [a, b] = [lum(shown), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize); const bold = parseInt(s.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) found.push(`${el.tagName.toLowerCase()}.${el.className} `
      + `"${walk.currentNode.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1`);
  }
  return found.slice(0, 12);
}"""


def _audit(page: Page, paths: list[str]) -> list[str]:
    problems = []
    for path in dict.fromkeys(paths):
        response = page.goto(path)
        if response is None or not response.ok:
            problems.append(f"{path}: answered {response.status if response else None}")
            continue
        for html in page.evaluate(UNLABELLED):
            problems.append(f"{path}: unlabelled {html}")
        jumps = page.evaluate(
            "() => [...document.querySelectorAll('[tabindex]')]"
            ".filter(el => el.tabIndex > 0).map(el => el.outerHTML.slice(0, 100))"
        )
        problems += [f"{path}: positive tabindex breaks the tab order {html}" for html in jumps]
        for html in page.evaluate(UNNAMED_CHARTS):
            problems.append(f"{path}: chart without a text alternative {html}")
        for text in page.evaluate(LOW_CONTRAST):
            problems.append(f"{path}: low contrast {text}")
        live = page.locator(".flashes")
        if live.count():
            expect(live).to_have_attribute("aria-live", "polite")
    return problems


def test_every_main_page_has_labelled_controls_and_enough_contrast(
    scenario: Scenario, page: Page
) -> None:
    problems: list[str] = []
    for user, extra in scenario.main_pages():
        sign_in(page, user.email)
        problems += _audit(page, [href for _label, href in nav_paths(page)] + extra)
        sign_out(page)
    problems += _audit(page, ["/login"])
    assert problems == [], "\n".join(problems)


def test_on_hold_is_said_in_words_with_an_icon_not_by_colour_alone(
    scenario: Scenario, page: Page
) -> None:
    sign_in(page, scenario.contractor.email)
    for path in ("/", "/timesheet"):
        page.goto(path)
        badge = page.locator(".badge-hold").first
        expect(badge).to_contain_text("On hold")
        icon_bars = badge.evaluate(
            """el => { const icon = el.querySelector('span[aria-hidden="true"]');
                const s = icon ? getComputedStyle(icon) : getComputedStyle(el, '::before');
                return [parseFloat(s.borderLeftWidth), parseFloat(s.borderRightWidth)]; }"""
        )
        assert min(icon_bars) > 0, (path, icon_bars)
    banner = page.get_by_role("alert").filter(has_text="is on hold since")
    expect(banner).to_contain_text("CHORDUS")
    expect(banner.locator("h2 > span[aria-hidden='true']")).to_have_count(1)
