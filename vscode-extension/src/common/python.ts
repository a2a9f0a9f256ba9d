/**
 * Which Python runs the server, and whether leanstar is importable there. Checking first turns
 * "the server exited with code 1" into a message that says what to install and where.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Uri } from 'vscode';
import { PACKAGE_MODULE, PREFLIGHT_TIMEOUT_MS, PYTHON_EXTENSION_ID, SERVER_MODULE } from './constants';
import type { LeanstarSettings } from './settings';
import { withTimeout } from './timeout';
import { getExtension } from './vscodeapi';

const DEFAULT_PYTHON = 'python3';
const PYTHON_EXTENSION_TIMEOUT_MS = 5_000;

/** The part of the Python extension's API (`ms-python.python` exports) used here. */
interface PythonExtensionApi {
    environments?: { getActiveEnvironmentPath?(resource?: Uri): { path?: string } | undefined };
}

/**
 * `leanstar.python.interpreter` if set; else the Python extension's selected interpreter;
 * else `python3`. The Python extension is optional, so any failure there falls through.
 */
export async function resolveInterpreter(settings: LeanstarSettings, resource?: Uri): Promise<string> {
    if (settings.python.interpreter) {
        return settings.python.interpreter;
    }
    const ext = getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (ext) {
        try {
            const api = ext.isActive
                ? ext.exports
                : await withTimeout(ext.activate(), PYTHON_EXTENSION_TIMEOUT_MS, 'The Python extension');
            const selected = api?.environments?.getActiveEnvironmentPath?.(resource)?.path;
            if (selected) {
                return selected;
            }
        } catch {
            // No usable selection: the default below is what the setting's description promises.
        }
    }
    return DEFAULT_PYTHON;
}

export type Preflight =
    | { ok: true }
    | { ok: false; reason: 'interpreterMissing' | 'packageMissing' | 'tooOld' | 'broken' | 'timeout'; detail: string };

/**
 * Runs `<python> -c "import <package>, <server module>"`; says which way it failed, if it did:
 * no interpreter, no leanstar, a leanstar without the language server (too old), or an install
 * whose import fails for another reason (broken).
 */
export function checkPackageInstalled(
    python: string,
    module: string = PACKAGE_MODULE,
    timeoutMs: number = PREFLIGHT_TIMEOUT_MS,
    serverModule: string = SERVER_MODULE,
): Promise<Preflight> {
    const modules = serverModule ? `${module}, ${serverModule}` : module;
    return new Promise((resolve) => {
        execFile(python, ['-c', `import ${modules}`], { timeout: timeoutMs }, (error, _stdout, stderr) => {
            if (!error) {
                resolve({ ok: true });
            } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
                resolve({ ok: false, reason: 'interpreterMissing', detail: `${python}: no such program` });
            } else if (error.killed) {
                resolve({ ok: false, reason: 'timeout', detail: `import ${module} took over ${timeoutMs / 1000} s` });
            } else {
                const lastLine = stderr.trim().split('\n').pop() ?? error.message;
                const missing = /No module named '([^']+)'/.exec(lastLine)?.[1];
                const reason =
                    missing === module ? 'packageMissing' : missing?.startsWith(`${module}.`) ? 'tooOld' : 'broken';
                resolve({ ok: false, reason, detail: lastLine });
            }
        });
    });
}

/** How to install leanstar for this interpreter: a command that works for this install. */
export interface InstallHint {
    command: string;
    /** Where the source came from, for the message. */
    from: string;
}

/**
 * The install command for leanstar: from leanstar.python.installFrom (a checkout folder or a
 * wheel) when set; else from the leanstar checkout this extension sits in (vscode-extension/ of
 * the repository), or a wheel next to it. leanstar is not on the package index, so there is no
 * `pip install leanstar` to offer; undefined when no source is known.
 */
export function installHint(python: string, settings: LeanstarSettings, extensionPath?: string): InstallHint | undefined {
    const quote = (p: string) => (/[\s"']/.test(p) ? `"${p}"` : p);
    const configured = settings.python.installFrom;
    if (configured) {
        const editable = existsSync(join(configured, 'pyproject.toml')) ? '-e ' : '';
        return { command: `${quote(python)} -m pip install ${editable}${quote(configured)}`, from: 'leanstar.python.installFrom' };
    }
    if (extensionPath) {
        const checkout = dirname(extensionPath);
        const pyproject = join(checkout, 'pyproject.toml');
        if (existsSync(pyproject) && /name\s*=\s*"leanstar"/.test(safeRead(pyproject))) {
            return { command: `${quote(python)} -m pip install -e ${quote(checkout)}`, from: 'the leanstar checkout of this extension' };
        }
        const wheel = safeList(extensionPath).find((f) => /^leanstar-.*\.whl$/.test(f));
        if (wheel) {
            return { command: `${quote(python)} -m pip install ${quote(join(extensionPath, wheel))}`, from: 'the wheel shipped with this extension' };
        }
    }
    return undefined;
}

function safeRead(path: string): string {
    try {
        return readFileSync(path, 'utf8');
    } catch {
        return '';
    }
}

function safeList(folder: string): string[] {
    try {
        return readdirSync(folder);
    } catch {
        return [];
    }
}

/** The message shown for a failed pre-flight check: the step that failed and the fix. */
export function preflightMessage(python: string, failure: Exclude<Preflight, { ok: true }>, hint?: InstallHint): string {
    const install = hint
        ? `run \`${hint.command}\` (from ${hint.from})`
        : 'install it from its checkout or wheel (`' + python + ' -m pip install PATH`) and set ' +
          'leanstar.python.installFrom to that PATH, or set leanstar.python.interpreter to a Python that has it';
    switch (failure.reason) {
        case 'interpreterMissing':
            return (
                `Leanstar: the Python interpreter "${python}" was not found. ` +
                'Set leanstar.python.interpreter to a Python 3.10+ that has leanstar installed.'
            );
        case 'packageMissing':
            return `Leanstar: leanstar is not installed for ${python}: ${install} (${failure.detail}).`;
        case 'tooOld':
            return `Leanstar: the leanstar installed for ${python} has no language server (too old): ${install} (${failure.detail}).`;
        case 'broken':
            return (
                `Leanstar: importing leanstar with ${python} fails: ${failure.detail}. ` +
                'Reinstall it into that environment, or set leanstar.python.interpreter to another Python.'
            );
        case 'timeout':
            return (
                `Leanstar: checking the leanstar package with ${python} timed out (${failure.detail}). ` +
                'Run "Leanstar: Restart server" to try again.'
            );
    }
}
