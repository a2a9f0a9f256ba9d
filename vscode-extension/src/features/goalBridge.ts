/**
 * Answers the server's `leanstar/plainGoal` by asking the official Lean 4 extension (vscode-lean4),
 * whose Lean already elaborated the open file: no second elaboration for the common case.
 *
 * vscode-lean4's exports are not a promised API, so every step is guarded and the whole exchange
 * has a deadline. Any failure answers `null`; the server then asks its own Lean.
 *
 * `GoalBridge` answers `null` at once, without asking vscode-lean4, where waiting cannot help:
 * - files of leanstar's embedded world (`prelude` + `import LeanstarCore`): the Lean 4 extension
 *   cannot build them (no elan: it never finishes starting; with elan: `unknown module prefix
 *   'LeanstarCore'`), so leanstar's own Lean reads their goals;
 * - after one timeout: vscode-lean4 is not healthy in this window, so later requests do not wait
 *   the goal-bridge timeout again (until the leanstar server restarts).
 */
import type { Uri } from 'vscode';
import { LEAN4_EXTENSION_ID, LEAN_PLAIN_GOAL } from '../common/constants';
import type { PlainGoalResult, TextDocumentPositionParams } from '../common/protocol';
import { TimeoutError, withTimeout } from '../common/timeout';
import { getExtension } from '../common/vscodeapi';

/** Does this text start like a file of leanstar's embedded world (comments and blank lines aside)? */
export function isEmbeddedWorldFile(text: string): boolean {
    const code = text
        .slice(0, 4000) // the header is at the top
        .replace(/\/-[\s\S]*?-\//g, ' ')
        .split('\n')
        .map((line) => line.replace(/--.*$/, '').trim())
        .filter((line) => line !== '');
    return code[0] === 'prelude' && /^import\s+LeanstarCore\b/.test(code[1] ?? '');
}

export class GoalBridge {
    private unhealthy = false;

    constructor(private readonly log: BridgeLog = () => undefined) {}

    /** After a restart of the leanstar server, vscode-lean4 gets another chance. */
    reset(): void {
        this.unhealthy = false;
    }

    async plainGoal(
        params: TextDocumentPositionParams,
        timeoutMs: number,
        documentUri?: Uri,
        text?: string,
    ): Promise<PlainGoalResult | null> {
        if (text !== undefined && isEmbeddedWorldFile(text)) {
            return null; // leanstar's own Lean builds LeanstarCore; vscode-lean4 cannot
        }
        if (this.unhealthy) {
            return null;
        }
        return plainGoalFromLean4(params, timeoutMs, this.log, documentUri, (e) => {
            if (e instanceof TimeoutError) {
                this.unhealthy = true;
                this.log(
                    `${LEAN4_EXTENSION_ID} did not answer within ${timeoutMs / 1000} s: leanstar reads goals with its own ` +
                        'Lean until the server restarts',
                );
            }
        });
    }
}

/** The few members of vscode-lean4's LeanClient and LeanClientProvider used here. */
interface LeanClientLike {
    sendRequest(method: string, params: unknown): PromiseLike<unknown>;
}
interface ClientProviderLike {
    getActiveClient?(): LeanClientLike | undefined;
    findClient?(uri: unknown): LeanClientLike | undefined;
    getClients?(): LeanClientLike[];
}

/** Logs why the bridge gave up (the server's fallback is silent otherwise). */
export type BridgeLog = (message: string) => void;

export async function plainGoalFromLean4(
    params: TextDocumentPositionParams,
    timeoutMs: number,
    log: BridgeLog = () => undefined,
    documentUri?: Uri,
    onFailure: (e: unknown) => void = () => undefined,
): Promise<PlainGoalResult | null> {
    try {
        return await withTimeout(askLean4(params, documentUri), timeoutMs, 'The Lean 4 extension');
    } catch (e) {
        log(`plainGoal via ${LEAN4_EXTENSION_ID} failed, the server falls back to its own Lean: ${String(e)}`);
        onFailure(e);
        return null;
    }
}

async function askLean4(params: TextDocumentPositionParams, documentUri?: Uri): Promise<PlainGoalResult | null> {
    const ext = getExtension<unknown>(LEAN4_EXTENSION_ID);
    if (!ext) {
        throw new Error(`${LEAN4_EXTENSION_ID} is not installed`);
    }
    const exports = ext.isActive ? ext.exports : await ext.activate();
    const provider = await clientProviderOf(exports);
    const client = pickClient(provider, documentUri);
    if (!client) {
        throw new Error('vscode-lean4 has no Lean client for this file');
    }
    const reply = await client.sendRequest(LEAN_PLAIN_GOAL, {
        textDocument: { uri: params.textDocument.uri },
        position: params.position,
    });
    // Lean answers `{rendered, goals}`, or null when there is no tactic state at the position.
    const goals = (reply as { goals?: unknown } | null)?.goals;
    if (!Array.isArray(goals) || !goals.every((g) => typeof g === 'string')) {
        return null;
    }
    return { goals };
}

/**
 * The client provider from either export shape: recent versions export
 * `{lean4EnabledFeatures: Promise<{clientProvider, ...}>}` (for a while it was named
 * `activatedLean4Features`), older ones `{clientProvider}` directly.
 */
async function clientProviderOf(exports: unknown): Promise<ClientProviderLike> {
    const record = (exports ?? {}) as Record<string, unknown>;
    const pending = record.lean4EnabledFeatures ?? record.activatedLean4Features;
    const features = isThenable(pending) ? await pending : record;
    const provider = (features as Record<string, unknown> | undefined)?.clientProvider;
    if (!provider || typeof provider !== 'object') {
        throw new Error('vscode-lean4 exports no clientProvider (unknown version of its API)');
    }
    return provider as ClientProviderLike;
}

/** The client for the document if the provider can say; else the active one; else the only one. */
function pickClient(provider: ClientProviderLike, documentUri?: Uri): LeanClientLike | undefined {
    if (documentUri && typeof provider.findClient === 'function') {
        try {
            // findClient takes vscode-lean4's own URI type in recent versions; a vscode.Uri may
            // be refused, in which case the other two ways still work.
            const found = provider.findClient(documentUri);
            if (found) {
                return found;
            }
        } catch {
            // fall through
        }
    }
    const active = typeof provider.getActiveClient === 'function' ? provider.getActiveClient() : undefined;
    if (active) {
        return active;
    }
    const all = typeof provider.getClients === 'function' ? provider.getClients() : [];
    return all.length === 1 ? all[0] : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
    return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
