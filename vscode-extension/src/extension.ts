/**
 * Leanstar for VS Code: a thin client of the leanstar language server (`leanstar lsp`, Python).
 * Code actions ("Try this"), hover and inline completion come through the LanguageClient; this
 * file only wires the commands, the status bar and the server's lifecycle.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './common/constants';
import { createLog, describeError } from './common/log';
import { LeanstarServer } from './common/server';
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
    server = new LeanstarServer(log, status);
    const current = server;

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
        command(COMMANDS.suggest, () => suggestCommand(() => current.runningClient(), getWorkspaceSettings())),
        command(COMMANDS.prove, () => proveCommand(() => current.runningClient())),
        command(COMMANDS.explain, () => explainCommand(() => current.runningClient(), getWorkspaceSettings())),
        command(COMMANDS.restartServer, () => current.restart()),
        onDidChangeConfiguration((e) => {
            if (checkIfConfigurationChanged(e)) {
                void current.restart();
            }
        }),
    );

    // Not awaited: activation returns at once, the status bar shows the start's progress.
    void current.restart();
}

export async function deactivate(): Promise<void> {
    await server?.stop();
    server = undefined;
}
