/**
 * Thin wrappers over the VS Code API the extension uses, so each call site names one function
 * and tests can replace the `vscode` module with a small mock (test/vscode.mock.ts).
 */
import * as vscode from 'vscode';
import { EXTENSION_ID } from './constants';

export function getConfiguration(section: string, scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(section, scope);
}

export function onDidChangeConfiguration(
    listener: (e: vscode.ConfigurationChangeEvent) => unknown,
): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration(listener);
}

export function registerCommand(command: string, callback: (...args: unknown[]) => unknown): vscode.Disposable {
    return vscode.commands.registerCommand(command, callback);
}

export function getExtension<T = unknown>(id: string): vscode.Extension<T> | undefined {
    return vscode.extensions.getExtension<T>(id);
}

export function activeTextEditor(): vscode.TextEditor | undefined {
    return vscode.window.activeTextEditor;
}

/** The folder the server runs in: the workspace folder of the active file, else the first one. */
export function projectRoot(): vscode.WorkspaceFolder | undefined {
    const uri = activeTextEditor()?.document.uri;
    const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
    return folder ?? vscode.workspace.workspaceFolders?.[0];
}

/**
 * Opens the Settings editor on leanstar's settings, filtered to `setting` (the "fix" button of
 * error messages). The `@ext:` query works in remote windows too, where a bare setting id can
 * land on "No Settings Found" (machine-scoped settings live in the remote tab).
 */
export function openSettings(setting: string): Thenable<unknown> {
    return vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${EXTENSION_ID} ${setting}`);
}
