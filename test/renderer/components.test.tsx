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
    ['ssh -L 8080:example.org:80 gw', /Connections to localhost:8080 on this computer reach example.org:80 through gw/],
    ['ssh -R 9000:localhost:3000 relay', /Connections to localhost:9000 on relay reach localhost:3000 through this computer/],
    ['ssh -D 1080 proxy', /SOCKS proxy at localhost:1080 on this computer reach any host through proxy/],
    ['ssh -J b1,b2 -L 1:h:2 s', /through b1, b2 and s/],
  ])('%s: an SVG named by its sentence, the sentence shown below', (cmd, sentence) => {
    const p = profileOf(cmd);
    render(<FlowDiagram profile={p} forward={p.forwards[0]!} />);
    expect(screen.getByRole('img').getAttribute('aria-label')).toMatch(sentence);
    expect(screen.getByText(sentence)).toBeTruthy();
    expect(screen.queryByRole('note')).toBeNull();
  });

  it('draws the SSH stretch as the tunnel and the rest as plain TCP', () => {
    const p = profileOf('ssh -J b1 -L 1:h:2 s');
    const { container } = render(<FlowDiagram profile={p} forward={p.forwards[0]!} />);
    expect(container.querySelectorAll('.flow-tunnel').length).toBe(2);
    expect(container.querySelectorAll('.flow-plain').length).toBe(2);
    expect(container.querySelectorAll('.flow-tube').length).toBe(2);
  });

  it('warns when the entrance is reachable from other machines', () => {
    const p = profileOf('ssh -L *:8080:h:80 s');
    render(<FlowDiagram profile={p} forward={p.forwards[0]!} />);
    expect(screen.getByRole('note').textContent).toMatch(/Other machines can connect to \*:8080/);
  });

  it('marks a hop that is down and animates while bytes flow', () => {
    const p = profileOf('ssh -L 1:h:2 s');
    const down = render(<FlowDiagram profile={p} forward={p.forwards[0]!} state="reconnecting" />);
    expect(down.container.querySelector('[data-node="server"]')!.classList.contains('flow-down')).toBe(true);
    cleanup();
    const live = render(<FlowDiagram profile={p} forward={p.forwards[0]!} sendRate={2048} receiveRate={0} />);
    expect(live.container.querySelectorAll('.flow-active').length).toBeGreaterThan(0);
    expect(live.container.textContent).toContain('↑ 2.0 KiB/s');
  });
});

describe('ProfileEditor', () => {
  it('pasting an ssh command fills the form; the equivalent command follows live; save sends the parsed profile', async () => {
    const client = fakeClient();
    let saved: unknown = null;
    render(<ProfileEditor client={client} existing={null} revision={0} onSaved={(p) => (saved = p)} onCancel={() => undefined} />);
    const save = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Intranet' } });
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
  it('shows state in words, a labelled toggle, and moves with the arrow keys', () => {
    const a = { ...newSavedProfile('Alpha', profileOf('ssh -D 1 a')), id: 'a' };
    const b = { ...newSavedProfile('Beta', profileOf('ssh -D 2 b')), id: 'b' };
    let selected: string | null = 'a';
    const toggles: [string, boolean][] = [];
    const { rerender } = render(
      <TunnelList profiles={[a, b]} status={{ a: { id: 'a', state: 'up', reason: '', error: null, forwards: [], stats: null } }} stats={{}} selected={selected} onSelect={(id) => (selected = id)} onToggle={(id, start) => toggles.push([id, start])} />,
    );
    expect(screen.getByRole('option', { name: /Alpha/ }).textContent).toContain('Up');
    expect(screen.getByRole('option', { name: /Beta/ }).textContent).toContain('Stopped');
    fireEvent.click(screen.getByRole('button', { name: 'Stop Alpha' }));
    fireEvent.click(screen.getByRole('button', { name: 'Start Beta' }));
    expect(toggles).toEqual([['a', false], ['b', true]]);
    fireEvent.keyDown(screen.getByRole('option', { name: /Alpha/ }), { key: 'ArrowDown' });
    expect(selected).toBe('b');
    rerender(<TunnelList profiles={[a, b]} status={{}} stats={{}} selected={selected} onSelect={() => undefined} onToggle={() => undefined} />);
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search tunnels' }), { target: { value: 'bet' } });
    expect(screen.queryByRole('option', { name: /Alpha/ })).toBeNull();
  });
});
