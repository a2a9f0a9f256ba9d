/**
 * Leanstar for VS Code: a thin client of the leanstar language server (`leanstar lsp`, Python).
 * Code actions ("Try this"), hover and inline completion come through the LanguageClient; this
 * file only wires the commands, the status bar and the server's lifecycle.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './common/constants';
import { createLog, describeError } from './common/log';
import type { TextEdit } from './common/protocol';
import { commandClient, LeanstarServer } from './common/server';
import { checkIfConfigurationChanged, getWorkspaceSettings } from './common/settings';
import { onDidChangeConfiguration, registerCommand } from './common/vscodeapi';
import { explainCommand } from './features/explain';
import { proveCommand } from './features/prove';
import { ServerStatus } from './features/status';
import { suggestCommand } from './features/suggest';

/** Kept only so deactivate can wait for the server to stop (VS Code awaits its promise). */
let server: LeanstarServer | undefined;

export function activate(context: vscode.ExtensionContext): void {
    const log = createLog();
    const status = new ServerStatus(log);
    server = new LeanstarServer(log, status, undefined, context.extensionPath);
    const current = server;
    const shownElsewhere = (e: unknown) => status.explains(e);
    /** The running client as the commands use it: requests, and progress under their own tokens. */
    const client = () => commandClient(current.runningClient());

    /** Runs a command; an unexpected error becomes a message naming the command, not a silent failure. */
    const command = (id: string, run: () => Promise<void>) =>
        registerCommand(id, async () => {
            try {
                await run();
            } catch (e) {
                log.error(`${id} failed: ${describeError(e)}`);
                void vscode.window.showErrorMessage(`Leanstar: ${id} failed: ${describeError(e)}`);
            }
        });

    context.subscriptions.push(
        log,
        status,
        current,
        command(COMMANDS.suggest, () => suggestCommand(client, getWorkspaceSettings(), shownElsewhere)),
        command(COMMANDS.prove, () => proveCommand(client, shownElsewhere)),
        command(COMMANDS.explain, () => explainCommand(client, getWorkspaceSettings(), shownElsewhere)),
        command(COMMANDS.restartServer, () => current.restart()),
        registerCommand(COMMANDS.finishInline, (...args: unknown[]) => finishInline(args[0] as string, args[1] as number, args[2] as TextEdit)),
        onDidChangeConfiguration((e) => {
            if (checkIfConfigurationChanged(e)) {
                void current.restart();
            }
        }),
    );

    // Not awaited: activation returns at once, the status bar shows the start's progress.
    void current.restart();
}

/**
 * Runs after VS Code accepted a ghost-text suggestion that replaces a `sorry` (shown as text at
 * the cursor, see features/inline.ts): replaces what is left of the `sorry` so the file holds the
 * server's exact edit. Only on the version right after the acceptance: otherwise it does nothing.
 */
async function finishInline(uri: string, version: number, fix: TextEdit): Promise<void> {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (!document || document.version !== version) {
        return;
    }
    const edit = new vscode.WorkspaceEdit();
    const { start, end } = fix.range;
    edit.replace(document.uri, new vscode.Range(start.line, start.character, end.line, end.character), fix.newText);
    await vscode.workspace.applyEdit(edit);
}

export async function deactivate(): Promise<void> {
    await server?.stop();
    server = undefined;
}
