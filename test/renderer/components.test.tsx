// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { ProfileEditor } from '../../src/renderer/components/ProfileEditor.js';
import { PromptDialog } from '../../src/renderer/components/PromptDialog.js';
import { TunnelList } from '../../src/renderer/components/TunnelList.js';
import { FlowDiagram } from '../../src/renderer/flow/FlowDiagram.js';
import { newSavedProfile } from '../../src/shared/saved-profile.js';
import { fakeClient } from './fake-client.js';

afterEach(cleanup);

const profileOf = (cmd: string) => parseSshCommand(cmd.split(' ')).profile;

describe('FlowDiagram', () => {
  it.each([
    ['ssh -L 8080:example.org:80 gw', /Connections to 127.0.0.1:8080 on this computer reach example.org:80 through gw/],
    ['ssh -R 9000:localhost:3000 relay', /Connections to localhost:9000 on relay reach localhost:3000 through this computer/],
    ['ssh -D 1080 proxy', /SOCKS proxy at 127.0.0.1:1080 on this computer reach any host through proxy/],
    ['ssh -J b1,b2 -L 1:h:2 s', /through b1, b2 and s/],
  ])('%s: the path as boxes in order, the sentence below', (cmd, sentence) => {
    const p = profileOf(cmd);
    const { container } = render(<FlowDiagram profile={p} forward={p.forwards[0]!} />);
    expect(screen.getByText(sentence)).toBeTruthy();
    expect(container.querySelectorAll('.flow-node').length).toBe(buildFlowCount(p));
    expect(screen.queryByRole('note')).toBeNull();
  });

  it('draws the SSH stretch as the tunnel and the rest as plain TCP, every port whole', () => {
    const p = profileOf('ssh -J b1 -L 18081:h:2 s');
    const { container } = render(<FlowDiagram profile={p} forward={p.forwards[0]!} />);
    expect(container.querySelectorAll('.flow-tunnel').length).toBe(2);
    expect(container.querySelectorAll('.flow-plain').length).toBe(2);
    // Host names may break when they must; the port stays whole.
    expect([...container.querySelectorAll('.addr-port')].map((e) => e.textContent)).toContain(':18081');
    cleanup();
    const long = profileOf('ssh -L 1:h:2 me@a-rather-long-server-name.internal.example.com');
    const l = render(<FlowDiagram profile={long} forward={long.forwards[0]!} />);
    expect([...l.container.querySelectorAll('[data-node="server"] .addr-port')].map((e) => e.textContent)).toEqual([':22']);
    expect(l.container.querySelector('[data-node="server"] .addr-user')!.textContent).toBe('me@');
  });

  it('warns once when the entrance is reachable from other machines', () => {
    const p = profileOf('ssh -g -D 1081 s');
    render(<FlowDiagram profile={p} forward={p.forwards[0]!} />);
    expect(screen.getAllByRole('note').map((n) => n.textContent)).toEqual(['⚠ Other machines can connect to *:1081 on this computer and use this tunnel.']);
  });

  it('marks a hop that is down, moves only while bytes flow, greys a stopped tunnel and shows no rates', () => {
    const p = profileOf('ssh -L 1:h:2 s');
    const down = render(<FlowDiagram profile={p} forward={p.forwards[0]!} state="reconnecting" sendRate={2048} />);
    expect(down.container.querySelector('[data-node="server"]')!.getAttribute('data-condition')).toBe('down');
    expect(down.container.querySelectorAll('.flow-active').length).toBe(0);
    expect(down.container.textContent).not.toContain('KiB/s');
    cleanup();
    const live = render(<FlowDiagram profile={p} forward={p.forwards[0]!} sendRate={2048} receiveRate={0} />);
    expect(live.container.querySelectorAll('.flow-active').length).toBeGreaterThan(0);
    expect(live.container.textContent).toContain('now sending 2.0 KiB/s');
    cleanup();
    const stopped = render(<FlowDiagram profile={p} forward={p.forwards[0]!} state="stopped" />);
    expect(stopped.container.querySelector('.flow-stopped')).not.toBeNull();
  });
});

