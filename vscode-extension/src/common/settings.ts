import type { ConfigurationChangeEvent, ConfigurationScope } from 'vscode';
import { CONFIG_SECTION } from './constants';
import { getConfiguration } from './vscodeapi';

/** Every `leanstar.*` setting, read in one place (declared in package.json `contributes.configuration`). */
export interface LeanstarSettings {
    python: { interpreter: string; installFrom: string };
    model: { backend: string; token: string };
    suggest: { n: number; temperature: number };
    timeouts: { leanCheckSeconds: number; modelSeconds: number; goalBridgeSeconds: number };
    trigger: 'manual' | 'automatic';
    trace: { server: 'off' | 'messages' | 'verbose' };
}

/**
 * Reads the settings for a folder (or the window when no scope is given). The defaults repeat
 * package.json's so a missing contribution (tests, a broken install) still yields usable values.
 *
 * The result has the same nested shape as the `leanstar` section that `workspace/didChangeConfiguration`
 * delivers, so the server parses one shape whether it comes from `initializationOptions` or a change.
 */
export function getWorkspaceSettings(scope?: ConfigurationScope): LeanstarSettings {
    const config = getConfiguration(CONFIG_SECTION, scope);
    const trigger = config.get<string>('trigger', 'manual');
    const trace = config.get<string>('trace.server', 'off');
    return {
        python: {
            interpreter: config.get<string>('python.interpreter', '').trim(),
            installFrom: config.get<string>('python.installFrom', '').trim(),
        },
        model: {
            backend: config.get<string>('model.backend', 'embedded').trim() || 'embedded',
            token: config.get<string>('model.token', ''),
        },
        suggest: {
            n: positiveInteger(config.get<number>('suggest.n', 8), 8),
            temperature: config.get<number>('suggest.temperature', 0.7),
        },
        timeouts: {
            leanCheckSeconds: positive(config.get<number>('timeouts.leanCheckSeconds', 10), 10),
            modelSeconds: positive(config.get<number>('timeouts.modelSeconds', 60), 60),
            goalBridgeSeconds: positive(config.get<number>('timeouts.goalBridgeSeconds', 3), 3),
        },
        trigger: trigger === 'automatic' ? 'automatic' : 'manual',
        trace: { server: trace === 'messages' || trace === 'verbose' ? trace : 'off' },
    };
}

/**
 * Settings the running server cannot take over a `workspace/didChangeConfiguration`: a new
 * interpreter means a new process. Everything else is forwarded by the LanguageClient
 * (`synchronize.configurationSection`) and the server applies it in place.
 */
const RESTART_SETTINGS = [`${CONFIG_SECTION}.python.interpreter`, `${CONFIG_SECTION}.python.installFrom`];

export function checkIfConfigurationChanged(e: ConfigurationChangeEvent): boolean {
    return RESTART_SETTINGS.some((name) => e.affectsConfiguration(name));
}

function positive(value: number, fallback: number): number {
    return Number.isFinite(value) && value > 0 ? value : fallback;
}

function positiveInteger(value: number, fallback: number): number {
    return Number.isInteger(value) && value > 0 ? value : fallback;
}
