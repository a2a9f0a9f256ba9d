import { beforeEach, describe, expect, it, vi } from 'vitest';

// The real vscode-languageclient needs a running VS Code; the server object only needs these names.
vi.mock('vscode-languageclient/node', () => ({
    LanguageClient: class {},
    State: { Stopped: 1, Running: 2, Starting: 3 },
    TransportKind: { stdio: 0 },
    RevealOutputChannelOn: { Never: 4 },
    ErrorAction: { Continue: 1, Shutdown: 2 },
    CloseAction: { DoNotRestart: 1, Restart: 2 },
    WorkDoneProgress: { type: 'work-done-progress' },
}));

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackageInstalled, installHint, preflightMessage, type Preflight } from '../src/common/python';
import { getWorkspaceSettings } from '../src/common/settings';
import { commandClient, CrashPolicy, LeanstarServer, type ServerLaunch } from '../src/common/server';
import { ServerStatus } from '../src/features/status';
import { resetVscodeMock, settingsStore, statusBarItems, window } from './vscode.mock';

beforeEach(resetVscodeMock);

/** A LanguageClient stand-in that records its life and refuses to overlap with another one. */
class FakeClient {
    static running = 0;
    static maxRunning = 0;
    /** When set, start() waits for it: lets a test act while a start is in progress. */
    static gate: Promise<void> | undefined;
    readonly notifications = new Map<string, (params: unknown) => void>();
    readonly requests = new Map<string, (params: unknown) => unknown>();
    private up = false;
    constructor(readonly launch: ServerLaunch) {}
    onNotification(method: string, handler: (params: unknown) => void) {
        this.notifications.set(method, handler);
        return { dispose: vi.fn() };
    }
    onRequest(method: string, handler: (params: unknown) => unknown) {
        this.requests.set(method, handler);
        return { dispose: vi.fn() };
    }
    onDidChangeState() {
        return { dispose: vi.fn() };
    }
    async start() {
        // Yield so that concurrent restarts get a chance to interleave if the guard were missing.
        await (FakeClient.gate ?? Promise.resolve());
        FakeClient.running += 1;
        FakeClient.maxRunning = Math.max(FakeClient.maxRunning, FakeClient.running);
        this.up = true;
    }
    async stop() {
        await Promise.resolve();
        if (this.up) {
            FakeClient.running -= 1;
            this.up = false;
        }
    }
    isRunning() {
        return this.up;
    }
    async dispose() {
        await this.stop();
    }
}

/** The pre-flight check of a Python with leanstar installed (the tests run without one). */
const installed = async (): Promise<Preflight> => ({ ok: true });

function makeServer(preflight: (python: string) => Promise<Preflight> = installed) {
    FakeClient.running = 0;
    FakeClient.maxRunning = 0;
    FakeClient.gate = undefined;
    const log = window.createOutputChannel();
    const status = new ServerStatus(log as never);
    const clients: FakeClient[] = [];
    const server = new LeanstarServer(log as never, status, (launch) => {
        const client = new FakeClient(launch);
        clients.push(client);
        return client as never;
    }, undefined, preflight);
    return { server, status, clients, item: statusBarItems[0] };
}

describe('LeanstarServer.restart', () => {
    // The pre-flight check is a stand-in here, except where a test says otherwise.
    beforeEach(() => settingsStore.set('leanstar.python.interpreter', 'python3'));

    it('starts `python3 -m leanstar.cli lsp` with the settings as initializationOptions', async () => {
        settingsStore.set('leanstar.model.backend', 'ws://gpu:8765');
        const { server, clients } = makeServer();
        await server.restart();
        expect(clients).toHaveLength(1);
        expect(clients[0].launch.python).toBe('python3');
        expect(clients[0].launch.settings.model.backend).toBe('ws://gpu:8765');
        expect(server.runningClient()).toBe(clients[0]);
        expect(statusBarItems[0].text).toBe('$(check) Leanstar');
    });

    it('coalesces restarts asked for during a restart and never runs two servers', async () => {
        const { server, clients } = makeServer();
        await server.restart();
        const calls = [server.restart(), server.restart(), server.restart()];
        await Promise.all(calls);
        // The first start, then one restart for the three requests: not three overlapping ones.
        expect(clients).toHaveLength(2);
        expect(calls[1]).toBe(calls[0]);
        expect(FakeClient.maxRunning).toBe(1);
        expect(clients[0].isRunning()).toBe(false);
        expect(server.runningClient()).toBe(clients[1]);
        // Afterwards a restart works again.
        await server.restart();
        expect(clients).toHaveLength(3);
    });

    it('goes round once more for requests made after the running restart read its settings', async () => {
        const { server, clients } = makeServer();
        let release!: () => void;
        FakeClient.gate = new Promise<void>((resolve) => (release = resolve));
        const first = server.restart();
        await vi.waitFor(() => expect(clients).toHaveLength(1)); // now inside start(), settings read
        settingsStore.set('leanstar.model.backend', 'ws://newer:1');
        const again = [server.restart(), server.restart()];
        release();
        await Promise.all([first, ...again]);
        expect(clients).toHaveLength(2);
        expect(clients[1].launch.settings.model.backend).toBe('ws://newer:1');
        expect(FakeClient.maxRunning).toBe(1);
    });

    it('wires leanstar/status to the status bar and leanstar/plainGoal to the Lean 4 bridge', async () => {
        const { server, clients, item } = makeServer();
        await server.restart();
        clients[0].notifications.get('leanstar/status')!({ state: 'working' });
        expect(item.text).toBe('$(sync~spin) Leanstar');
        // No leanprover.lean4 in the mock: the bridge answers null so the server uses its own Lean.
        const answer = await clients[0].requests.get('leanstar/plainGoal')!({
            textDocument: { uri: 'file:///a.lean' },
            position: { line: 0, character: 0 },
        });
        expect(answer).toBeNull();
    });

    it('asks the user to wait when a command comes while the server is starting', async () => {
        const { server } = makeServer();
        let release!: () => void;
        FakeClient.gate = new Promise<void>((resolve) => (release = resolve));
        const starting = server.restart();
        expect(server.runningClient()).toBeUndefined();
        expect(window.showInformationMessage.mock.calls[0][0]).toContain('still starting');
        release();
        await starting;
        expect(server.runningClient()).toBeDefined();
    });

    it('does not start the server when the interpreter is missing, and says how to fix it', async () => {
        settingsStore.set('leanstar.python.interpreter', '/nonexistent/python3');
        const { server, clients, status } = makeServer(checkPackageInstalled);
        await server.restart();
        expect(clients).toHaveLength(0);
        expect(status.state).toBe('stopped');
        const [message, ...buttons] = window.showErrorMessage.mock.calls[0] as string[];
        expect(message).toContain('"/nonexistent/python3" was not found');
        expect(buttons).toContain('Open settings');
    });
});

