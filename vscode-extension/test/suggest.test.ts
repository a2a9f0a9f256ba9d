import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SuggestResult } from '../src/common/protocol';
import { getWorkspaceSettings } from '../src/common/settings';
import { endOfInsertion, goalLine, suggestCommand, toQuickPickItems, type CandidateItem } from '../src/features/suggest';
import { Position, QuickPickItemKind, type Range, resetVscodeMock, Selection, settingsStore, Uri, window } from './vscode.mock';

beforeEach(resetVscodeMock);

/** The server's edit for a tactic replacing the `sorry` on line 1, columns 2-7. */
const atSorry = (tactic: string) => ({ range: { start: { line: 1, character: 2 }, end: { line: 1, character: 7 } }, newText: tactic });

const reply: SuggestResult = {
    uri: 'file:///proj/Foo.lean',
    version: 1,
    goalsBefore: ['n : Nat\n⊢ n + 0 = n'],
    candidates: [
        { thought: 'Adding zero changes nothing;\nsimp knows it.', tactic: 'simp', outcome: 'proved', goalsAfter: [], score: -0.4, edit: atSorry('simp') },
        {
            thought: 'Split on n: the zero case is closed by computation, and the successor case needs the induction hypothesis, which we do not have yet, so this is only a start.',
            tactic: 'cases n',
            outcome: 'progress',
            goalsAfter: ['⊢ 0 + 0 = 0', '⊢ k + 1 + 0 = k + 1'],
            score: -1.2,
            edit: atSorry('cases n'),
        },
        { thought: 'Maybe by definition.', tactic: 'exact rfl', outcome: 'failed', goalsAfter: [], score: -2, message: 'type mismatch\n  rfl', edit: atSorry('exact rfl') },
        { thought: 'Try everything.', tactic: 'decide', outcome: 'timeout', goalsAfter: [], score: -3, edit: atSorry('decide') },
    ],
};

describe('toQuickPickItems', () => {
    it('withholds a thought the server found untrue of the goal and says why', () => {
        const misquoting = {
            ...reply,
            candidates: [
                { ...reply.candidates[0], faithful: false, unfaithfulBecause: '`p ∧ q` is not the goal' },
                { ...reply.candidates[1], faithful: true },
            ],
        };
        const pickable = toQuickPickItems(misquoting).filter((i) => i.kind !== QuickPickItemKind.Separator);
        expect(pickable[0].detail).toBe(
            "$(warning) the model's thought is not shown: not true of the goal (`p ∧ q` is not the goal)",
        );
        expect(pickable[1].detail).toBe(reply.candidates[1].thought);
    });

    it('shows the rule-based rationale, labelled, when the server found the model\'s thought untrue', () => {
        const fallback = {
            ...reply,
            candidates: [
                {
                    ...reply.candidates[0],
                    faithful: false,
                    unfaithfulBecause: '`p ∧ q` is not the goal',
                    thoughtSource: 'rules' as const,
                    rationale: 'The goal `n + 0 = n` holds by simplification.',
                },
            ],
        };
        const [item] = toQuickPickItems(fallback);
        expect(item.detail).toBe(
            "$(book) The goal `n + 0 = n` holds by simplification. (rule-based rationale; the model's thought was not true of the goal: `p ∧ q` is not the goal)",
        );
    });

    it('shows accepted tactics with the verdict and the whole thought, rejected ones apart and not pickable', () => {
        const items = toQuickPickItems(reply);
        const pickable = items.filter((i) => i.kind !== QuickPickItemKind.Separator);
        expect(pickable.map((i) => i.label)).toEqual(['simp', 'cases n']);
        expect(pickable.map((i) => i.description)).toEqual(['✓ proves', '→ 2 goals left']);
        expect(pickable[0].detail).toBe('Adding zero changes nothing; simp knows it.');
        expect(pickable[1].detail).toBe(reply.candidates[1].thought); // not cut at 90 characters
        expect(pickable[1].candidate).toBe(reply.candidates[1]);
        const separators = items.filter((i) => i.kind === QuickPickItemKind.Separator);
        expect(separators.map((i) => i.label)).toEqual([
            'Rejected by Lean',
            'exact rfl  ✗ failed: type mismatch',
            'decide  ⧗ timed out',
        ]);
        expect(separators.every((i) => i.candidate === undefined)).toBe(true);
    });
});

describe('goalLine', () => {
    it('is the goal of the first goal, not its first hypothesis', () => {
        expect(goalLine(['p q : Prop\nhp : p\n⊢ q ∧\n  p', '⊢ True'])).toBe('⊢ q ∧ p');
        expect(goalLine([])).toBeUndefined();
    });
});

