import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('vscode-languageclient/node', () => ({
    LanguageClient: class {},
    State: { Stopped: 1, Running: 2, Starting: 3 },
    TransportKind: { stdio: 0 },
    RevealOutputChannelOn: { Never: 4 },
    ErrorAction: { Continue: 1, Shutdown: 2 },
    CloseAction: { DoNotRestart: 1, Restart: 2 },
}));

import { displayable, isVisible, lspTriggerKind } from '../src/features/inline';
import { provideInlineCompletionItems } from '../src/common/server';
import { InlineCompletionItem, Position, Range, resetVscodeMock, settingsStore } from './vscode.mock';

beforeEach(resetVscodeMock);

const at = (line: number, character: number) => ({ line, character });
const range = (line: number, start: number, end: number) => ({ start: at(line, start), end: at(line, end) });

/** What the document line reads after VS Code inserts `text` over `r` (single line). */
function accept(line: string, r: { start: { character: number }; end: { character: number } }, text: string): string {
    return line.slice(0, r.start.character) + text + line.slice(r.end.character);
}

describe('trigger kinds', () => {
    it('maps VS Code Invoke = 0 / Automatic = 1 to LSP Invoked = 1 / Automatic = 2', () => {
        expect(lspTriggerKind(0)).toBe(1);
        expect(lspTriggerKind(1)).toBe(2);
    });
});

describe('displayable', () => {
    it('keeps an item VS Code shows as it is (a tactic on an indented blank line)', () => {
        expect(isVisible('  ', at(3, 2), range(3, 0, 2), '  simp')).toBe(true);
        expect(displayable('  ', at(3, 2), range(3, 0, 2), '  simp')).toEqual({ kind: 'asIs' });
    });

    it('shows a tactic replacing `sorry` at the cursor, then fixes the rest into the exact edit', () => {
        const line = '  sorry';
        for (const cursor of [2, 4, 7]) {
            expect(isVisible(line, at(1, cursor), range(1, 2, 7), 'simp')).toBe(false); // why this exists
            const plan = displayable(line, at(1, cursor), range(1, 2, 7), 'simp');
            expect(plan.kind).toBe('insertThenFix');
            if (plan.kind !== 'insertThenFix') {
                return;
            }
            expect(isVisible(line, at(1, cursor), plan.range, plan.text)).toBe(true);
            const shown = accept(line, plan.range, plan.text); // what VS Code leaves on accept
            expect(accept(shown, plan.fix.range, plan.fix.newText)).toBe('  simp'); // then the command
        }
    });

    it('widens a new-line insertion after the cursor so that it starts at the cursor', () => {
        const line = '  constructor';
        const plan = displayable(line, at(4, 5), range(4, 13, 13), '\n  exact hp');
        expect(plan).toEqual({ kind: 'insert', range: range(4, 5, 13), text: 'structor\n  exact hp' });
    });
});

describe('the inline-completion middleware', () => {
    const document = {
        uri: { toString: () => 'file:///p/A.lean' },
        version: 3,
        lineAt: () => ({ text: '  sorry' }),
    };
    const token = { isCancellationRequested: false };

    it('sends no request for a typing pause unless leanstar.trigger is automatic', async () => {
        const next = vi.fn(async () => []);
        expect(await provideInlineCompletionItems(document as never, new Position(1, 2) as never, { triggerKind: 1 } as never, token as never, next)).toBeUndefined();
        expect(next).not.toHaveBeenCalled();
        settingsStore.set('leanstar.trigger', 'automatic');
        await provideInlineCompletionItems(document as never, new Position(1, 2) as never, { triggerKind: 1 } as never, token as never, next);
        expect((next.mock.calls[0] as unknown[])[2]).toMatchObject({ triggerKind: 2 });
    });

    it('asks with the LSP kind on an explicit request and makes a `sorry` replacement visible', async () => {
        const next = vi.fn(async () => [new InlineCompletionItem('simp', new Range(1, 2, 1, 7))]);
        const items = await provideInlineCompletionItems(document as never, new Position(1, 2) as never, { triggerKind: 0 } as never, token as never, next as never);
        expect((next.mock.calls[0] as unknown[])[2]).toMatchObject({ triggerKind: 1 });
        const [item] = items as unknown as InlineCompletionItem[];
        expect(item.insertText).toBe('simp');
        expect(item.range).toEqual(new Range(1, 2, 1, 2));
        expect(item.command?.command).toBe('leanstar.finishInlineSuggestion');
        expect(item.command?.arguments).toEqual(['file:///p/A.lean', 4, { range: range(1, 2, 11), newText: 'simp' }]);
    });
});
