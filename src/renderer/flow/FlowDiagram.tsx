import { Fragment } from 'react';
import type { ErrorInfo } from '../../shared/errors.js';
import type { Forward, Profile } from '../../shared/profile.js';
import type { ForwardStatus, TunnelState } from '../../shared/tunnel.js';
import { formatRate } from '../format.js';
import { Address } from '../components/Address.js';
import { buildFlow, type FlowNode, type FlowSegment } from './flow-model.js';

interface Props {
  profile: Profile;
  forward: Forward;
  status?: ForwardStatus;
  state?: TunnelState;
  error?: ErrorInfo | null;
  /** Bytes per second, client → destination and back, for this forward. */
  sendRate?: number;
  receiveRate?: number;
  /** Shown before the path, e.g. "TCP" or "UDP" once forwards carry a protocol. */
  protocol?: string;
}

const CONDITION_WORDS = { ok: '', down: 'not reachable', unreached: 'not reached', refused: 'refused login', untrusted: 'host key not trusted' } as const;

function NodeBox({ node }: { node: FlowNode }) {
  const full = [node.label, node.address, node.role].filter(Boolean).join(' — ');
  return (
    <li className={`flow-node flow-${node.kind} flow-${node.condition}`} data-node={node.id} data-condition={node.condition} title={full}>
      <span className="flow-role">{node.role}</span>
      <span className="flow-label">{node.label}</span>
      {node.address && (
        <span className="flow-address">
          {node.address.split(' and ').map((a, i) => (
            <span key={a} className="flow-address-item">
              {i > 0 && ' and '}
              <Address value={a} />
            </span>
          ))}
        </span>
      )}
      {node.condition !== 'ok' && (
        <span className="flow-problem">
          <span aria-hidden="true">{node.condition === 'down' || node.condition === 'unreached' ? '✕ ' : '⊘ '}</span>
          {CONDITION_WORDS[node.condition]}
        </span>
      )}
    </li>
  );
}

function Link({ segment, active, down, plain }: { segment: FlowSegment; active: boolean; down: boolean; plain: string }) {
  const word = segment.encrypted ? 'SSH, encrypted' : `plain ${plain}`;
  return (
    <li
      className={`flow-seg ${segment.encrypted ? 'flow-tunnel' : 'flow-plain'}${active ? ' flow-active' : ''}${down ? ' flow-seg-down' : ''}`}
      data-encrypted={segment.encrypted}
      aria-label={word}
      title={segment.encrypted ? 'encrypted: inside the SSH connection' : `plain ${plain}, outside the tunnel`}
    >
      <span className="flow-line" aria-hidden="true" />
      <span className="flow-seg-label">{segment.encrypted ? 'SSH' : plain}</span>
    </li>
  );
}

/**
 * One forward drawn as its path, in HTML so text keeps its size at any width: left to right
 * when the pane is wide enough, stacked top to bottom when it is not (a container query
 * decides). The SSH stretch is drawn as the tunnel, plain TCP dashed; the lines move only
 * while bytes flow; a stopped tunnel is drawn greyed.
 */
export function FlowDiagram({ profile, forward, status, state = 'up', error = null, sendRate = 0, receiveRate = 0, protocol }: Props) {
  const model = buildFlow(profile, forward, status, state, error);
  const live = state === 'up' || state === 'degraded';
  const flowing = live && sendRate + receiveRate > 0;
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  // Segments in the order of the nodes: the path reads in the direction connections are made.
  const segmentAfter = new Map<string, FlowSegment>();
  for (const s of model.segments) {
    const a = model.nodes.findIndex((n) => n.id === s.from);
    const b = model.nodes.findIndex((n) => n.id === s.to);
    segmentAfter.set(model.nodes[Math.min(a, b)]!.id, s);
  }
  return (
    <figure className={`flow${state === 'stopped' ? ' flow-stopped' : ''}`} data-nodes={model.nodes.length}>
      <ol className="flow-path" aria-label={`Path: ${model.nodes.map((n) => n.label).join(" → ")}`} data-nodes={model.nodes.length}>
        {model.nodes.map((n, i) => {
          const s = segmentAfter.get(n.id);
          const next = model.nodes[i + 1];
          const down = s !== undefined && ((byId.get(s.from)?.condition ?? 'ok') !== 'ok' || (byId.get(s.to)?.condition ?? 'ok') !== 'ok');
          return (
            <Fragment key={n.id}>
              <NodeBox node={n} />
              {s && next && <Link segment={s} active={flowing && !down} down={down} plain={protocol === 'UDP' ? 'UDP' : 'TCP'} />}
            </Fragment>
          );
        })}
      </ol>
      <figcaption>
        <p className="flow-sentence">
          {protocol && <span className="flow-protocol">{protocol}</span>} {model.sentence}
        </p>
        {flowing && (
          <p className="flow-rate" data-figure="flow-rate">
            now sending {formatRate(sendRate)}, receiving {formatRate(receiveRate)}
          </p>
        )}
        {model.exposure && (
          <p className="flow-exposure" role="note">
            <span aria-hidden="true">⚠ </span>
            {model.exposure}
          </p>
        )}
      </figcaption>
    </figure>
  );
}
