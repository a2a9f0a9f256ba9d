/**
 * Which Python runs the server, and whether leanstar is importable there. Checking first turns
 * "the server exited with code 1" into a message that says what to install and where.
 */
import { execFile } from 'node:child_process';
import type { Uri } from 'vscode';
import { PACKAGE_MODULE, PREFLIGHT_TIMEOUT_MS, PYTHON_EXTENSION_ID } from './constants';
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
    | { ok: false; reason: 'interpreterMissing' | 'packageMissing' | 'timeout'; detail: string };

/** Runs `<python> -c "import <module>"`; says which of the three ways it failed, if it did. */
export function checkPackageInstalled(
    python: string,
    module: string = PACKAGE_MODULE,
    timeoutMs: number = PREFLIGHT_TIMEOUT_MS,
): Promise<Preflight> {
    return new Promise((resolve) => {
        execFile(python, ['-c', `import ${module}`], { timeout: timeoutMs }, (error, _stdout, stderr) => {
            if (!error) {
                resolve({ ok: true });
            } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
                resolve({ ok: false, reason: 'interpreterMissing', detail: `${python}: no such program` });
            } else if (error.killed) {
                resolve({ ok: false, reason: 'timeout', detail: `import ${module} took over ${timeoutMs / 1000} s` });
            } else {
                const lastLine = stderr.trim().split('\n').pop() ?? error.message;
                resolve({ ok: false, reason: 'packageMissing', detail: lastLine });
            }
        });
    });
}

/** The message shown for a failed pre-flight check: the step that failed and the fix. */
export function preflightMessage(python: string, failure: Exclude<Preflight, { ok: true }>): string {
    switch (failure.reason) {
        case 'interpreterMissing':
            return (
                `Leanstar: the Python interpreter "${python}" was not found. ` +
                'Set leanstar.python.interpreter to a Python 3.10+ that has leanstar installed.'
            );
        case 'packageMissing':
            return (
                `Leanstar: leanstar is not installed for ${python}: ` +
                `run \`${python} -m pip install leanstar\` (${failure.detail}).`
            );
        case 'timeout':
            return (
                `Leanstar: checking the leanstar package with ${python} timed out (${failure.detail}). ` +
                'Run "Leanstar: Restart server" to try again.'
            );
    }
}
