import type { Page } from 'playwright-core';

interface PageGlobals {
  __inlineRan?: boolean;
  document: {
    addEventListener(type: 'securitypolicyviolation', listener: (e: { effectiveDirective: string }) => void): void;
    createElement(tag: 'script'): { textContent: string };
    head: { appendChild(node: unknown): void };
  };
}

/** The verdicts of a page under our policy. */
export const LOCKED_DOWN = { inlineScriptRan: false, evalAllowed: false, foreignFetch: 'blocked', violations: ['connect-src', 'script-src', 'script-src-elem'] };

/**
 * What the page's Content-Security-Policy lets happen: an injected inline script, eval, and a
 * fetch to a server on another origin (which would answer), plus the violations the browser reported.
 */
export async function cspVerdicts(target: Page, foreignPort: number): Promise<Record<string, unknown>> {
  return target.evaluate(async (port) => {
    // Runs in the page; this file is compiled without DOM types, hence the narrow view.
    const page = globalThis as unknown as PageGlobals;
    const document = page.document;
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
    const script = document.createElement('script');
    script.textContent = 'globalThis.__inlineRan = true';
    document.head.appendChild(script);
    // Run from a timer, not from the evaluate call itself: DevTools evaluation is exempt from the policy.
    const evalAllowed = await new Promise<boolean>((resolve) =>
      setTimeout(() => {
        try {
          resolve((0, eval)('true') === true);
        } catch {
          resolve(false);
        }
      }, 0),
    );
    const foreignFetch = await fetch(`http://127.0.0.1:${port}/`, { mode: 'no-cors' }).then(() => 'answered', () => 'blocked');
    await new Promise((r) => setTimeout(r, 200)); // violation events are queued
    return { inlineScriptRan: page.__inlineRan === true, evalAllowed, foreignFetch, violations: [...new Set(violations)].sort() };
  }, foreignPort);
}
