import { beforeEach, describe, expect, it } from 'vitest';
import { checkIfConfigurationChanged, getWorkspaceSettings } from '../src/common/settings';
import { resetVscodeMock, settingsStore } from './vscode.mock';

beforeEach(resetVscodeMock);

describe('getWorkspaceSettings', () => {
    it('gives the documented defaults when nothing is set', () => {
        expect(getWorkspaceSettings()).toEqual({
            python: { interpreter: '', installFrom: '' },
            model: { backend: 'embedded', token: '' },
            suggest: { n: 8, temperature: 0.7 },
            timeouts: { leanCheckSeconds: 10, modelSeconds: 60, goalBridgeSeconds: 3 },
            trigger: 'manual',
            trace: { server: 'off' },
        });
    });

    it('reads every leanstar.* setting into the nested shape sent to the server', () => {
        const values: Record<string, unknown> = {
            'leanstar.python.interpreter': ' /opt/venv/bin/python ',
            'leanstar.model.backend': 'ws://gpu-box:8765',
            'leanstar.model.token': 's3cret',
            'leanstar.suggest.n': 4,
            'leanstar.suggest.temperature': 1.1,
            'leanstar.timeouts.leanCheckSeconds': 5,
            'leanstar.timeouts.modelSeconds': 30,
            'leanstar.timeouts.goalBridgeSeconds': 0.5,
            'leanstar.trigger': 'automatic',
            'leanstar.trace.server': 'verbose',
        };
        for (const [key, value] of Object.entries(values)) {
            settingsStore.set(key, value);
        }
        expect(getWorkspaceSettings()).toEqual({
            python: { interpreter: '/opt/venv/bin/python', installFrom: '' },
            model: { backend: 'ws://gpu-box:8765', token: 's3cret' },
            suggest: { n: 4, temperature: 1.1 },
            timeouts: { leanCheckSeconds: 5, modelSeconds: 30, goalBridgeSeconds: 0.5 },
            trigger: 'automatic',
            trace: { server: 'verbose' },
        });
    });

    it('replaces values the server could not use with the defaults', () => {
        settingsStore.set('leanstar.model.backend', '   ');
        settingsStore.set('leanstar.suggest.n', 2.5);
        settingsStore.set('leanstar.timeouts.modelSeconds', -1);
        settingsStore.set('leanstar.trigger', 'sometimes');
        settingsStore.set('leanstar.trace.server', 'loud');
        const settings = getWorkspaceSettings();
        expect(settings.model.backend).toBe('embedded');
        expect(settings.suggest.n).toBe(8);
        expect(settings.timeouts.modelSeconds).toBe(60);
        expect(settings.trigger).toBe('manual');
        expect(settings.trace.server).toBe('off');
    });
});

describe('checkIfConfigurationChanged', () => {
    const changeOf = (changed: string) => ({
        affectsConfiguration: (name: string) => changed === name || changed.startsWith(`${name}.`),
    });

    it('asks for a restart only when the interpreter changes', () => {
        expect(checkIfConfigurationChanged(changeOf('leanstar.python.interpreter'))).toBe(true);
        // Forwarded to the running server by workspace/didChangeConfiguration instead.
        expect(checkIfConfigurationChanged(changeOf('leanstar.model.backend'))).toBe(false);
        expect(checkIfConfigurationChanged(changeOf('leanstar.suggest.n'))).toBe(false);
        expect(checkIfConfigurationChanged(changeOf('editor.fontSize'))).toBe(false);
    });
});
