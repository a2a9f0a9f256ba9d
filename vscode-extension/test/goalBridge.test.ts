import { beforeEach, describe, expect, it, vi } from 'vitest';
import { GoalBridge, isEmbeddedWorldFile, plainGoalFromLean4 } from '../src/features/goalBridge';
import { extensions, resetVscodeMock, Uri } from './vscode.mock';

beforeEach(resetVscodeMock);

const params = { textDocument: { uri: 'file:///proj/Foo.lean' }, position: { line: 3, character: 2 } };

/** A LeanClient whose `$/lean/plainGoal` answers like Lean does (`{rendered, goals}`). */
function leanClient(goals: string[] | null) {
    return {
        sendRequest: vi.fn(async (_method: string, _params: unknown) =>
            goals === null ? null : { rendered: goals.map((g) => '```lean\n' + g + '\n```').join('\n'), goals },
        ),
    };
}

/** Installs a fake leanprover.lean4 whose activate() resolves to `exports`. */
function installLean4(exports: unknown, isActive = false) {
    const ext = { isActive, exports: isActive ? exports : undefined, activate: vi.fn(async () => exports) };
    extensions.getExtension.mockImplementation((id: string) => (id === 'leanprover.lean4' ? ext : undefined));
    return ext;
}

describe('plainGoalFromLean4', () => {
    it('asks the active Lean client through the recent export shape (lean4EnabledFeatures promise)', async () => {
        const client = leanClient(['n : Nat\n⊢ n + 0 = n']);
        const ext = installLean4({
            lean4EnabledFeatures: Promise.resolve({ clientProvider: { getActiveClient: () => client }, infoProvider: {} }),
        });
        const result = await plainGoalFromLean4(params, 1000);
        expect(result).toEqual({ goals: ['n : Nat\n⊢ n + 0 = n'] });
        expect(ext.activate).toHaveBeenCalledOnce();
        expect(client.sendRequest).toHaveBeenCalledWith('$/lean/plainGoal', {
            textDocument: { uri: 'file:///proj/Foo.lean' },
            position: { line: 3, character: 2 },
        });
    });

    it('works with the older export shape (a plain object with clientProvider), already active', async () => {
        const client = leanClient(['⊢ True', '⊢ False']);
        const ext = installLean4({ clientProvider: { getActiveClient: () => client } }, true);
        expect(await plainGoalFromLean4(params, 1000)).toEqual({ goals: ['⊢ True', '⊢ False'] });
        expect(ext.activate).not.toHaveBeenCalled();
    });

    it('prefers the client found for the document over the active one', async () => {
        const forDocument = leanClient(['⊢ from the document client']);
        const active = leanClient(['⊢ from the active client']);
        const findClient = vi.fn(() => forDocument);
        installLean4({ lean4EnabledFeatures: Promise.resolve({ clientProvider: { findClient, getActiveClient: () => active } }) });
        const uri = Uri.parse(params.textDocument.uri);
        expect(await plainGoalFromLean4(params, 1000, undefined, uri as never)).toEqual({ goals: ['⊢ from the document client'] });
        expect(findClient).toHaveBeenCalledWith(uri);
        expect(active.sendRequest).not.toHaveBeenCalled();
    });

    it('falls back to the active client when findClient refuses a vscode.Uri', async () => {
        const active = leanClient(['⊢ p']);
        const findClient = vi.fn(() => {
            throw new TypeError('uri.isInFolder is not a function');
        });
        installLean4({ lean4EnabledFeatures: Promise.resolve({ clientProvider: { findClient, getActiveClient: () => active } }) });
        expect(await plainGoalFromLean4(params, 1000, undefined, Uri.parse('file:///x.lean') as never)).toEqual({ goals: ['⊢ p'] });
    });

    it('returns null when Lean has no goal at the position', async () => {
        installLean4({ clientProvider: { getActiveClient: () => leanClient(null) } }, true);
        expect(await plainGoalFromLean4(params, 1000)).toBeNull();
    });

    it('returns null when the Lean 4 extension is not installed', async () => {
        const log = vi.fn();
        expect(await plainGoalFromLean4(params, 1000, log)).toBeNull();
        expect(log.mock.calls[0][0]).toContain('leanprover.lean4 is not installed');
    });

    it('returns null when the Lean client does not answer in time', async () => {
        const silent = { sendRequest: vi.fn(() => new Promise<never>(() => undefined)) };
        installLean4({ clientProvider: { getActiveClient: () => silent } }, true);
        const log = vi.fn();
        const started = Date.now();
        expect(await plainGoalFromLean4(params, 50, log)).toBeNull();
        expect(Date.now() - started).toBeLessThan(1000);
        expect(log.mock.calls[0][0]).toContain('did not answer within 0.05 s');
    });

    it('returns null when activation never finishes (the deadline covers every step)', async () => {
        const ext = { isActive: false, exports: undefined, activate: vi.fn(() => new Promise<never>(() => undefined)) };
        extensions.getExtension.mockImplementation(() => ext);
        expect(await plainGoalFromLean4(params, 50)).toBeNull();
    });

    it('returns null for an unknown export shape or a failing request', async () => {
        installLean4({ somethingElse: true }, true);
        expect(await plainGoalFromLean4(params, 1000)).toBeNull();

        const failing = { sendRequest: vi.fn(async () => Promise.reject(new Error('file not open'))) };
        installLean4({ clientProvider: { getActiveClient: () => failing } }, true);
        expect(await plainGoalFromLean4(params, 1000)).toBeNull();
    });
});

describe('GoalBridge', () => {
    const params = { textDocument: { uri: 'file:///w/A.lean' }, position: { line: 3, character: 2 } };

    it('answers at once for an embedded-world file, without asking vscode-lean4', async () => {
        const bridge = new GoalBridge();
        expect(isEmbeddedWorldFile('-- a note\nprelude\nimport LeanstarCore\n\ntheorem t : True := by\n  trivial\n')).toBe(true);
        expect(isEmbeddedWorldFile('import Mathlib\n')).toBe(false);
        expect(await bridge.plainGoal(params, 1000, undefined, 'prelude\nimport LeanstarCore\n')).toBeNull();
        expect(extensions.getExtension).not.toHaveBeenCalled();
    });

    it('stops waiting for vscode-lean4 after one timeout, until reset', async () => {
        const sendRequest = vi.fn(() => new Promise(() => undefined)); // never answers
        extensions.getExtension.mockImplementation(() => ({
            isActive: true,
            exports: { clientProvider: { getActiveClient: () => ({ sendRequest }) } },
        }));
        const bridge = new GoalBridge();
        expect(await bridge.plainGoal(params, 30)).toBeNull();
        expect(sendRequest).toHaveBeenCalledOnce();
        const started = Date.now();
        expect(await bridge.plainGoal(params, 5000)).toBeNull();
        expect(Date.now() - started).toBeLessThan(1000); // no second wait
        expect(sendRequest).toHaveBeenCalledOnce();
        bridge.reset();
        await bridge.plainGoal(params, 30);
        expect(sendRequest).toHaveBeenCalledTimes(2);
    });
});
