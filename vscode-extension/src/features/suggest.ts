/**
 * `Leanstar: Suggest next tactic`: asks the server for (thought, tactic) candidates at the cursor,
 * lets the user pick one in a QuickPick (the goal as the placeholder, each tactic with its whole
 * thought and Lean's verdict; tactics Lean rejected listed apart and not pickable), and applies
 * the edit the server sent with the chosen candidate: the exact text Lean checked, where Lean
 * checked it (the server's cursor rule, leanstar/lean/cursor.py; the extension has no rule of
 * its own).
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { describeError } from '../common/log';
import {
    SUGGEST,
    type RequestSender,
    type SuggestCandidate,
    type SuggestParams,
    type SuggestResult,
    type TextEdit,
} from '../common/protocol';
import type { LeanstarSettings } from '../common/settings';
import { withTimeout } from '../common/timeout';
import { activeTextEditor } from '../common/vscodeapi';

export interface CandidateItem extends vscode.QuickPickItem {
    candidate?: SuggestCandidate;
}

/** Lean's verdict on a candidate, in a few characters. */
export function verdict(candidate: SuggestCandidate): string {
    switch (candidate.outcome) {
        case 'proved':
            return '✓ proves';
        case 'progress': {
            const n = candidate.goalsAfter.length;
            return `→ ${n} goal${n === 1 ? '' : 's'} left`;
        }
        case 'failed':
            return candidate.message ? `✗ failed: ${firstLine(candidate.message)}` : '✗ failed';
        case 'timeout':
            return '⧗ timed out';
        default:
            return '?';
    }
}

/** Lean accepted the tactic (it proves the goal or makes progress): only these can be picked. */
export function isAccepted(candidate: SuggestCandidate): boolean {
    return candidate.outcome === 'proved' || candidate.outcome === 'progress';
}

/**
 * The QuickPick's items: the accepted candidates in the server's order (best first), the tactic
 * as the label, the verdict as the description and the whole thought as the detail; then the
 * rejected ones as separators (shown, never pickable).
 */
export function toQuickPickItems(result: SuggestResult): CandidateItem[] {
    const accepted = result.candidates.filter(isAccepted);
    const rejected = result.candidates.filter((c) => !isAccepted(c));
    const items: CandidateItem[] = accepted.map((candidate) => ({
        label: firstLine(candidate.tactic),
        description: verdict(candidate) + (candidate.tactic.includes('\n') ? ' · several lines' : ''),
        // A thought that misquotes the state is still shown (the tactic is Lean-checked), but
        // marked, with the reason, so it is never read as an explanation.
        detail: thoughtDetail(candidate),
        candidate,
    }));
    if (rejected.length > 0) {
        items.push({ label: 'Rejected by Lean', kind: vscode.QuickPickItemKind.Separator });
        for (const candidate of rejected) {
            items.push({ label: `${firstLine(candidate.tactic)}  ${verdict(candidate)}`, kind: vscode.QuickPickItemKind.Separator });
        }
    }
    return items;
}

/**
 * A candidate's detail line: its thought when true of the state; else the rule-based rationale
 * (labelled) when the server found one true of the state; else only why the model's thought was
 * wrong: an untrue thought is never shown where it would be read as the reason.
 */
export function thoughtDetail(candidate: SuggestCandidate): string {
    if (candidate.thoughtSource === 'rules' && candidate.rationale) {
        return `$(book) ${flat(candidate.rationale)} (rule-based rationale; the model's thought was not true of the goal: ${candidate.unfaithfulBecause ?? 'unchecked'})`;
    }
    if (candidate.faithful === false) {
        return `$(warning) the model's thought is not shown: not true of the goal (${candidate.unfaithfulBecause ?? 'unchecked'})`;
    }
    return flat(candidate.thought);
}

/** The goal line of the first goal (`⊢ ...`), not its first hypothesis. */
export function goalLine(goals: string[]): string | undefined {
    const first = goals[0];
    if (!first) {
        return undefined;
    }
    const lines = first.split('\n');
    const turnstile = lines.findIndex((l) => l.trimStart().startsWith('⊢'));
    return turnstile >= 0 ? flat(lines.slice(turnstile).join(' ')) : flat(first);
}

/**
 * Seconds the client waits for a suggestion: one model call plus one Lean check per candidate,
 * plus a margin for finding the goal. The user can cancel earlier from the progress notification.
 */
export function suggestDeadlineMs(settings: LeanstarSettings): number {
    const { modelSeconds, leanCheckSeconds } = settings.timeouts;
    return (modelSeconds + settings.suggest.n * leanCheckSeconds + 15) * 1000;
}

