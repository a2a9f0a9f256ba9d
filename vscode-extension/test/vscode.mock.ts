/**
 * The `vscode` module for tests (vitest.config.ts aliases `vscode` here). Only what the extension
 * touches, as vi.fn()s that each test programs; `resetVscodeMock()` restores a clean state.
 */
import { vi } from 'vitest';

// ---- values -------------------------------------------------------------------------------

export class Position {
    constructor(
        readonly line: number,
        readonly character: number,
    ) {}
}

export class Range {
    readonly start: Position;
    readonly end: Position;
    constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
        this.start = new Position(startLine, startCharacter);
        this.end = new Position(endLine, endCharacter);
    }
}

export class Selection extends Range {
    constructor(
        readonly anchor: Position,
        readonly active: Position,
    ) {
        super(anchor.line, anchor.character, active.line, active.character);
    }
}

export class ThemeColor {
    constructor(readonly id: string) {}
}

export class Uri {
    private constructor(private readonly value: string) {}
    static parse(value: string): Uri {
        return new Uri(value);
    }
    static file(path: string): Uri {
        return new Uri(`file://${path}`);
    }
    get fsPath(): string {
        return this.value.replace(/^file:\/\//, '');
    }
    toString(): string {
        return this.value;
    }
}

export enum StatusBarAlignment {
    Left = 1,
    Right = 2,
}

export enum QuickPickItemKind {
    Separator = -1,
    Default = 0,
}

export class InlineCompletionItem {
    command?: { title: string; command: string; arguments?: unknown[] };
    constructor(
        readonly insertText: string,
        readonly range?: Range,
    ) {}
}

export class WorkspaceEdit {
    readonly edits: { uri: unknown; range: Range; text: string }[] = [];
    replace(uri: unknown, range: Range, text: string): void {
        this.edits.push({ uri, range, text });
    }
}

export enum ProgressLocation {
    SourceControl = 1,
    Window = 10,
    Notification = 15,
}

// ---- settings -----------------------------------------------------------------------------

/** The user's settings, flat: `{'leanstar.suggest.n': 4}`. */
export const settingsStore = new Map<string, unknown>();

function configuration(section: string) {
    return {
        get<T>(key: string, fallback?: T): T | undefined {
            const full = `${section}.${key}`;
            return settingsStore.has(full) ? (settingsStore.get(full) as T) : fallback;
        },
    };
}

// ---- namespaces ---------------------------------------------------------------------------

export interface FakeStatusBarItem {
    text: string;
    tooltip?: string;
    command?: string;
    name?: string;
    backgroundColor?: ThemeColor;
    show: () => void;
    dispose: () => void;
}

export const statusBarItems: FakeStatusBarItem[] = [];

export const window = {
    activeTextEditor: undefined as unknown,
    createStatusBarItem: vi.fn(() => {
        const item: FakeStatusBarItem = { text: '', show: vi.fn(), dispose: vi.fn() };
        statusBarItems.push(item);
        return item;
    }),
    createOutputChannel: vi.fn(() => ({
        info: vi.fn(),
        warn: vi.fn(),
        error: vi.fn(),
        appendLine: vi.fn(),
        show: vi.fn(),
        dispose: vi.fn(),
    })),
    showInformationMessage: vi.fn(async (..._args: unknown[]): Promise<string | undefined> => undefined),
    showWarningMessage: vi.fn(async (..._args: unknown[]): Promise<string | undefined> => undefined),
    showErrorMessage: vi.fn(async (..._args: unknown[]): Promise<string | undefined> => undefined),
    showQuickPick: vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined),
    /** Runs the task at once with a token that is never cancelled. */
    withProgress: vi.fn(async (_options: unknown, task: (progress: unknown, token: unknown) => unknown) =>
        task({ report: vi.fn() }, { isCancellationRequested: false, onCancellationRequested: vi.fn() }),
    ),
};

export const workspace = {
    workspaceFolders: undefined as unknown,
    textDocuments: [] as unknown[],
    getConfiguration: vi.fn((section: string) => configuration(section)),
    getWorkspaceFolder: vi.fn(() => undefined),
    onDidChangeConfiguration: vi.fn(() => ({ dispose: vi.fn() })),
    applyEdit: vi.fn(async () => true),
    openTextDocument: vi.fn(async () => ({ uri: Uri.parse('untitled:explain.md') })),
};

export const extensions = {
    getExtension: vi.fn((_id: string): unknown => undefined),
};

export const commands = {
    registerCommand: vi.fn(() => ({ dispose: vi.fn() })),
    executeCommand: vi.fn(async () => undefined),
};

export const env = {
    clipboard: { writeText: vi.fn(async () => undefined) },
};

/** Back to no settings, no editor, no extensions, fresh call records. */
export function resetVscodeMock(): void {
    settingsStore.clear();
    statusBarItems.length = 0;
    window.activeTextEditor = undefined;
    workspace.workspaceFolders = undefined;
    workspace.textDocuments = [];
    for (const ns of [window, workspace, extensions, commands]) {
        for (const value of Object.values(ns)) {
            if (vi.isMockFunction(value)) {
                value.mockClear();
            }
        }
    }
    extensions.getExtension.mockImplementation(() => undefined);
    window.showQuickPick.mockImplementation(async () => undefined);
    window.showInformationMessage.mockImplementation(async () => undefined);
    window.showWarningMessage.mockImplementation(async () => undefined);
    window.showErrorMessage.mockImplementation(async () => undefined);
}
