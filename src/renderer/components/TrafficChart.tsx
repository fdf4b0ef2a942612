import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrafficPoint } from '../../shared/tunnel.js';
import { formatBytes, formatRate } from '../format.js';
import { useMedia } from '../lib/use-media.js';

const SPANS = [
  { label: '1 min', seconds: 60 },
  { label: '5 min', seconds: 300 },
  { label: '10 min', seconds: 600 },
] as const;

interface Props {
  points: TrafficPoint[];
  /** Forward descriptions, to chart one forward at a time; the tunnel's total when none is picked. */
  forwards: { index: number; label: string }[];
  now: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Rates on the y axis in binary units, as the rest of the dashboard writes them. */
function rateTicks(_u: uPlot, values: number[]): string[] {
  return values.map((v) => formatRate(v));
}

/** Clock times only ("4:05:30 PM" → "16:05:30" style per locale): uPlot's default adds dates that collide. */
function timeTicks(_u: uPlot, values: number[]): string[] {
  return values.map((v) => new Date(v * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }));
}

/**
 * Sent and received over time as a real chart (uPlot): a time axis over the chosen span, a rate
 * axis with units, a legend that shows the values under the cursor, one forward or the whole
 * tunnel. Colours are the chart's own (blue, magenta), never the state colours.
 */
export function TrafficChart({ points, forwards, now }: Props) {
  const [span, setSpan] = useState<number>(300);
  const [forward, setForward] = useState<number | 'all'>('all');
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Canvas colours are read once per chart: a theme switch draws a new one.
  const dark = useMedia('(prefers-color-scheme: dark)');

  const data = useMemo((): uPlot.AlignedData => {
    const from = now - span * 1000;
    const shown = points.filter((p) => p.t >= from);
    const pick = (p: TrafficPoint, key: 'sent' | 'received'): number => (forward === 'all' ? p[key] : (p.forwards.find((f) => f.index === forward)?.[key] ?? 0));
    return [shown.map((p) => p.t / 1000), shown.map((p) => pick(p, 'sent')), shown.map((p) => pick(p, 'received'))];
  }, [points, span, forward, now]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
    const axisColour = cssVar('--muted');
    const grid = cssVar('--grid');
    const axis = (values?: uPlot.Axis['values']): uPlot.Axis => ({
      stroke: axisColour,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '12px system-ui, sans-serif',
      ...(values ? { values } : {}),
    });
    const opts: uPlot.Options = {
      width,
      height: 180,
      // Room on the right for the last time label, which uPlot centres on its tick.
      padding: [8, 40, 0, 0],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1024, max * 1.15)] } },
      axes: [{ ...axis(timeTicks), space: 70 }, { ...axis(rateTicks), size: 80 }],
      series: [
        { label: 'Time', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleTimeString()) },
        { label: 'Sent ↑', stroke: cssVar('--chart-sent'), width: 2, value: (_u, v) => (v == null ? '—' : formatRate(v)), points: { show: false } },
        { label: 'Received ↓', stroke: cssVar('--chart-received'), width: 2, value: (_u, v) => (v == null ? '—' : formatRate(v)), points: { show: false } },
      ],
    };
    let chart: uPlot;
    try {
      chart = new uPlot(opts, [[], [], []], el);
    } catch {
      return; // no canvas (jsdom): the summary below still says it in words
    }
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, el.clientWidth), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [dark]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(data, false);
    chart.setScale('x', { min: now / 1000 - span, max: now / 1000 });
  }, [data, now, span, dark]);

  const peakSent = Math.max(0, ...(data[1] as number[]));
  const peakReceived = Math.max(0, ...(data[2] as number[]));
  const totalSent = (data[1] as number[]).reduce((a, b) => a + b, 0);
  const totalReceived = (data[2] as number[]).reduce((a, b) => a + b, 0);
  const spanLabel = SPANS.find((s) => s.seconds === span)!.label;

  return (
    <div className="chart">
      <div className="chart-tools">
        <div role="group" aria-label="Time span" className="segmented">
          {SPANS.map((s) => (
            <button key={s.seconds} type="button" aria-pressed={span === s.seconds} onClick={() => setSpan(s.seconds)}>
              {s.label}
            </button>
          ))}
        </div>
        {forwards.length > 1 && (
          <label className="sort">
            <span>Show</span>
            <select value={String(forward)} onChange={(e) => setForward(e.target.value === 'all' ? 'all' : Number(e.target.value))}>
              <option value="all">All forwards</option>
              {forwards.map((f) => (
                <option key={f.index} value={f.index}>{f.label}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div ref={box} className="chart-plot" aria-hidden="true" />
      <p className="chart-summary" data-testid="chart-summary">
        Last {spanLabel}: sent {formatBytes(totalSent)} (peak {formatRate(peakSent)}), received {formatBytes(totalReceived)} (peak {formatRate(peakReceived)}).
      </p>
    </div>
  );
}