function buildFlowCount(p: ReturnType<typeof profileOf>): number {
  return 3 + p.jumps.length + 1;
}

describe('ProfileEditor', () => {
  it('pasting an ssh command fills the form; the equivalent command follows live; save sends the parsed profile', async () => {
    const client = fakeClient();
    let saved: unknown = null;
    render(<ProfileEditor client={client} existing={null} revision={0} onSaved={(p) => (saved = p)} onCancel={() => undefined} />);
    const save = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Intranet' } });
    expect(screen.queryByText('Give the tunnel a name')).toBeNull();
    fireEvent.change(screen.getByLabelText('ssh command (paste one)'), { target: { value: "ssh -N -L 8080:intranet:80 -J 'jump@bastion' me@gw" } });
    await screen.findByText('(local) localhost:8080 → intranet:80');
    await waitFor(() => expect(screen.getByTestId('equivalent-command').textContent).toBe('ssh -N -J jump@bastion -L 8080:intranet:80 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 me@gw'));
    expect(save.disabled).toBe(false);
    fireEvent.change(screen.getByLabelText(/Password/), { target: { value: 'hunter2' } });
    fireEvent.click(save);
    await waitFor(() => expect(saved).not.toBeNull());
    const call = client.calls.find((c) => c.command === 'profiles.save')!;
    expect(call.input.profile).toMatchObject({ name: 'Intranet', host: 'gw', user: 'me', jumps: [{ host: 'bastion', user: 'jump', port: 22 }] });
    expect(JSON.stringify(call.input)).not.toContain('hunter2');
    expect(client.calls.find((c) => c.command === 'secrets.set')!.input).toMatchObject({ profileId: 'new-id', kind: 'password', secret: 'hunter2' });
    expect((screen.getByLabelText(/Password/) as HTMLInputElement).value).toBe('');
  });

  it('a bad command is shown inline with the parser\'s message and cannot be saved', async () => {
    render(<ProfileEditor client={fakeClient()} existing={null} revision={0} onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'x' } });
    fireEvent.change(screen.getByLabelText('ssh command (paste one)'), { target: { value: 'ssh -L 99999:h:80 host' } });
    expect((await screen.findByRole('alert')).textContent).toMatch(/Bad -L forward '99999:h:80'/);
    expect((screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('PromptDialog', () => {
  it('an unknown host key shows its fingerprint; each button answers', async () => {
    const client = fakeClient();
    render(<PromptDialog client={client} tunnelName="Office" prompt={{ id: 'q1', tunnel: 't', kind: 'host-key', host: 'gw', port: 2222, hop: 0, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', otherTypes: [] }} />);
    expect(screen.getByRole('alertdialog', { name: 'Unknown host key for [gw]:2222' })).toBeTruthy();
    expect(screen.getByTestId('fingerprint').textContent).toBe('SHA256:abc');
    fireEvent.click(screen.getByRole('button', { name: 'Trust and remember' }));
    await waitFor(() => expect(client.calls).toEqual([{ command: 'prompts.answer', input: { id: 'q1', answer: 'accept-always' } }]));
  });

  it('a password question uses a hidden field and sends what was typed', async () => {
    const client = fakeClient();
    render(<PromptDialog client={client} tunnelName="Office" prompt={{ id: 'q2', tunnel: 't', kind: 'password', host: 'gw', port: 22, user: 'me', prompt: "me@gw's password:", echo: false }} />);
    const field = screen.getByLabelText("me@gw's password:") as HTMLInputElement;
    expect(field.type).toBe('password');
    fireEvent.change(field, { target: { value: 's3cret' } });
    fireEvent.click(screen.getByRole('button', { name: 'OK' }));
    await waitFor(() => expect(client.calls[0]).toEqual({ command: 'prompts.answer', input: { id: 'q2', answer: { secret: 's3cret' } } }));
  });
});

describe('TunnelList', () => {
  const status = (id: string, state: 'up' | 'stopped', listening: string[] = []) => ({
    id, state, reason: '', error: null, stats: null, since: 0, upSince: null, retryAt: null, reconnects: 0, running: null,
    forwards: [{ index: 0, description: '', state: 'active' as const, error: null, listening, allocatedPort: null, note: null, probe: null }],
  });

  it('shows state in words, each entrance whole, a labelled toggle; one tab stop; arrows, Home/End move focus; Enter opens', () => {
    const a = { ...newSavedProfile('Alpha', profileOf('ssh -D 1080 a')), id: 'a' };
    const b = { ...newSavedProfile('Beta', profileOf('ssh -L 8081:web:80 b')), id: 'b' };
    const c = { ...newSavedProfile('Gamma', profileOf('ssh -R 9000:localhost:3000 relay')), id: 'c' };
    let selected: string | null = null;
    const toggles: [string, boolean][] = [];
    render(
      <TunnelList profiles={[a, b, c]} status={{ a: status('a', 'up', ['127.0.0.1:1080', '[::1]:1080']) }} stats={{}} selected={selected} onSelect={(id) => (selected = id)} onToggle={(id, start) => toggles.push([id, start])} />,
    );
    const rowOf = (name: string) => screen.getByText(name).closest('li')!;
    expect(rowOf('Alpha').textContent).toContain('Up');
    expect(rowOf('Alpha').querySelector('[data-figure="entrances"]')!.textContent).toBe('SOCKS 127.0.0.1:1080');
    expect(rowOf('Beta').querySelector('[data-figure="entrances"]')!.textContent).toBe('127.0.0.1:8081');
    expect(rowOf('Gamma').querySelector('[data-figure="entrances"]')!.textContent).toBe('relay:9000 on the server');
    expect(rowOf('Beta').textContent).toContain('Stopped');
    fireEvent.click(screen.getByRole('button', { name: 'Stop Alpha' }));
    fireEvent.click(screen.getByRole('button', { name: 'Start Beta' }));
    expect(toggles).toEqual([['a', false], ['b', true]]);
    const opens = [...document.querySelectorAll<HTMLElement>('.row-open')];
    expect(opens.map((o) => o.tabIndex)).toEqual([0, -1, -1]);
    opens[0]!.focus();
    fireEvent.keyDown(opens[0]!, { key: 'End' });
    expect(document.activeElement).toBe(opens[2]);
    fireEvent.keyDown(opens[2]!, { key: 'Home' });
    expect(document.activeElement).toBe(opens[0]);
    fireEvent.keyDown(opens[0]!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(opens[1]);
    fireEvent.click(opens[1]!);
    expect(selected).toBe('b');
    // No interactive element inside another.
    expect(document.querySelector('button button, button a, a button')).toBeNull();
  });

  it('search matches names, hosts, ports, groups and tags; no result says so; sorts by state', () => {
    const a = { ...newSavedProfile('Alpha', profileOf('ssh -L 8081:db:5432 prod'), { group: 'Work' }), id: 'a', tags: ['postgres'] };
    const b = { ...newSavedProfile('Beta', profileOf('ssh -D 1080 b')), id: 'b' };
    render(<TunnelList profiles={[a, b]} status={{ b: status('b', 'up') }} stats={{}} selected={null} onSelect={() => undefined} onToggle={() => undefined} />);
    const search = screen.getByRole('searchbox', { name: 'Search tunnels' });
    for (const q of ['8081', 'prod', 'work', 'postgres', 'db:5432']) {
      fireEvent.change(search, { target: { value: q } });
      expect(screen.queryByText('Alpha'), q).not.toBeNull();
      expect(screen.queryByText('Beta'), q).toBeNull();
    }
    fireEvent.change(search, { target: { value: 'nothing-like-it' } });
    expect(screen.getByRole('status').textContent).toMatch(/No tunnel matches “nothing-like-it”/);
    fireEvent.change(search, { target: { value: '' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Sort tunnels by' }), { target: { value: 'state' } });
    // Groups stay; inside the ungrouped section Beta (up) comes before nothing else, Work holds Alpha.
    expect(screen.getByRole('button', { name: /Work/ }).getAttribute('aria-expanded')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: /Work/ }));
    expect(screen.queryByText('Alpha')).toBeNull();
  });
});