/** Says whether an error of a request was already shown to the user (the status bar's message). */
export type ShownElsewhere = (e: unknown) => boolean;

export async function suggestCommand(
    getClient: () => RequestSender | undefined,
    settings: LeanstarSettings,
    shownElsewhere: ShownElsewhere = () => false,
): Promise<void> {
    const editor = activeTextEditor();
    if (!editor || editor.document.languageId !== 'lean4') {
        void vscode.window.showInformationMessage('Leanstar: put the cursor inside a proof in a Lean 4 file first.');
        return;
    }
    const client = getClient();
    if (!client) {
        return; // the server already said why it is not running
    }
    const position = editor.selection.active;
    const workDoneToken = randomUUID();
    const params: SuggestParams = {
        textDocument: { uri: editor.document.uri.toString() },
        position: { line: position.line, character: position.character },
        n: settings.suggest.n,
        includeFailed: true,
        workDoneToken,
    };

    let result: SuggestResult | undefined;
    try {
        result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: 'Leanstar: thinking about the next tactic…', cancellable: true },
            async (progress, token) => {
                // The server reports its steps (reading the goal, asking the model, checking).
                const listening = client.onProgress?.(workDoneToken, (value) => {
                    if (value.kind !== 'end' && value.message) {
                        progress.report({ message: value.message });
                    }
                });
                try {
                    return await withTimeout(
                        client.sendRequest<SuggestResult>(SUGGEST, params, token),
                        suggestDeadlineMs(settings),
                        'The leanstar server',
                    );
                } finally {
                    listening?.dispose();
                }
            },
        );
    } catch (e) {
        if (!isCancellation(e) && !shownElsewhere(e)) {
            void vscode.window.showErrorMessage(`Leanstar: asking for suggestions failed: ${describeError(e)}`);
        }
        return;
    }
    if (!result || result.candidates.length === 0) {
        const why = result && result.goalsBefore.length > 0 ? 'the model suggested nothing for this goal' : 'there is no goal at the cursor';
        void vscode.window.showInformationMessage(`Leanstar: ${why}.`);
        return;
    }
    if (!result.candidates.some(isAccepted)) {
        void vscode.window.showInformationMessage(
            `Leanstar: Lean rejected all ${result.candidates.length} suggested tactics: ` +
                result.candidates.map((c) => `${firstLine(c.tactic)} (${verdict(c)})`).join('; '),
        );
        return;
    }

    const goals = result.goalsBefore.length;
    const picked = await vscode.window.showQuickPick(toQuickPickItems(result), {
        title: `Leanstar: next tactic (${goals} goal${goals === 1 ? '' : 's'})`,
        placeHolder: goalLine(result.goalsBefore),
        matchOnDescription: true,
        matchOnDetail: true,
    });
    if (!picked?.candidate) {
        return;
    }
    if (editor.document.version !== result.version) {
        void vscode.window.showWarningMessage('Leanstar: the file changed while leanstar was thinking; ask again for the new text.');
        return;
    }
    await applyCandidateEdit(editor, picked.candidate.edit);
}

/** Applies the server's edit for a candidate and puts the cursor at the end of the inserted text. */
export async function applyCandidateEdit(editor: vscode.TextEditor, edit: TextEdit): Promise<boolean> {
    const { start, end } = edit.range;
    const range = new vscode.Range(start.line, start.character, end.line, end.character);
    const applied = await editor.edit((builder) => builder.replace(range, edit.newText));
    if (applied) {
        const cursor = endOfInsertion(edit);
        const at = new vscode.Position(cursor.line, cursor.character);
        editor.selection = new vscode.Selection(at, at);
    }
    return applied;
}

/** Where the inserted text ends once the edit is applied (UTF-16 columns, like VS Code's). */
export function endOfInsertion(edit: TextEdit): { line: number; character: number } {
    const rows = edit.newText.split('\n');
    if (rows.length === 1) {
        return { line: edit.range.start.line, character: edit.range.start.character + rows[0].length };
    }
    return { line: edit.range.start.line + rows.length - 1, character: rows[rows.length - 1].length };
}

/** The user pressed Cancel: the LanguageClient rejects with RequestCancelled (-32800) or a Canceled error. */
export function isCancellation(e: unknown): boolean {
    const error = e as { code?: number; name?: string; message?: string } | undefined;
    return error?.code === -32800 || error?.name === 'Canceled' || error?.message === 'Canceled';
}

function firstLine(text: string): string {
    return text.trim().split('\n')[0];
}

function flat(text: string): string {
    return text.replace(/\s+/g, ' ').trim();
}
