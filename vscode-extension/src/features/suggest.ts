/**
 * `Leanstar: Suggest next tactic`: asks the server for (thought, tactic) candidates at the cursor,
 * lets the user pick one in a QuickPick (thought and Lean's verdict shown under each tactic),
 * and puts the chosen tactic into the proof.
 */
import * as vscode from 'vscode';
import { describeError } from '../common/log';
import { SUGGEST, type RequestSender, type SuggestCandidate, type SuggestParams, type SuggestResult } from '../common/protocol';
import type { LeanstarSettings } from '../common/settings';
import { withTimeout } from '../common/timeout';
import { activeTextEditor } from '../common/vscodeapi';
import { planTacticInsertion } from './edits';

export interface CandidateItem extends vscode.QuickPickItem {
    candidate: SuggestCandidate;
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

/** One QuickPick item per candidate, in the server's order (best first). */
export function toQuickPickItems(result: SuggestResult): CandidateItem[] {
    return result.candidates.map((candidate) => ({
        label: firstLine(candidate.tactic),
        description: candidate.tactic.includes('\n') ? '(several lines)' : undefined,
        detail: `${verdict(candidate)} · ${candidate.thought.replace(/\s+/g, ' ').trim()}`,
        candidate,
    }));
}

/**
 * Seconds the client waits for a suggestion: one model call plus one Lean check per candidate,
 * plus a margin for finding the goal. The user can cancel earlier from the progress notification.
 */
export function suggestDeadlineMs(settings: LeanstarSettings): number {
    const { modelSeconds, leanCheckSeconds } = settings.timeouts;
    return (modelSeconds + settings.suggest.n * leanCheckSeconds + 15) * 1000;
}

export async function suggestCommand(getClient: () => RequestSender | undefined, settings: LeanstarSettings): Promise<void> {
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
    const params: SuggestParams = {
        textDocument: { uri: editor.document.uri.toString() },
        position: { line: position.line, character: position.character },
        n: settings.suggest.n,
        includeFailed: true,
    };

    let result: SuggestResult | undefined;
    try {
        result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: 'Leanstar: thinking about the next tactic…', cancellable: true },
            (_progress, token) =>
                withTimeout(client.sendRequest<SuggestResult>(SUGGEST, params, token), suggestDeadlineMs(settings), 'The leanstar server'),
        );
    } catch (e) {
        if (!isCancellation(e)) {
            void vscode.window.showErrorMessage(`Leanstar: asking for suggestions failed: ${describeError(e)}`);
        }
        return;
    }
    if (!result || result.candidates.length === 0) {
        const why = result && result.goalsBefore.length > 0 ? 'the model suggested nothing for this goal' : 'there is no goal at the cursor';
        void vscode.window.showInformationMessage(`Leanstar: ${why}.`);
        return;
    }

    const goals = result.goalsBefore.length;
    const picked = await vscode.window.showQuickPick(toQuickPickItems(result), {
        title: `Leanstar: next tactic (${goals} goal${goals === 1 ? '' : 's'})`,
        placeHolder: result.goalsBefore[0] ? firstLine(result.goalsBefore[0]) : undefined,
        matchOnDetail: true,
    });
    if (!picked) {
        return;
    }
    await insertTactic(editor, position, picked.candidate.tactic);
}

/** Applies planTacticInsertion's plan to the editor and moves the cursor after the tactic. */
export async function insertTactic(editor: vscode.TextEditor, position: vscode.Position, tactic: string): Promise<boolean> {
    const document = editor.document;
    const plan = planTacticInsertion(
        { lineCount: document.lineCount, lineText: (line) => document.lineAt(line).text },
        { line: position.line, character: position.character },
        tactic,
    );
    const range = new vscode.Range(plan.start.line, plan.start.character, plan.end.line, plan.end.character);
    const applied = await editor.edit((builder) => builder.replace(range, plan.text));
    if (applied) {
        const cursor = new vscode.Position(plan.cursor.line, plan.cursor.character);
        editor.selection = new vscode.Selection(cursor, cursor);
    }
    return applied;
}

/** The user pressed Cancel: the LanguageClient rejects with RequestCancelled (-32800) or a Canceled error. */
export function isCancellation(e: unknown): boolean {
    const error = e as { code?: number; name?: string; message?: string } | undefined;
    return error?.code === -32800 || error?.name === 'Canceled' || error?.message === 'Canceled';
}

function firstLine(text: string): string {
    return text.trim().split('\n')[0];
}
