import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
  { width: 390, height: 844 },
] as const;
export const THEMES = ['light', 'dark'] as const;

export interface ScreenProblems {
  smallText: string[];
  overflow: string[];
  axe: string[];
}

/**
 * Visible text smaller than 12 px, measured from what the browser rendered: the computed font
 * size times the element's on-screen scale (a viewBox or a transform shrinks text without
 * changing its CSS font-size), and for SVG text the glyph box itself.
 */
export function smallText(page: Page): Promise<string[]> {
  // A string: this runs in the page, where the DOM is (the test's tsconfig has no DOM types).
  return page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim();
      const el = n.parentElement;
      if (!text || !el) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none' || el.closest('.sr-only, [aria-hidden="true"] .u-legend')) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (rects.length === 0) continue;
      let size = parseFloat(style.fontSize);
      if (el instanceof SVGElement) {
        const svg = el.ownerSVGElement;
        const scale = svg ? svg.getBoundingClientRect().width / (svg.viewBox.baseVal?.width || svg.getBoundingClientRect().width) : 1;
        size *= scale;
      } else {
        const box = el.getBoundingClientRect();
        // offsetWidth is rounded to whole pixels: only a real scale (a transform) counts.
        const scale = el.offsetWidth > 0 ? box.width / el.offsetWidth : 1;
        if (Math.abs(scale - 1) > 0.05) size *= scale;
      }
      if (size < 11.95) out.push(\`\${size.toFixed(1)}px: "\${text.slice(0, 40)}" in <\${el.tagName.toLowerCase()} class="\${el.className}">\`);
    }
    return out;
  })()`);
}

/** Labels wider than their box, and a page wider than the window. */
export function overflow(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push(\`page is \${document.documentElement.scrollWidth}px wide in a \${window.innerWidth}px window\`);
    const boxes = document.querySelectorAll('button, .button, .flow-node, .tunnel-row, .row-open, .entrance, .error-card, .state, .toast, label, th, td, .detail-facts, .row-figures, h1, h2, h3');
    for (const el of boxes) {
      if (el.offsetParent === null || el.closest('.table-scroll')) continue;
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto') {
        out.push(\`<\${el.tagName.toLowerCase()} class="\${el.className}"> "\${(el.textContent ?? '').trim().slice(0, 40)}" needs \${el.scrollWidth}px, has \${el.clientWidth}px\`);
      }
    }
    return out;
  })()`);
}

export async function axeProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page: page as never }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')} — ${v.nodes[0]?.failureSummary?.split('\n')[1]?.trim() ?? ''}`);
}

/**
 * One screen at every size and in both themes: a screenshot for people to look at, and the
 * checks a person would otherwise do by eye — text size and overflow at every size, axe-core
 * in both themes at the widest and the narrowest size.
 */
export async function auditScreen(page: Page, dir: string, name: string): Promise<Record<string, ScreenProblems>> {
  mkdirSync(dir, { recursive: true });
  const found: Record<string, ScreenProblems> = {};
  const original = page.viewportSize();
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      // Two frames: layout and container queries settle after a resize.
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      await page.screenshot({ path: join(dir, `${name}-${size.width}x${size.height}-${theme}.png`), fullPage: true });
      // axe's rules (contrast, names, roles, nesting) do not change with the width between the
      // widest and the narrowest layout; it is the slow check, so the middle size skips it.
      const axe = size.width === 800 ? [] : await axeProblems(page);
      const problems = { smallText: await smallText(page), overflow: await overflow(page), axe };
      if (problems.smallText.length + problems.overflow.length + problems.axe.length > 0) found[`${name} ${size.width}x${size.height} ${theme}`] = problems;
    }
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  if (original) await page.setViewportSize(original);
  return found;
}
