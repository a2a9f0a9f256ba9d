/**
 * The leanstar language server's lifecycle: check the Python side, start `<python> -m leanstar.cli lsp`
 * over stdio, wire the server's requests and notifications, stop, restart.
 *
 * All of it lives in one object owned by `activate`; restarting is one code path with a re-entry
 * guard (a restart asked for during a restart runs once more afterwards instead of overlapping).
 */
import * as vscode from 'vscode';
import {
    CloseAction,
    ErrorAction,
    LanguageClient,
    RevealOutputChannelOn,
    State,
    TransportKind,
    WorkDoneProgress,
    type CloseHandlerResult,
    type ErrorHandler,
    type ErrorHandlerResult,
    type LanguageClientOptions,
    type ServerOptions,
} from 'vscode-languageclient/node';
import { GoalBridge } from '../features/goalBridge';
import { displayable, lspTriggerKind, LSP_TRIGGER } from '../features/inline';
import type { ServerStatus } from '../features/status';
import { COMMANDS, CONFIG_SECTION, EXTENSION_NAME, SERVER_ARGS } from './constants';
import { describeError } from './log';
import { PLAIN_GOAL, STATUS, type StatusParams, type TextDocumentPositionParams } from './protocol';
import { checkPackageInstalled, installHint, preflightMessage, resolveInterpreter, type Preflight } from './python';
import { getWorkspaceSettings, type LeanstarSettings } from './settings';
import { openSettings, projectRoot } from './vscodeapi';

const STOP_TIMEOUT_MS = 2_000;
const MAX_CRASHES = 4;
const CRASH_WINDOW_MS = 3 * 60_000;

export interface ServerLaunch {
    /** The folder of the extension (to find the leanstar checkout it may sit in). */
    extensionPath?: string;
    python: string;
    cwd: string | undefined;
    settings: LeanstarSettings;
    log: vscode.LogOutputChannel;
    crashPolicy: CrashPolicy;
}

/**
 * What the LanguageClient does when the connection breaks. A server that crashes while running is
 * restarted (up to MAX_CRASHES in CRASH_WINDOW_MS); one that dies while starting is not: that is a
 * setup problem (wrong leanstar version, broken install) and LeanstarServer reports it once,
 * instead of the client's default restart loop with a message per attempt.
 */
export class CrashPolicy implements ErrorHandler {
    private started = false;
    private crashes: number[] = [];

    constructor(private readonly log: vscode.LogOutputChannel) {}

    /** Called once the server answered `initialize`. */
    markStarted(): void {
        this.started = true;
    }

    error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
        return { action: (count ?? 1) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
    }

    closed(): CloseHandlerResult {
        if (!this.started) {
            return { action: CloseAction.DoNotRestart, handled: true };
        }
        const now = Date.now();
        this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
        if (this.crashes.length > MAX_CRASHES) {
            const message =
                `Leanstar: the server stopped ${this.crashes.length} times in ${CRASH_WINDOW_MS / 60_000} minutes. ` +
                'See the Leanstar output for its error, then run "Leanstar: Restart server".';
            this.log.error(message);
            return { action: CloseAction.DoNotRestart, message, handled: false };
        }
        this.log.warn('Server: the connection closed unexpectedly; restarting it');
        return { action: CloseAction.Restart, handled: true };
    }
}

/** The LanguageClient for one server process; settings go along as `initializationOptions`. */
export function createLanguageClient(launch: ServerLaunch): LanguageClient {
    const serverOptions: ServerOptions = {
        command: launch.python,
        args: SERVER_ARGS,
        transport: TransportKind.stdio,
        options: { cwd: launch.cwd, env: { ...process.env } },
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: 'file', language: 'lean4' }],
        // Later changes of any leanstar.* setting reach the server as workspace/didChangeConfiguration.
        synchronize: { configurationSection: CONFIG_SECTION },
        initializationOptions: launch.settings,
        outputChannel: launch.log,
        revealOutputChannelOn: RevealOutputChannelOn.Never,
        errorHandler: launch.crashPolicy,
        // LeanstarServer.start reports a failed start itself, once, with the fix.
        initializationFailedHandler: () => false,
        middleware: { provideInlineCompletionItems },
    };
    const client = new LanguageClient(CONFIG_SECTION, EXTENSION_NAME, serverOptions, clientOptions);
    // Inline completions are a "proposed" feature in vscode-languageclient 9: without this the
    // client never registers the server's inlineCompletionProvider with VS Code.
    client.registerProposedFeatures();
    return client;
}

