/**
 * The kernel's cells channel: a comm the kernel opens at the start of each `%%autogpt` run.
 *
 * Protocol 1 (see `jupyter_autogpt/ui/cells.py`): the open carries `{type: "run", run_id, ...}`; we
 * answer `{type: "hello"}`, find the calling cell from the message's `parent_header.msg_id`, delete the
 * cells an earlier run of that cell inserted, then insert each `{type: "step"}` as a code cell below it.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { insertBelow, INotebookSeam, removeGenerated, stepToCell } from './cells';
import { IStep } from './schema';

export const PROTOCOL = 1;

/** The notebook and cell that sent an execute request. */
export interface ICallingCell {
  seam: INotebookSeam;
  cellId: string;
}

/** Find the cell whose execute request had message id `msgId` (undefined: not one of ours). */
export type CellLocator = (msgId: string) => ICallingCell | undefined;

type Data = { [key: string]: unknown };

function parentMsgId(msg: KernelMessage.IMessage): string {
  const header = msg.parent_header as Partial<KernelMessage.IHeader>;
  return header.msg_id ?? '';
}

/**
 * Return the comm-open handler to register for the comm target on a kernel connection.
 *
 * @param locate - finds the calling cell of a message
 * @param version - this extension's version, sent in the hello
 */
export function cellsChannelHandler(
  locate: CellLocator,
  version: string
): (comm: Kernel.IComm, msg: KernelMessage.ICommOpenMsg) => void {
  return (comm, msg) => {
    const data = (msg.content.data ?? {}) as Data;
    comm.send({ type: 'hello', protocol: PROTOCOL, version });
    const target = data.type === 'run' ? locate(parentMsgId(msg)) : undefined;
    if (!target) {
      return; // another client's run, or a cell closed meanwhile: nothing to insert here
    }
    const runId = String(data.run_id ?? '');
    removeGenerated(target.seam, target.cellId);
    comm.onMsg = (message: KernelMessage.ICommMsgMsg) => {
      const body = (message.content.data ?? {}) as Data;
      if (body.type === 'step' && body.run_id === runId && body.step) {
        const cell = stepToCell(body.step as unknown as IStep, runId, target.cellId);
        insertBelow(target.seam, target.cellId, runId, [cell]);
      }
    };
  };
}