describe('endOfInsertion', () => {
    it('is where the inserted text ends', () => {
        expect(endOfInsertion(atSorry('simp'))).toEqual({ line: 1, character: 6 });
        const newLine = { range: { start: { line: 3, character: 13 }, end: { line: 3, character: 13 } }, newText: '\n  exact hp' };
        expect(endOfInsertion(newLine)).toEqual({ line: 4, character: 10 });
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
            version: 1,
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
    it('asks at the cursor, shows the candidates, and applies the edit the server sent with the chosen one', async () => {
        settingsStore.set('leanstar.suggest.n', 4);
        const editor = fakeEditor('theorem t (n : Nat) : n + 0 = n := by\n  sorry\n', new Position(1, 3));
        const client = fakeClient(reply);
        window.showQuickPick.mockImplementation(async (items: unknown) => (items as CandidateItem[])[1]);

        await suggestCommand(() => client, getWorkspaceSettings());

        expect(client.sendRequest).toHaveBeenCalledOnce();
        const [method, params] = client.sendRequest.mock.calls[0];
        expect(method).toBe('leanstar/suggest');
        expect(params).toMatchObject({
            textDocument: { uri: 'file:///proj/Foo.lean' },
            position: { line: 1, character: 3 },
            n: 4,
            includeFailed: true,
        });
        expect(typeof (params as { workDoneToken?: string }).workDoneToken).toBe('string');
        const options = window.showQuickPick.mock.calls[0][1] as { placeHolder?: string };
        expect(options.placeHolder).toBe('⊢ n + 0 = n');
        expect(editor.document.getText()).toBe('theorem t (n : Nat) : n + 0 = n := by\n  cases n\n');
        expect(editor.selection.active).toEqual(new Position(1, 9));
    });

    it('applies a new-line edit exactly as sent (the server chose the indentation)', async () => {
        const editor = fakeEditor('theorem foo (n : Nat) : n + 0 = n := by simp', new Position(0, 44));
        const moved = {
            range: { start: { line: 0, character: 39 }, end: { line: 0, character: 44 } },
            newText: '\n  simp\n  rfl',
        };
        const result = { ...reply, candidates: [{ ...reply.candidates[0], tactic: 'rfl', edit: moved }] };
        window.showQuickPick.mockImplementation(async (items: unknown) => (items as CandidateItem[])[0]);

        await suggestCommand(() => fakeClient(result), getWorkspaceSettings());

        expect(editor.document.getText()).toBe('theorem foo (n : Nat) : n + 0 = n := by\n  simp\n  rfl');
        expect(editor.selection.active).toEqual(new Position(2, 5));
    });

    it('refuses to apply an edit made for another version of the file', async () => {
        const editor = fakeEditor('theorem t (n : Nat) : n + 0 = n := by\n  sorry\n', new Position(1, 3));
        window.showQuickPick.mockImplementation(async (items: unknown) => (items as CandidateItem[])[0]);
        await suggestCommand(() => fakeClient({ ...reply, version: 7 }), getWorkspaceSettings());
        expect(editor.edit).not.toHaveBeenCalled();
        expect(window.showWarningMessage.mock.calls[0][0]).toContain('changed');
    });

    it('shows the server\'s progress messages in its notification', async () => {
        fakeEditor('example : True := by\n  sorry', new Position(1, 2));
        const report = vi.fn();
        window.withProgress.mockImplementationOnce(async (_options: unknown, task: (progress: unknown, token: unknown) => unknown) =>
            task({ report }, { isCancellationRequested: false, onCancellationRequested: vi.fn() }),
        );
        const client = {
            ...fakeClient(reply),
            onProgress: vi.fn((_token: string, handler: (value: { kind: string; message?: string }) => void) => {
                handler({ kind: 'report', message: 'asking the model for 8 candidates' });
                return { dispose: vi.fn() };
            }),
        };
        await suggestCommand(() => client, getWorkspaceSettings());
        expect(report).toHaveBeenCalledWith({ message: 'asking the model for 8 candidates' });
    });

    it('changes nothing when the pick is dismissed', async () => {
        const editor = fakeEditor('example : True := by\n  sorry', new Position(1, 2));
        await suggestCommand(() => fakeClient(reply), getWorkspaceSettings());
        expect(window.showQuickPick).toHaveBeenCalledOnce();
        expect(editor.edit).not.toHaveBeenCalled();
    });

    it('says so when there is no goal at the cursor, without a QuickPick', async () => {
        fakeEditor('def x := 1', new Position(0, 3));
        await suggestCommand(() => fakeClient({ candidates: [], goalsBefore: [], uri: 'file:///proj/Foo.lean', version: 1 }), getWorkspaceSettings());
        expect(window.showQuickPick).not.toHaveBeenCalled();
        expect(window.showInformationMessage.mock.calls[0][0]).toContain('no goal at the cursor');
    });

    it('says which tactics Lean rejected when none was accepted', async () => {
        fakeEditor('example : True := by\n  sorry', new Position(1, 2));
        const rejected = { ...reply, candidates: reply.candidates.slice(2) };
        await suggestCommand(() => fakeClient(rejected), getWorkspaceSettings());
        expect(window.showQuickPick).not.toHaveBeenCalled();
        expect(window.showInformationMessage.mock.calls[0][0]).toContain('exact rfl');
    });

    it('reports a failed request with the server error, once', async () => {
        fakeEditor('example : True := by\n  sorry', new Position(1, 2));
        const client = { sendRequest: vi.fn(async () => Promise.reject(new Error('model timed out after 60 s'))) };
        await suggestCommand(() => client, getWorkspaceSettings());
        expect(window.showErrorMessage.mock.calls[0][0]).toBe('Leanstar: asking for suggestions failed: model timed out after 60 s');
        // An error the status bar has just announced with its own message is not shown twice.
        await suggestCommand(() => client, getWorkspaceSettings(), () => true);
        expect(window.showErrorMessage).toHaveBeenCalledOnce();
    });

    it('does not call the server outside a Lean file', async () => {
        const editor = fakeEditor('x = 1', new Position(0, 0));
        editor.document.languageId = 'python';
        const client = fakeClient(reply);
        await suggestCommand(() => client, getWorkspaceSettings());
        expect(client.sendRequest).not.toHaveBeenCalled();
    });
});
