// TEST ONLY: a stand-in for vscode-lean4 (id leanprover.lean4) in leanstar's real-editor test.
// The real extension needs elan and a toolchain, and never finishes starting without them
// (its lean4EnabledFeatures promise stays pending). This one registers the `lean4` language
// (package.json) and exports the same shape as vscode-lean4's src/exports.ts:
//   { alwaysEnabledFeatures, lean4EnabledFeatures: Promise<{clientProvider, infoProvider,
//     projectOperationProvider}> }
// whose client answers `sendRequest('$/lean/plainGoal', ...)` from leanstar's embedded Lean
// (`lean --server` built by leanstar.lean.embedded.ensure_embedded), kept in sync with the
// open lean4 documents. No dependencies: a minimal Content-Length JSON-RPC client.
'use strict';
const vscode = require('vscode');
const cp = require('child_process');

/** One `lean --server` process speaking LSP over stdio. */
class LeanServer {
    constructor(command, args, env, log) {
        this.log = log;
        this.nextId = 1;
        this.pending = new Map();
        this.buffer = Buffer.alloc(0);
        this.versions = new Map();
        this.proc = cp.spawn(command, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
        this.proc.stdout.on('data', (chunk) => this.onData(chunk));
        this.proc.stderr.on('data', (chunk) => log(`lean stderr: ${chunk}`));
        this.proc.on('exit', (code) => {
            log(`lean --server exited (${code})`);
            for (const { reject } of this.pending.values()) reject(new Error('lean exited'));
            this.pending.clear();
        });
    }
    send(message) {
        const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
        this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
        this.proc.stdin.write(body);
    }
    request(method, params) {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            this.send({ id, method, params });
        });
    }
    notify(method, params) {
        this.send({ method, params });
    }
    onData(chunk) {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        for (;;) {
            const end = this.buffer.indexOf('\r\n\r\n');
            if (end < 0) return;
            const match = /Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, end).toString());
            const length = match ? Number(match[1]) : 0;
            if (this.buffer.length < end + 4 + length) return;
            const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
            this.buffer = this.buffer.subarray(end + 4 + length);
            this.dispatch(JSON.parse(body));
        }
    }
    dispatch(message) {
        if (message.id !== undefined && message.method) {
            // A request from Lean (e.g. client/registerCapability): answer null.
            this.send({ id: message.id, result: null });
        } else if (message.id !== undefined) {
            const waiter = this.pending.get(message.id);
            this.pending.delete(message.id);
            if (!waiter) return;
            if (message.error) waiter.reject(new Error(message.error.message));
            else waiter.resolve(message.result);
        }
    }
    sync(document) {
        const uri = document.uri.toString();
        const version = (this.versions.get(uri) || 0) + 1;
        this.versions.set(uri, version);
        if (version === 1) {
            this.notify('textDocument/didOpen', {
                textDocument: { uri, languageId: 'lean4', version, text: document.getText() },
            });
        } else {
            this.notify('textDocument/didChange', {
                textDocument: { uri, version },
                contentChanges: [{ text: document.getText() }],
            });
        }
    }
    close(document) {
        const uri = document.uri.toString();
        if (this.versions.delete(uri)) this.notify('textDocument/didClose', { textDocument: { uri } });
    }
}

/** `ensure_embedded()` via the python configured for leanstar: {lean, env}. */
function embeddedLean(python) {
    const script =
        'import json; from leanstar.lean.embedded import ensure_embedded as e; l = e(); ' +
        'print(json.dumps({"lean": str(l.lean), "env": l.env()}))';
    return new Promise((resolve, reject) =>
        cp.execFile(python, ['-c', script], { encoding: 'utf8', timeout: 600000 }, (err, out) =>
            err ? reject(err) : resolve(JSON.parse(out.trim().split('\n').pop())),
        ),
    );
}

function activate(context) {
    const channel = vscode.window.createOutputChannel('Lean 4 (stand-in)');
    const log = (line) => channel.appendLine(line);
    const python =
        process.env.LEANSTAR_E2E_PYTHON ||
        vscode.workspace.getConfiguration('leanstar').get('python.interpreter') ||
        'python3';
    let server;
    const features = (async () => {
        const { lean, env } = await embeddedLean(python);
        log(`lean --server: ${lean}`);
        server = new LeanServer(lean, ['--server', '-Dserver.reportDelayMs=0'], env, log);
        await server.request('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
        server.notify('initialized', {});
        const isLean = (d) => d.languageId === 'lean4' && d.uri.scheme === 'file';
        for (const d of vscode.workspace.textDocuments) if (isLean(d)) server.sync(d);
        context.subscriptions.push(
            vscode.workspace.onDidOpenTextDocument((d) => isLean(d) && server.sync(d)),
            vscode.workspace.onDidChangeTextDocument((e) => isLean(e.document) && server.sync(e.document)),
            vscode.workspace.onDidCloseTextDocument((d) => isLean(d) && server.close(d)),
            { dispose: () => server.proc.kill() },
        );
        const client = {
            // The member the goal bridge uses; the rest of vscode-lean4's LeanClient is not needed.
            sendRequest: (method, params) => {
                const started = Date.now();
                return server.request(method, params).then((result) => {
                    log(`${method} answered in ${Date.now() - started} ms`);
                    return result;
                });
            },
            isStarted: () => true,
            isRunning: () => true,
        };
        const clientProvider = {
            getActiveClient: () => client,
            getClients: () => [client],
            findClient: () => client,
        };
        log('lean4EnabledFeatures ready');
        return { clientProvider, infoProvider: {}, projectOperationProvider: {} };
    })();
    features.catch((e) => log(`stand-in failed to start: ${e && e.stack ? e.stack : e}`));
    return {
        alwaysEnabledFeatures: { outputChannel: channel },
        lean4EnabledFeatures: features,
        allFeatures: async () => ({ outputChannel: channel, ...(await features) }),
    };
}

function deactivate() {}

module.exports = { activate, deactivate };
