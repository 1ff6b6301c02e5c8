import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { cellsChannelHandler } from '../src/channel';
import { IRunTranscript } from '../src/schema';
import { FakeNotebook } from './fakes';
import { fixture } from './fixture';

const run = fixture as unknown as IRunTranscript;

/** A comm as far as the handler uses it: `send` and `onMsg`. */
function fakeComm(): { comm: Kernel.IComm; sent: unknown[] } {
  const sent: unknown[] = [];
  const comm = { send: (data: unknown) => sent.push(data), onMsg: undefined } as unknown as Kernel.IComm;
  return { comm, sent };
}

function openMsg(parent: string, data: object): KernelMessage.ICommOpenMsg {
  return { parent_header: { msg_id: parent }, content: { data } } as unknown as KernelMessage.ICommOpenMsg;
}

function stepMsg(data: object): KernelMessage.ICommMsgMsg {
  return { content: { data } } as unknown as KernelMessage.ICommMsgMsg;
}

describe('cellsChannelHandler', () => {
  it('answers hello, clears the previous run and inserts each step below the calling cell', () => {
    const nb = new FakeNotebook(['%%autogpt\ngoal', 'next']);
    const parent = nb.idAt(0);
    const locate = jest.fn((msgId: string) => (msgId === 'exec-1' ? { seam: nb, cellId: parent } : undefined));
    const handler = cellsChannelHandler(locate, '0.1.0');
    for (const runId of ['first', 'second']) {
      const { comm, sent } = fakeComm();
      handler(comm, openMsg('exec-1', { type: 'run', protocol: 1, run_id: runId }));
      expect(sent).toEqual([{ type: 'hello', protocol: 1, version: '0.1.0' }]);
      for (const step of run.steps.filter(s => s.code)) {
        comm.onMsg(stepMsg({ type: 'step', run_id: runId, step }));
      }
      comm.onMsg(stepMsg({ type: 'finished', run_id: runId, status: 'finished' }));
    }
    expect(locate).toHaveBeenCalledWith('exec-1');
    expect(nb.sources()).toEqual(['%%autogpt\ngoal', ...run.steps.filter(s => s.code).map(s => s.code), 'next']);
    expect(nb.markerAt(1)).toEqual({ run_id: 'second', step: 1, parent });
  });

  it('still answers hello when the calling cell is not in this window', () => {
    const { comm, sent } = fakeComm();
    cellsChannelHandler(() => undefined, 'v')(comm, openMsg('elsewhere', { type: 'run', run_id: 'r' }));
    expect(sent).toHaveLength(1);
    expect(comm.onMsg).toBeUndefined();
  });
});
