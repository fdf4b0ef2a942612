import type { Forward, Profile } from '../../shared/profile.js';
import type { ForwardStatus, TunnelState } from '../../shared/tunnel.js';
import { formatRate } from '../format.js';
import { buildFlow, type FlowNode } from './flow-model.js';

const BOX_W = 150;
const BOX_H = 56;
const GAP = 56;
const PAD = 12;

interface Props {
  profile: Profile;
  forward: Forward;
  status?: ForwardStatus;
  state?: TunnelState;
  /** Bytes per second, client → destination and back, for this forward. */
  sendRate?: number;
  receiveRate?: number;
}

function NodeBox({ node, x }: { node: FlowNode; x: number }) {
  return (
    <g className={`flow-node flow-${node.kind}${node.down ? ' flow-down' : ''}`} transform={`translate(${x},${PAD})`} data-node={node.id}>
      <rect width={BOX_W} height={BOX_H} rx={8} />
      <text x={BOX_W / 2} y={22} textAnchor="middle" className="flow-label">
        {node.label.length > 20 ? `${node.label.slice(0, 19)}…` : node.label}
      </text>
      <text x={BOX_W / 2} y={40} textAnchor="middle" className="flow-detail">
        {node.down ? 'down' : node.detail.length > 24 ? `${node.detail.slice(0, 23)}…` : node.detail}
      </text>
      {node.down ? <title>{`${node.label} is not reachable now`}</title> : <title>{node.detail}</title>}
    </g>
  );
}

/**
 * One forward drawn as its path: boxes left to right in the direction connections are made,
 * the SSH stretch as a thick tunnel, plain TCP as a thin dashed line, moving while bytes flow.
 */
export function FlowDiagram({ profile, forward, status, state = 'up', sendRate = 0, receiveRate = 0 }: Props) {
  const model = buildFlow(profile, forward, status, state);
  const x = (i: number): number => PAD + i * (BOX_W + GAP);
  const index = new Map(model.nodes.map((n, i) => [n.id, i]));
  const width = x(model.nodes.length) - GAP + PAD;
  const mid = PAD + BOX_H / 2;
  const flowing = sendRate + receiveRate > 0;
  return (
    <figure className="flow">
      <svg role="img" aria-label={model.sentence} viewBox={`0 0 ${width} ${BOX_H + PAD * 2 + 18}`} width="100%">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="flow-arrowhead" />
          </marker>
        </defs>
        {model.segments.map((s) => {
          const a = index.get(s.from)!;
          const b = index.get(s.to)!;
          const left = Math.min(a, b);
          const x1 = x(left) + BOX_W;
          const x2 = x(left + 1);
          const forwardDir = a < b;
          const down = model.nodes[a]!.down || model.nodes[b]!.down;
          return (
            <g key={`${s.from}-${s.to}`} className={`flow-seg ${s.encrypted ? 'flow-tunnel' : 'flow-plain'}${flowing && !down ? ' flow-active' : ''}${down ? ' flow-seg-down' : ''}`} data-encrypted={s.encrypted}>
              {s.encrypted && <rect x={x1} y={mid - 9} width={x2 - x1} height={18} rx={9} className="flow-tube" />}
              <line x1={forwardDir ? x1 : x2} x2={forwardDir ? x2 - 2 : x1 + 2} y1={mid} y2={mid} markerEnd="url(#arrow)" />
              <title>{s.encrypted ? 'encrypted: inside the SSH connection' : 'plain TCP, outside the tunnel'}</title>
            </g>
          );
        })}
        {model.nodes.map((n, i) => (
          <NodeBox key={n.id} node={n} x={x(i)} />
        ))}
        {flowing && (
          <text x={width - PAD} y={BOX_H + PAD * 2 + 12} textAnchor="end" className="flow-rate">
            ↑ {formatRate(sendRate)} ↓ {formatRate(receiveRate)}
          </text>
        )}
      </svg>
      <figcaption>
        <p className="flow-sentence">{model.sentence}</p>
        {model.exposure && (
          <p className="flow-exposure" role="note">
            ⚠ {model.exposure}
          </p>
        )}
      </figcaption>
    </figure>
  );
}