/**
 * The client's inline-completion middleware (see features/inline.ts): LSP trigger kinds, no
 * request on typing unless leanstar.trigger is "automatic", and items rewritten so VS Code shows them.
 */
export async function provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
    next: (
        document: vscode.TextDocument,
        position: vscode.Position,
        context: vscode.InlineCompletionContext,
        token: vscode.CancellationToken,
    ) => vscode.ProviderResult<vscode.InlineCompletionItem[] | vscode.InlineCompletionList>,
): Promise<vscode.InlineCompletionItem[] | undefined> {
    const kind = lspTriggerKind(context.triggerKind as number);
    if (kind === LSP_TRIGGER.Automatic && getWorkspaceSettings(document.uri).trigger !== 'automatic') {
        return undefined;
    }
    // selectedCompletionInfo is passed through unconverted by the client (a vscode.Range would
    // reach the server in VS Code's JSON shape): the server does not use it, so it is left out.
    const mapped = { triggerKind: kind, selectedCompletionInfo: undefined } as unknown as vscode.InlineCompletionContext;
    const answer = await next(document, position, mapped, token);
    const items = Array.isArray(answer) ? answer : (answer?.items ?? []);
    const line = document.lineAt(position.line).text;
    return items.map((item) => {
        const range = item.range;
        const text = typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
        if (!range) {
            return item;
        }
        const plan = displayable(line, position, range, text);
        if (plan.kind === 'asIs') {
            return item;
        }
        const at = new vscode.Range(plan.range.start.line, plan.range.start.character, plan.range.end.line, plan.range.end.character);
        const shown = new vscode.InlineCompletionItem(plan.text, at);
        if (plan.kind === 'insertThenFix') {
            shown.command = {
                title: 'Leanstar: finish the suggestion',
                command: COMMANDS.finishInline,
                arguments: [document.uri.toString(), document.version + 1, plan.fix],
            };
        }
        return shown;
    });
}

/**
 * The running client as commands use it: requests, the protocol converter, and work-done
 * progress under a command's own token. A plain object that delegates (the client's
 * properties are getters: they cannot be copied onto another object).
 */
export function commandClient(client: LanguageClient | undefined) {
    if (!client) {
        return undefined;
    }
    return {
        sendRequest: client.sendRequest.bind(client) as LanguageClient['sendRequest'],
        get protocol2CodeConverter() {
            return client.protocol2CodeConverter;
        },
        onProgress: (token: string, handler: (value: { kind: string; message?: string }) => void) =>
            client.onProgress(WorkDoneProgress.type, token, handler),
    };
}

export class LeanstarServer implements vscode.Disposable {
    private client: LanguageClient | undefined;
    private clientDisposables: vscode.Disposable[] = [];
    private restarting: Promise<void> | undefined;
    private restartRequested = false;

    private readonly goalBridge: GoalBridge;

    constructor(
        private readonly log: vscode.LogOutputChannel,
        private readonly status: ServerStatus,
        private readonly makeClient: (launch: ServerLaunch) => LanguageClient = createLanguageClient,
        private readonly extensionPath?: string,
        private readonly preflight: (python: string) => Promise<Preflight> = checkPackageInstalled,
    ) {
        this.goalBridge = new GoalBridge((m) => this.log.info(m));
    }

    /** The client if the server is up; otherwise says so (with the fix) and returns undefined. */
    runningClient(): LanguageClient | undefined {
        if (this.client?.isRunning()) {
            return this.client;
        }
        if (this.restarting) {
            void vscode.window.showInformationMessage('Leanstar: the server is still starting; try again in a moment.');
        } else {
            void this.explainNotRunning();
        }
        return undefined;
    }

    /**
     * Stops the current server (if any) and starts a new one. Calls made while a restart is in
     * progress do not start a second one in parallel: they make the running restart go round once
     * more, and resolve when that is done.
     */
    restart(): Promise<void> {
        if (this.restarting) {
            this.restartRequested = true;
            return this.restarting;
        }
        this.restarting = (async () => {
            do {
                await this.stop();
                // Requests up to here are served by this round (it reads the settings next);
                // later ones may carry newer settings, so they make the loop go round again.
                this.restartRequested = false;
                await this.start();
            } while (this.restartRequested);
        })().finally(() => {
            this.restarting = undefined;
        });
        return this.restarting;
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        this.clientDisposables.forEach((d) => d.dispose());
        this.clientDisposables = [];
        if (client) {
            this.log.info('Server: stop requested');
            try {
                await client.stop(STOP_TIMEOUT_MS);
            } catch (e) {
                this.log.warn(`Server: stop failed (the process is left to exit on its own): ${describeError(e)}`);
            }
        }
        this.status.stopped();
    }

