/**
 * `Leanstar: Explain this tactic`: asks the server for the thought behind the tactic at the cursor
 * (the Lean-STaR rationale) and shows it, with the goals before and after on request.
 */
import * as vscode from 'vscode';
import { describeError } from '../common/log';
import { EXPLAIN, type ExplainResult, type RequestSender, type TextDocumentPositionParams } from '../common/protocol';
import type { LeanstarSettings } from '../common/settings';
import { withTimeout } from '../common/timeout';
import { activeTextEditor } from '../common/vscodeapi';
import { isCancellation, type ShownElsewhere } from './suggest';

/** Inline code that holds any backticks of `text` (a fence longer than its longest run). */
export function inlineCode(text: string): string {
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const fence = '`'.repeat(longest + 1);
    const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
    return `${fence}${pad}${text.replace(/\s+/g, ' ')}${pad}${fence}`;
}

/** Model-written text shown as Markdown: its Markdown characters escaped. */
export function escapeMarkdown(text: string): string {
    return text.replace(/([\\`*_{}[\]()#+\-.!|<>~])/g, '\\$1');
}

/** The explanation as a Markdown document: rationale, then the goals around the tactic. */
export function explanationMarkdown(result: ExplainResult): string {
    const goals = (gs: string[]) => (gs.length > 0 ? gs.map((g) => '````lean\n' + g + '\n````').join('\n\n') : '_no goals_');
    return [
        `# ${inlineCode(result.tactic)}`,
        '',
        escapeMarkdown(result.rationale),
        '',
        '## Goals before',
        '',
        goals(result.goalsBefore),
        '',
        '## Goals after',
        '',
        goals(result.goalsAfter),
        '',
    ].join('\n');
}

export async function explainCommand(
    getClient: () => RequestSender | undefined,
    settings: LeanstarSettings,
    shownElsewhere: ShownElsewhere = () => false,
): Promise<void> {
    const editor = activeTextEditor();
    if (!editor || editor.document.languageId !== 'lean4') {
        void vscode.window.showInformationMessage('Leanstar: put the cursor on a tactic in a Lean 4 file first.');
        return;
    }
    const client = getClient();
    if (!client) {
        return;
    }
    const position = editor.selection.active;
    const params: TextDocumentPositionParams = {
        textDocument: { uri: editor.document.uri.toString() },
        position: { line: position.line, character: position.character },
    };
    let result: ExplainResult | null;
    try {
        result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Window, title: 'Leanstar: explaining', cancellable: true },
            (_progress, token) =>
                withTimeout(
                    client.sendRequest<ExplainResult | null>(EXPLAIN, params, token),
                    (settings.timeouts.modelSeconds + settings.timeouts.leanCheckSeconds + 15) * 1000,
                    'The leanstar server',
                ),
        );
    } catch (e) {
        if (!isCancellation(e) && !shownElsewhere(e)) {
            void vscode.window.showErrorMessage(`Leanstar: explaining the tactic failed: ${describeError(e)}`);
        }
        return;
    }
    if (!result) {
        void vscode.window.showInformationMessage('Leanstar: there is no tactic at the cursor to explain.');
        return;
    }
    const choice = await vscode.window.showInformationMessage(`${result.tactic}: ${result.rationale}`, 'Show goals');
    if (choice === 'Show goals') {
        const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: explanationMarkdown(result) });
        await vscode.commands.executeCommand('markdown.showPreviewToSide', doc.uri);
    }
}
