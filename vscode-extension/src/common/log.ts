/**
 * The "Leanstar" output channel: the extension's own log lines and the LanguageClient's
 * (server stderr, `leanstar.trace.server` traces) end up in the same place.
 */
import * as vscode from 'vscode';
import { EXTENSION_NAME } from './constants';

export function createLog(): vscode.LogOutputChannel {
    return vscode.window.createOutputChannel(EXTENSION_NAME, { log: true });
}

/** Error text for any thrown value (Error, LSP ResponseError, string). */
export function describeError(e: unknown): string {
    if (e instanceof Error) {
        return e.message;
    }
    return typeof e === 'string' ? e : JSON.stringify(e);
}