    dispose(): void {
        void this.stop();
    }

    private async start(): Promise<void> {
        this.status.starting();
        const root = projectRoot();
        const settings = getWorkspaceSettings(root?.uri);

        // Step 1: a Python with leanstar installed.
        const python = await resolveInterpreter(settings, root?.uri);
        const preflight = await this.preflight(python);
        if (!preflight.ok) {
            const hint = installHint(python, settings, this.extensionPath);
            const message = preflightMessage(python, preflight, hint);
            this.log.error(`Server: pre-flight check failed: ${message}`);
            this.status.stopped(message);
            void this.offerSettings(message, 'leanstar.python', hint?.command);
            return;
        }

        // Step 2: the server process and the handlers for what it asks of the client.
        const command = [python, ...SERVER_ARGS].join(' ');
        this.log.info(`Server: starting \`${command}\` in ${root?.uri.fsPath ?? '(no folder)'}`);
        const crashPolicy = new CrashPolicy(this.log);
        const client = this.makeClient({ extensionPath: this.extensionPath, python, cwd: root?.uri.fsPath, settings, log: this.log, crashPolicy });
        this.goalBridge.reset(); // a restart gives the Lean 4 extension another chance
        this.clientDisposables.push(
            client.onNotification(STATUS, (params: StatusParams) => this.status.update(params)),
            client.onRequest(PLAIN_GOAL, (params: TextDocumentPositionParams) => {
                const uri = vscode.Uri.parse(params.textDocument.uri);
                const text = vscode.workspace.textDocuments.find((d) => d.uri.toString() === params.textDocument.uri)?.getText();
                return this.goalBridge.plainGoal(params, getWorkspaceSettings(root?.uri).timeouts.goalBridgeSeconds * 1000, uri, text);
            }),
            // Also covers the client's own restarts after a crash (see CrashPolicy).
            client.onDidChangeState((e) => {
                if (e.newState === State.Starting) {
                    this.status.starting();
                } else if (e.newState === State.Running) {
                    this.status.started();
                } else if (e.newState === State.Stopped) {
                    this.status.stopped();
                }
            }),
        );
        try {
            await client.start();
            // start() can resolve although the process died during `initialize` (the client
            // forgets its start promise when the connection closes), so check the state too.
            if (!client.isRunning()) {
                throw new Error('the server process exited during initialization');
            }
            crashPolicy.markStarted();
            this.client = client;
            this.status.started();
            this.log.info('Server: running');
        } catch (e) {
            // The pre-flight check imported leanstar.server.lsp, so this is not an old leanstar
            // without the `lsp` command: the cause is in the server's own error output.
            const message =
                `Leanstar: the server (\`${command}\`) failed to start: ${describeError(e)}. ` +
                'Its error is in the Leanstar output (Show output).';
            this.log.error(message);
            this.status.stopped(message);
            this.clientDisposables.forEach((d) => d.dispose());
            this.clientDisposables = [];
            // The failed client owns nothing that still runs; disposing it may complain about its state.
            client.dispose().catch(() => undefined);
            void this.offerSettings(message, 'leanstar');
        }
    }

    private async explainNotRunning(): Promise<void> {
        const choice = await vscode.window.showWarningMessage(
            'Leanstar: the server is not running. Fix the cause shown in the Leanstar output, then restart it.',
            'Restart server',
            'Show output',
        );
        if (choice === 'Restart server') {
            await this.restart();
        } else if (choice === 'Show output') {
            this.log.show();
        }
    }

    private async offerSettings(message: string, setting: string, command?: string): Promise<void> {
        const buttons = command ? ['Copy install command', 'Open settings', 'Show output'] : ['Open settings', 'Show output'];
        const choice = await vscode.window.showErrorMessage(message, ...buttons);
        if (choice === 'Copy install command' && command) {
            await vscode.env.clipboard.writeText(command);
        } else if (choice === 'Open settings') {
            await openSettings(setting);
        } else if (choice === 'Show output') {
            this.log.show();
        }
    }
}
