import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ServerStatus } from '../src/features/status';
import { commands, resetVscodeMock, statusBarItems, window } from './vscode.mock';

beforeEach(resetVscodeMock);

function makeStatus() {
    const log = window.createOutputChannel();
    const status = new ServerStatus(log as never);
    return { status, item: statusBarItems[0], log };
}

describe('ServerStatus', () => {
    it('starts as a visible "stopped" item', () => {
        const { item } = makeStatus();
        expect(item.show).toHaveBeenCalled();
        expect(item.text).toContain('Leanstar');
        expect(item.command).toBe('leanstar.restartServer');
    });

    it('follows leanstar/status: ready, working, model unreachable, Lean missing', () => {
        const { status, item } = makeStatus();
        status.starting();
        expect(item.text).toBe('$(loading~spin) Leanstar');

        status.update({ state: 'ready' });
        expect(item.text).toBe('$(check) Leanstar');
        expect(item.backgroundColor).toBeUndefined();
        expect(item.command).toBeUndefined();

        status.update({ state: 'working', message: 'checking 8 tactics' });
        expect(item.text).toBe('$(sync~spin) Leanstar');
        expect(item.tooltip).toContain('checking 8 tactics');

        status.update({ state: 'modelUnreachable', message: 'ws://gpu:8765 refused the connection' });
        expect(item.text).toBe('$(warning) Leanstar: model unreachable');
        expect(item.backgroundColor?.id).toBe('statusBarItem.warningBackground');
        expect(item.tooltip).toContain('ws://gpu:8765 refused the connection');

        status.update({ state: 'leanMissing' });
        expect(item.text).toBe('$(error) Leanstar: Lean missing');
        expect(item.backgroundColor?.id).toBe('statusBarItem.errorBackground');
        expect(item.command).toBe('leanstar.restartServer');
        expect(status.state).toBe('leanMissing');
    });

    it('shows ready once the server started, unless the server already reported a state', () => {
        const { status, item } = makeStatus();
        status.starting();
        status.started();
        expect(item.text).toBe('$(check) Leanstar');

        status.starting();
        status.update({ state: 'leanMissing' });
        status.started();
        expect(item.text).toBe('$(error) Leanstar: Lean missing');
    });

    it('tells the user about a missing Lean once per server run, and its button restarts', async () => {
        const { status } = makeStatus();
        window.showErrorMessage.mockImplementation(async () => 'Restart server');
        status.starting();
        status.update({ state: 'leanMissing', message: 'no lean on PATH' });
        status.update({ state: 'leanMissing', message: 'no lean on PATH' });
        await vi.waitFor(() => expect(commands.executeCommand).toHaveBeenCalledWith('leanstar.restartServer'));
        expect(window.showErrorMessage).toHaveBeenCalledOnce();
        expect(window.showErrorMessage.mock.calls[0][0]).toContain('Lean was not found (no lean on PATH)');

        status.starting(); // a restart re-arms the message
        status.update({ state: 'leanMissing' });
        expect(window.showErrorMessage).toHaveBeenCalledTimes(2);
    });

    it('points to the model settings when the model is unreachable', async () => {
        const { status } = makeStatus();
        window.showWarningMessage.mockImplementation(async () => 'Open settings');
        status.update({ state: 'modelUnreachable', message: 'connection refused' });
        await vi.waitFor(() =>
            expect(commands.executeCommand).toHaveBeenCalledWith('workbench.action.openSettings', '@ext:leanstar.leanstar leanstar.model'),
        );
        expect(window.showWarningMessage.mock.calls[0][0]).toContain('leanstar.model.backend');
    });

    it('shows an unknown state as an error instead of failing', () => {
        const { status, item } = makeStatus();
        status.update({ state: 'exploded' as never, message: 'boom' });
        expect(item.text).toBe('$(error) Leanstar');
        expect(item.tooltip).toContain('boom');
    });
});
