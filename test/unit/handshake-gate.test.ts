import { describe, expect, it } from 'vitest';
import { HandshakeGate } from '../../src/main/engine/handshake-gate.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('HandshakeGate', () => {
  it('runs at most `limit` per server, queues the rest in order, and keeps servers apart', async () => {
    const gate = new HandshakeGate(2);
    const started: number[] = [];
    const releases: (() => void)[] = [];
    for (let i = 0; i < 5; i++) void gate.acquire('a:22').then((release) => (started.push(i), releases.push(release)));
    const other = await gate.acquire('b:22');
    await tick();
    expect(started).toEqual([0, 1]);
    expect(gate.load('a:22')).toEqual({ running: 2, waiting: 3 });
    releases[0]!();
    releases[0]!(); // twice: still one slot
    await tick();
    expect(started).toEqual([0, 1, 2]);
    expect(gate.load('a:22')).toEqual({ running: 2, waiting: 2 });
    other();
    expect(gate.load('b:22')).toEqual({ running: 0, waiting: 0 });
  });

  it('a freed slot goes to the first waiter, not to a newcomer', async () => {
    const gate = new HandshakeGate(1);
    const release = await gate.acquire('s');
    const order: string[] = [];
    const waiter = gate.acquire('s').then((r) => (order.push('waiter'), r));
    release();
    const newcomer = gate.acquire('s').then((r) => (order.push('newcomer'), r));
    (await waiter)();
    (await newcomer)();
    expect(order).toEqual(['waiter', 'newcomer']);
    expect(gate.load('s')).toEqual({ running: 0, waiting: 0 });
  });

  it('an aborted waiter leaves the queue and rejects with the reason', async () => {
    const gate = new HandshakeGate(1);
    const release = await gate.acquire('s');
    const abort = new AbortController();
    const waiting = gate.acquire('s', abort.signal);
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(gate.load('s')).toEqual({ running: 1, waiting: 0 });
    release();
    expect(gate.load('s')).toEqual({ running: 0, waiting: 0 });
    await expect(gate.acquire('s', abort.signal)).rejects.toThrow('stopped');
  });
});
