/**
 * The real Python server, driven from Node the way the extension drives it: `<python> -m leanstar.cli lsp`
 * over stdio, with vscode-jsonrpc. The Python is $LEANSTAR_TEST_PYTHON (ci.sh finds the one the
 * repository's tests use), else $PYTHON, else python3.
 *
 * A Python that cannot import leanstar.server.lsp is a broken install: on a developer's machine the
 * test is skipped, saying why (in the suite's title and on the console); in CI (`CI=true`, or
 * $LEANSTAR_REQUIRE_PYTHON set) it fails with the import error instead, so CI never passes without it.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { SERVER_ARGS } from '../src/common/constants';
import type { StatusParams, SuggestResult } from '../src/common/protocol';
import { getWorkspaceSettings } from '../src/common/settings';
import { withTimeout } from '../src/common/timeout';

const PYTHON = process.env.LEANSTAR_TEST_PYTHON || process.env.PYTHON || 'python3';
const probe = spawnSync(PYTHON, ['-c', 'import leanstar.server.lsp'], { encoding: 'utf8', timeout: 60_000 });
const probeError =
    probe.status === 0 ? undefined : `\`${PYTHON} -c "import leanstar.server.lsp"\` failed: ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;
const inCi = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
const required = inCi || Boolean(process.env.LEANSTAR_REQUIRE_PYTHON);
const skipReason = probeError && !required ? `skipped: ${probeError} (set LEANSTAR_TEST_PYTHON to a Python with leanstar installed)` : undefined;
if (skipReason) {
    console.warn(`protocol test ${skipReason}`);
}

// A theorem in the embedded world (a `prelude` file on the project's LeanstarCore library).
const DOCUMENT = ['prelude', 'import LeanstarCore', '', 'theorem add_zero_example (n : Nat) : n + 0 = n := by', '  sorry', ''].join('\n');
const SORRY = { line: 4, character: 2 };

const SUGGEST_TIMEOUT_MS = 150_000;
const OUTCOMES = ['proved', 'progress', 'failed', 'timeout'];

const SUITE = 'leanstar language server over stdio';

describe.skipIf(skipReason !== undefined)(skipReason ? `${SUITE} (${skipReason})` : SUITE, () => {
    let server: ChildProcessWithoutNullStreams;
    let connection: MessageConnection;
    let folder: string;
    let stderr = '';
    const statuses: StatusParams[] = [];

    beforeAll(() => {
        if (probeError) {
            return; // required (CI) but broken: the tests below fail with the import error
        }
        folder = mkdtempSync(join(tmpdir(), 'leanstar-protocol-'));
        writeFileSync(join(folder, 'Example.lean'), DOCUMENT);
        server = spawn(PYTHON, SERVER_ARGS, { cwd: folder });
        server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
        // What the extension answers: no goal from vscode-lean4 here (the server uses its own Lean),
        // the leanstar settings section for workspace/configuration, null for the rest.
        connection.onRequest((method: string, params: unknown) => {
            if (method === 'workspace/configuration') {
                return ((params as { items: unknown[] }).items ?? []).map(() => getWorkspaceSettings());
            }
            return null;
        });
        connection.onNotification('leanstar/status', (params: StatusParams) => statuses.push(params));
        connection.listen();
    });

    afterAll(async () => {
        connection?.dispose();
        if (server && server.exitCode === null) {
            server.kill();
        }
        if (folder) {
            rmSync(folder, { recursive: true, force: true });
        }
    });

    it('has a Python that can start the server', () => {
        expect(probeError, `the Python install for the protocol test is broken${inCi ? ' (CI=true: a failure, not a skip)' : ''}`).toBeUndefined();
    });

    it('initializes, suggests at a sorry, and shuts down', async () => {
        expect(probeError, 'the Python install for the protocol test is broken').toBeUndefined();
        const uri = pathToFileURL(join(folder, 'Example.lean')).toString();
        const init = await withTimeout(
            connection.sendRequest<{ capabilities: object }>('initialize', {
                processId: process.pid,
                rootUri: pathToFileURL(folder).toString(),
                capabilities: { window: { workDoneProgress: true } },
                initializationOptions: getWorkspaceSettings(),
            }),
            60_000,
            `initialize (server stderr: ${stderr})`,
        );
        expect(typeof init.capabilities).toBe('object');
        await connection.sendNotification('initialized', {});
        await connection.sendNotification('textDocument/didOpen', {
            textDocument: { uri, languageId: 'lean4', version: 1, text: DOCUMENT },
        });

        const reply = await withTimeout(
            connection.sendRequest<SuggestResult>('leanstar/suggest', {
                textDocument: { uri },
                position: SORRY,
                n: 2,
                includeFailed: true,
            }),
            SUGGEST_TIMEOUT_MS,
            'leanstar/suggest',
        );
        expect(reply.goalsBefore.some((goal) => goal.includes('n + 0 = n'))).toBe(true);
        // includeFailed: every distinct sample, accepted or not; none at all means the model or the
        // server is broken, and the loop below would check nothing.
        expect(Array.isArray(reply.candidates), 'the reply has no candidates list').toBe(true);
        expect(reply.candidates.length, 'the server answered with zero candidates').toBeGreaterThan(0);
        expect(reply.version).toBe(1);
        for (const candidate of reply.candidates) {
            // The exact edit: the sorry's range on line 4, replaced by the tactic Lean checked.
            expect(candidate.edit.range.start).toEqual({ line: 4, character: 2 });
            expect(candidate.edit.newText.trim().split('\n')[0]).toBe(candidate.tactic.trim().split('\n')[0]);
            expect(typeof candidate.thought).toBe('string');
            expect(typeof candidate.tactic).toBe('string');
            expect(OUTCOMES).toContain(candidate.outcome);
            expect(Array.isArray(candidate.goalsAfter)).toBe(true);
            expect(typeof candidate.score).toBe('number');
        }
        for (const status of statuses) {
            expect(['ready', 'working', 'modelUnreachable', 'leanMissing', 'error']).toContain(status.state);
        }

        await withTimeout(connection.sendRequest('shutdown'), 30_000, 'shutdown');
        const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
        await connection.sendNotification('exit');
        expect(await withTimeout(exited, 30_000, 'server exit after `exit`')).toBe(0);
    }, 300_000);
});
