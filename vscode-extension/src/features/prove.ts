/**
 * `Leanstar: Prove this theorem`: asks the server to search for a whole proof of the theorem at the
 * cursor, shows its work-done progress (tactics tried, best depth so far) in a cancellable
 * notification, and applies the edit it returns, only to the document version it was made for
 * (the server re-bases it when the file changed during the search, or sends none).
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient, WorkspaceEdit as LspWorkspaceEdit } from 'vscode-languageclient/node';
import { describeError } from '../common/log';
import { PROVE, type ProveParams, type ProveResult, type RequestSender } from '../common/protocol';
import { activeTextEditor } from '../common/vscodeapi';
import { isCancellation, type ShownElsewhere } from './suggest';

export type ProveClient = RequestSender & Pick<LanguageClient, 'protocol2CodeConverter'>;

export async function proveCommand(getClient: () => ProveClient | undefined, shownElsewhere: ShownElsewhere = () => false): Promise<void> {
    const editor = activeTextEditor();
    if (!editor || editor.document.languageId !== 'lean4') {
        void vscode.window.showInformationMessage('Leanstar: put the cursor inside a theorem in a Lean 4 file first.');
        return;
    }
    const client = getClient();
    if (!client) {
        return;
    }
    const position = editor.selection.active;
    // The server reports progress against this token ($/progress); the search budget is the
    // server's, and Cancel in the notification cancels the request.
    const workDoneToken = randomUUID();
    const params: ProveParams = {
        textDocument: { uri: editor.document.uri.toString() },
        position: { line: position.line, character: position.character },
        workDoneToken,
    };

    let result: ProveResult;
    try {
        result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: 'Leanstar: searching for a proof', cancellable: true },
            async (progress, token) => {
                const listening = client.onProgress?.(workDoneToken, (value) => {
                    if (value.kind !== 'end' && value.message) {
                        progress.report({ message: value.message });
                    }
                });
                try {
                    return await client.sendRequest<ProveResult>(PROVE, params, token);
                } finally {
                    listening?.dispose();
                }
            },
        );
    } catch (e) {
        if (!isCancellation(e) && !shownElsewhere(e)) {
            void vscode.window.showErrorMessage(`Leanstar: the proof search failed: ${describeError(e)}`);
        }
        return;
    }

    if (!result.proved) {
        const why = result.reason ? `; ${result.reason}` : '';
        void vscode.window.showInformationMessage(`Leanstar: no proof found (${result.attempts} attempts${why}).`);
        return;
    }
    // Never apply an edit made for another version of the file: the proof is offered instead.
    const current = vscode.workspace.textDocuments.find((d) => d.uri.toString() === params.textDocument.uri) ?? editor.document;
    if (result.edit && !result.stale && result.version === current.version) {
        const edit = await client.protocol2CodeConverter.asWorkspaceEdit(result.edit as LspWorkspaceEdit);
        if (await vscode.workspace.applyEdit(edit)) {
            void vscode.window.showInformationMessage(`Leanstar: proved (${result.attempts} attempts).`);
            return;
        }
    }
    // No edit, or the file changed under it: hand the proof over instead of losing it.
    const choice = await vscode.window.showInformationMessage(
        'Leanstar: proved, but the file changed during the search, so the proof was not inserted. Copy it?',
        { modal: false, detail: result.proof },
        'Copy proof',
    );
    if (choice === 'Copy proof' && result.proof) {
        await vscode.env.clipboard.writeText(result.proof);
    }
}
