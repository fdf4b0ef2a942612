import { useEffect, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface Props {
  labelledBy: string;
  describedBy?: string;
  /** alertdialog for questions that need an answer before anything else (host keys, deletes). */
  role?: 'dialog' | 'alertdialog';
  onEscape(): void;
  children: ReactNode;
  className?: string;
}

/**
 * A modal dialog: focus moves in, Tab and Shift+Tab stay inside, Escape answers onEscape, and
 * focus goes back to where it was when the dialog closes. The page behind is inert.
 */
export function Dialog({ labelledBy, describedBy, role = 'dialog', onEscape, children, className }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const escape = useRef(onEscape);
  escape.current = onEscape;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const label = previous?.getAttribute('aria-label');
    const root = document.getElementById('root');
    const app = root?.querySelector<HTMLElement>('.app');
    app?.setAttribute('inert', '');
    const el = box.current!;
    const auto = el.querySelector<HTMLElement>('[data-autofocus]') ?? el.querySelector<HTMLElement>(FOCUSABLE);
    auto?.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        escape.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)];
      if (items.length === 0) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      if (e.shiftKey && (document.activeElement === first || !el.contains(document.activeElement))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !el.contains(document.activeElement))) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      app?.removeAttribute('inert');
      if (previous && document.contains(previous)) previous.focus();
      else if (label) {
        // The element was re-rendered meanwhile (the layout changed under the dialog): its twin.
        document.querySelector<HTMLElement>(`[aria-label="${label.replace(/["\\]/g, "\\$&")}"]`)?.focus();
      }
    };
  }, []);

  return (
    <div className="dialog-backdrop">
      <div ref={box} role={role} aria-modal="true" aria-labelledby={labelledBy} {...(describedBy ? { 'aria-describedby': describedBy } : {})} className={`dialog${className ? ` ${className}` : ''}`}>
        {children}
      </div>
    </div>
  );
}
