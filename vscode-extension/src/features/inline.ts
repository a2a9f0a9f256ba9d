/**
 * Ghost text (inline completions) from the server's `textDocument/inlineCompletion`, through the
 * LanguageClient's middleware:
 *
 * 1. Trigger kinds: vscode-languageclient 9 passes VS Code's enum (Invoke = 0, Automatic = 1)
 *    through unchanged, but LSP numbers them Invoked = 1, Automatic = 2; mapped here, so the
 *    server sees an explicit request as one. Automatic triggers (typing pauses) are not even
 *    sent unless leanstar.trigger is "automatic": only then may typing cost model calls.
 * 2. Display: VS Code shows an item only when the document text in its range up to the cursor is
 *    a prefix of the item's text and the rest of the range is contained in the rest of the text.
 *    The server's items are exact edits (replace the `sorry` token, write a new line after a
 *    tactic), which often fail that test. `displayable` rewrites an item into one VS Code shows,
 *    with the same result once accepted: an insertion extended to the cursor, or (replacing a
 *    `sorry`) the tactic shown at the cursor plus a command that then replaces what remains of
 *    the `sorry` so the file holds exactly the server's edit.
 */
import type { Position, Range, TextEdit } from '../common/protocol';

/** LSP InlineCompletionTriggerKind. */
export const LSP_TRIGGER = { Invoked: 1, Automatic: 2 } as const;

/** VS Code's InlineCompletionTriggerKind (Invoke = 0, Automatic = 1) -> LSP's. */
export function lspTriggerKind(vscodeKind: number): number {
    return vscodeKind === 0 ? LSP_TRIGGER.Invoked : LSP_TRIGGER.Automatic;
}

/** What to hand VS Code for one server item. */
export type Displayable =
    | { kind: 'asIs' }
    | { kind: 'insert'; range: Range; text: string }
    | {
          kind: 'insertThenFix';
          /** Ghost text: `text` inserted at the cursor... */
          range: Range;
          text: string;
          /** ...then this edit, on the text after the insertion, makes it the server's edit. */
          fix: TextEdit;
      };

/** Would VS Code (1.9x-1.13x `InlineSuggestionItem.isVisible`) show `text` replacing `range`? */
export function isVisible(lineText: string, cursor: Position, range: Range, text: string): boolean {
    if (range.start.line !== range.end.line || range.start.line !== cursor.line) {
        return false;
    }
    if (cursor.character < range.start.character || cursor.character > range.end.character) {
        return false;
    }
    const original = lineText.slice(range.start.character, range.end.character);
    const at = cursor.character - range.start.character;
    let textBefore = text.slice(0, at);
    let textAfter = text.slice(at);
    let originalBefore = original.slice(0, at);
    let originalAfter = original.slice(at);
    const indent = lineText.length - lineText.trimStart().length;
    if (range.start.character <= indent) {
        originalBefore = originalBefore.trimStart();
        if (originalBefore.length === 0) {
            originalAfter = originalAfter.trimStart();
        }
        textBefore = textBefore.trimStart();
        if (textBefore.length === 0) {
            textAfter = textAfter.trimStart();
        }
    }
    return textBefore.startsWith(originalBefore) && isSubsequence(originalAfter, textAfter);
}

/** An item VS Code shows, with the same effect as the server's edit `range` -> `text`. */
export function displayable(lineText: string, cursor: Position, range: Range, text: string): Displayable {
    if (isVisible(lineText, cursor, range, text)) {
        return { kind: 'asIs' };
    }
    const sameLine = range.start.line === cursor.line && range.end.line === cursor.line;
    // An insertion after the cursor on its line (a new line after this tactic): start it at the cursor.
    if (sameLine && range.start.character >= cursor.character) {
        const widened: Range = { start: cursor, end: range.end };
        const widenedText = lineText.slice(cursor.character, range.start.character) + text;
        if (isVisible(lineText, cursor, widened, widenedText)) {
            return { kind: 'insert', range: widened, text: widenedText };
        }
    }
    // The cursor inside the replaced range (on the `sorry`): show the text at the cursor, then fix up.
    if (sameLine && range.start.character <= cursor.character && cursor.character <= range.end.character) {
        const at: Range = { start: cursor, end: cursor };
        const rows = text.split('\n');
        const insertedEnd =
            rows.length === 1
                ? { line: range.end.line, character: range.end.character + text.length }
                : { line: range.end.line + rows.length - 1, character: rows[rows.length - 1].length + (range.end.character - cursor.character) };
        return { kind: 'insertThenFix', range: at, text, fix: { range: { start: range.start, end: insertedEnd }, newText: text } };
    }
    return { kind: 'asIs' }; // elsewhere: VS Code decides (it may not show it)
}

function isSubsequence(word: string, target: string): boolean {
    let j = 0;
    for (const ch of target) {
        if (j < word.length && ch === word[j]) {
            j++;
        }
    }
    return j === word.length;
}
