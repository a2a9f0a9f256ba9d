import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SuggestResult } from '../src/common/protocol';
import { getWorkspaceSettings } from '../src/common/settings';
import { suggestCommand, toQuickPickItems, type CandidateItem } from '../src/features/suggest';
import { Position, type Range, resetVscodeMock, Selection, settingsStore, Uri, window } from './vscode.mock';

beforeEach(resetVscodeMock);

const reply: SuggestResult = {
    goalsBefore: ['n : Nat\n⊢ n + 0 = n'],
    candidates: [
        { thought: 'Adding zero changes nothing;\nsimp knows it.', tactic: 'simp', outcome: 'proved', goalsAfter: [], score: -0.4 },
        { thought: 'Split on n.', tactic: 'cases n', outcome: 'progress', goalsAfter: ['⊢ 0 + 0 = 0', '⊢ k + 1 + 0 = k + 1'], score: -1.2 },
        { thought: 'Maybe by definition.', tactic: 'exact rfl', outcome: 'failed', goalsAfter: [], score: -2, message: 'type mismatch\n  rfl' },
        { thought: 'Try everything.', tactic: 'decide', outcome: 'timeout', goalsAfter: [], score: -3 },
    ],
};

describe('toQuickPickItems', () => {
    it('labels each item with the tactic and details the verdict and the thought', () => {
        const items = toQuickPickItems(reply);
        expect(items.map((i) => i.label)).toEqual(['simp', 'cases n', 'exact rfl', 'decide']);
        expect(items.map((i) => i.detail)).toEqual([
            '✓ proves · Adding zero changes nothing; simp knows it.',
            '→ 2 goals left · Split on n.',
            '✗ failed: type mismatch · Maybe by definition.',
            '⧗ timed out · Try everything.',
        ]);
        expect(items[1].candidate).toBe(reply.candidates[1]);
    });
});

/** A TextEditor over an array of lines that really applies edits, like VS Code would. */
function fakeEditor(text: string, cursor: Position) {
    const lines = text.split('\n');
    const editor = {
        document: {
            languageId: 'lean4',
            uri: Uri.parse('file:///proj/Foo.lean'),
            get lineCount() {
                return lines.length;
            },
            lineAt: (line: number) => ({ text: lines[line] }),
            getText: () => lines.join('\n'),
        },
        selection: new Selection(cursor, cursor),
        edit: vi.fn(async (build: (b: { replace(range: Range, text: string): void }) => void) => {
            build({
                replace(range, newText) {
                    const whole = lines.join('\n');
                    const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
                    const updated = whole.slice(0, offset(range.start)) + newText + whole.slice(offset(range.end));
                    lines.splice(0, lines.length, ...updated.split('\n'));
                },
            });
            return true;
        }),
    };
    window.activeTextEditor = editor;
    return editor;
}

function fakeClient(result: SuggestResult) {
    return { sendRequest: vi.fn(async (_method: string, _params: unknown, _token?: unknown) => result as never) };
}

describe('suggestCommand', () => {
    it('asks at the cursor, shows the candidates, and replaces the sorry with the chosen tactic', async () => {
        settingsStore.set('leanstar.suggest.n', 4);
        const editor = fakeEditor('theorem t (n : Nat) : n + 0 = n := by\n  sorry\n', new Position(1, 3));
        const client = fakeClient(reply);
        window.showQuickPick.mockImplementation(async (items: unknown) => (items as CandidateItem[])[1]);

        await suggestCommand(() => client, getWorkspaceSettings());

        expect(client.sendRequest).toHaveBeenCalledOnce();
        const [method, params] = client.sendRequest.mock.calls[0];
        expect(method).toBe('leanstar/suggest');
        expect(params).toEqual({
            textDocument: { uri: 'file:///proj/Foo.lean' },
            position: { line: 1, character: 3 },
            n: 4,
            includeFailed: true,
        });
        const shown = window.showQuickPick.mock.calls[0][0] as CandidateItem[];
        expect(shown.map((i) => i.label)).toEqual(['simp', 'cases n', 'exact rfl', 'decide']);
        expect(editor.document.getText()).toBe('theorem t (n : Nat) : n + 0 = n := by\n  cases n\n');
        expect(editor.selection.active).toEqual(new Position(1, 9));
    });

    it('inserts on a new, properly indented line when there is no sorry', async () => {
        const editor = fakeEditor('theorem t (n : Nat) : n + 0 = n := by\n  skip', new Position(1, 6));
        window.showQuickPick.mockImplementation(async (items: unknown) => (items as CandidateItem[])[0]);

        await suggestCommand(() => fakeClient(reply), getWorkspaceSettings());

        expect(editor.document.getText()).toBe('theorem t (n : Nat) : n + 0 = n := by\n  skip\n  simp');
    });

    it('changes nothing when the pick is dismissed', async () => {
        const editor = fakeEditor('example : True := by\n  sorry', new Position(1, 2));
        await suggestCommand(() => fakeClient(reply), getWorkspaceSettings());
        expect(window.showQuickPick).toHaveBeenCalledOnce();
        expect(editor.edit).not.toHaveBeenCalled();
    });

    it('says so when there is no goal at the cursor, without a QuickPick', async () => {
        fakeEditor('def x := 1', new Position(0, 3));
        await suggestCommand(() => fakeClient({ candidates: [], goalsBefore: [] }), getWorkspaceSettings());
        expect(window.showQuickPick).not.toHaveBeenCalled();
        expect(window.showInformationMessage.mock.calls[0][0]).toContain('no goal at the cursor');
    });

    it('reports a failed request with the server error', async () => {
        fakeEditor('example : True := by\n  sorry', new Position(1, 2));
        const client = { sendRequest: vi.fn(async () => Promise.reject(new Error('model timed out after 60 s'))) };
        await suggestCommand(() => client, getWorkspaceSettings());
        expect(window.showErrorMessage.mock.calls[0][0]).toBe('Leanstar: asking for suggestions failed: model timed out after 60 s');
    });

    it('does not call the server outside a Lean file', async () => {
        const editor = fakeEditor('x = 1', new Position(0, 0));
        editor.document.languageId = 'python';
        const client = fakeClient(reply);
        await suggestCommand(() => client, getWorkspaceSettings());
        expect(client.sendRequest).not.toHaveBeenCalled();
    });
});
