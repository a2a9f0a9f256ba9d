/**
 * The status-bar item, driven by the server's `leanstar/status` notifications and by the client's
 * own lifecycle (starting, stopped). Problems the user must fix (no Lean, no model) also get a
 * message once per server run, with a button for the fix.
 */
import * as vscode from 'vscode';
import { COMMANDS, EXTENSION_NAME } from '../common/constants';
import type { ServerState, StatusParams } from '../common/protocol';
import { openSettings } from '../common/vscodeapi';

/** The server's states plus the two the client knows before and after the server talks. */
export type DisplayState = ServerState | 'starting' | 'stopped';

interface Look {
    text: string;
    tooltip: string;
    background?: 'warning' | 'error';
    /** Clicking restarts the server in the states a restart can fix. */
    clickRestarts: boolean;
}

const LOOKS: Record<DisplayState, Look> = {
    starting: { text: '$(loading~spin) Leanstar', tooltip: 'Starting the leanstar server', clickRestarts: false },
    ready: { text: '$(check) Leanstar', tooltip: 'Leanstar is ready', clickRestarts: false },
    working: { text: '$(sync~spin) Leanstar', tooltip: 'Leanstar is working', clickRestarts: false },
    modelUnreachable: {
        text: '$(warning) Leanstar: model unreachable',
        tooltip: 'The model is unreachable',
        background: 'warning',
        clickRestarts: true,
    },
    leanMissing: {
        text: '$(error) Leanstar: Lean missing',
        tooltip: 'Lean was not found',
        background: 'error',
        clickRestarts: true,
    },
    error: { text: '$(error) Leanstar', tooltip: 'The leanstar server reported an error', background: 'error', clickRestarts: true },
    stopped: { text: '$(circle-slash) Leanstar', tooltip: 'The leanstar server is not running', clickRestarts: true },
};

export class ServerStatus implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    /** States already announced with a message since the last (re)start, so they are not repeated. */
    private readonly announced = new Set<DisplayState>();
    private current: DisplayState = 'stopped';
    /** When the last one-time message was shown (a command's error right after it is not repeated). */
    private announcedAt = 0;

    constructor(private readonly log: vscode.LogOutputChannel) {
        this.item = vscode.window.createStatusBarItem('leanstar.status', vscode.StatusBarAlignment.Right, 100);
        this.item.name = EXTENSION_NAME;
        this.show('stopped');
        this.item.show();
    }

    get state(): DisplayState {
        return this.current;
    }

    /** Called when a server (re)start begins: shows the spinner and re-arms the one-time messages. */
    starting(): void {
        this.announced.clear();
        this.show('starting');
    }

    /** The server answered `initialize`: ready, unless it already reported a state of its own. */
    started(): void {
        if (this.current === 'starting') {
            this.show('ready');
        }
    }

    stopped(reason?: string): void {
        this.show('stopped', reason);
    }

    /** Handler of the `leanstar/status` notification. */
    update(params: StatusParams): void {
        const state: DisplayState = params.state in LOOKS ? params.state : 'error';
        this.show(state, params.message);
        if (state === 'error' || state === 'leanMissing' || state === 'modelUnreachable') {
            this.log.warn(`Server status ${state}: ${params.message ?? '(no message)'}`);
        }
        if (!this.announced.has(state)) {
            this.announced.add(state);
            this.announcedAt = Date.now();
            void this.announce(state, params.message);
        }
    }

    /**
     * True when a request's error is already on screen: the server reported it as a state that
     * gets its own message (model unreachable, Lean missing) just before answering the request.
     * Commands then show no second message for the same failure.
     */
    explains(_error: unknown): boolean {
        const own = this.current === 'modelUnreachable' || this.current === 'leanMissing';
        return own && Date.now() - this.announcedAt < 10_000;
    }

    dispose(): void {
        this.item.dispose();
    }

    private show(state: DisplayState, message?: string): void {
        const look = LOOKS[state];
        this.current = state;
        this.item.text = look.text;
        const clickHint = look.clickRestarts ? '\n\nClick to restart the server.' : '';
        this.item.tooltip = `${look.tooltip}${message ? `: ${message}` : ''}${clickHint}`;
        this.item.backgroundColor = look.background
            ? new vscode.ThemeColor(`statusBarItem.${look.background}Background`)
            : undefined;
        this.item.command = look.clickRestarts ? COMMANDS.restartServer : undefined;
    }

    /** The one-time message for states the user has to act on; the button applies the fix. */
    private async announce(state: DisplayState, message?: string): Promise<void> {
        const detail = message ? ` (${message})` : '';
        if (state === 'leanMissing') {
            const choice = await vscode.window.showErrorMessage(
                `Leanstar: Lean was not found${detail}. Install Lean with elan ` +
                    '(https://lean-lang.org/install) or open the folder of a Lake project, then restart the server.',
                'Restart server',
            );
            if (choice === 'Restart server') {
                await vscode.commands.executeCommand(COMMANDS.restartServer);
            }
        } else if (state === 'modelUnreachable') {
            const choice = await vscode.window.showWarningMessage(
                `Leanstar: the model is unreachable${detail}. Check leanstar.model.backend and ` +
                    'leanstar.model.token (a remote model server is started with `leanstar serve`).',
                'Open settings',
            );
            if (choice === 'Open settings') {
                await openSettings('leanstar.model');
            }
        }
    }
}