describe('checkPackageInstalled', () => {
    it('accepts an importable module and tells a missing package from a too old one', async () => {
        expect(await checkPackageInstalled('python3', 'json', 30_000, 'json.decoder')).toEqual({ ok: true });
        const missing = await checkPackageInstalled('python3', 'leanstar_no_such_module', 30_000, '');
        expect(missing).toMatchObject({ ok: false, reason: 'packageMissing' });
        if (!missing.ok) {
            expect(missing.detail).toContain("No module named 'leanstar_no_such_module'");
        }
        // The package is there but has no language server module: an old version.
        expect(await checkPackageInstalled('python3', 'json', 30_000, 'json.no_such_server')).toMatchObject({ ok: false, reason: 'tooOld' });
    });
});

describe('installHint and preflightMessage', () => {
    const folder = mkdtempSync(join(tmpdir(), 'leanstar-hint-'));
    const checkout = join(folder, 'leanstar');
    mkdirSync(join(checkout, 'vscode-extension'), { recursive: true });
    writeFileSync(join(checkout, 'pyproject.toml'), '[project]\nname = "leanstar"\n');
    const missing = { ok: false as const, reason: 'packageMissing' as const, detail: "No module named 'leanstar'" };

    it('offers pip install of the checkout the extension sits in, never `pip install leanstar`', () => {
        const hint = installHint('/venv/bin/python', getWorkspaceSettings(), join(checkout, 'vscode-extension'));
        expect(hint?.command).toBe(`/venv/bin/python -m pip install -e ${checkout}`);
        const message = preflightMessage('/venv/bin/python', missing, hint);
        expect(message).toContain(`run \`/venv/bin/python -m pip install -e ${checkout}\``);
        expect(message).not.toContain('pip install leanstar');
    });

    it('uses leanstar.python.installFrom, and says what to set when no source is known', () => {
        settingsStore.set('leanstar.python.installFrom', '/wheels/leanstar-0.1.0-py3-none-any.whl');
        const hint = installHint('python3', getWorkspaceSettings(), '/nowhere/ext');
        expect(hint?.command).toBe('python3 -m pip install /wheels/leanstar-0.1.0-py3-none-any.whl');
        settingsStore.clear();
        expect(installHint('python3', getWorkspaceSettings(), '/nowhere/ext')).toBeUndefined();
        expect(preflightMessage('python3', missing)).toContain('leanstar.python.installFrom');
    });
});

describe('CrashPolicy', () => {
    const DO_NOT_RESTART = 1;
    const RESTART = 2;

    it('does not restart a server that dies while starting (a setup problem, reported once)', () => {
        const policy = new CrashPolicy(window.createOutputChannel() as never);
        expect(policy.closed()).toEqual({ action: DO_NOT_RESTART, handled: true });
        expect(policy.closed().action).toBe(DO_NOT_RESTART);
    });

    it('restarts a running server after a crash, but not after too many in a row', () => {
        const policy = new CrashPolicy(window.createOutputChannel() as never);
        policy.markStarted();
        const actions = Array.from({ length: 5 }, () => policy.closed());
        expect(actions.slice(0, 4).map((r) => r.action)).toEqual([RESTART, RESTART, RESTART, RESTART]);
        expect(actions[4].action).toBe(DO_NOT_RESTART);
        expect(actions[4].message).toContain('stopped 5 times in 3 minutes');
    });
});

describe('commandClient', () => {
    it('delegates to the client, whose properties are getters (the real LanguageClient\'s are)', async () => {
        class Client {
            private readonly converter = { asWorkspaceEdit: vi.fn() };
            get protocol2CodeConverter() {
                return this.converter;
            }
            sendRequest = vi.fn(async () => 'answer');
            onProgress = vi.fn(() => ({ dispose: vi.fn() }));
        }
        const client = new Client();
        const wrapped = commandClient(client as never);
        expect(wrapped?.protocol2CodeConverter).toBe(client.protocol2CodeConverter);
        expect(await wrapped?.sendRequest('leanstar/suggest' as never, {} as never)).toBe('answer');
        const handler = vi.fn();
        wrapped?.onProgress('token-1', handler);
        expect(client.onProgress).toHaveBeenCalledWith('work-done-progress', 'token-1', handler);
        expect(commandClient(undefined)).toBeUndefined();
    });
});
