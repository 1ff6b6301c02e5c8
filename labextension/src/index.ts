/**
 * jupyter-autogpt's JupyterLab plugin: steps of an `%%autogpt` run become real cells below the magic
 * cell, and three commands (palette and notebook toolbar) insert a goal cell, a saved run's cells, or the run's
 * clean code as one cell.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { CommandToolbarButton, ICommandPalette } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import packageJson from '../package.json';
import { cleanToCell, ICodeCellData, insertBelow, removeGenerated, runToCells } from './cells';
import { cellsChannelHandler, ICallingCell } from './channel';
import { COMM_TARGET, IRunTranscript, isTranscript, MIME_TYPE } from './schema';
import { sharedNotebookSeam } from './seam';

/** This extension's version, sent to the kernel in the cells channel's hello (one source: package.json). */
const VERSION: string = packageJson.version;

export namespace CommandIDs {
  export const newGoalCell = 'jupyter-autogpt:new-goal-cell';
  export const insertRunCells = 'jupyter-autogpt:insert-run-cells';
  export const insertCleanCell = 'jupyter-autogpt:insert-clean-cell';
}

/** The source of a new goal cell. */
export const GOAL_TEMPLATE = '%%autogpt --max-steps 8\nDescribe your goal here, e.g. which column of `df` has the most missing values?\n';

/** Return the notebook cell whose execute request had id `msgId`, in any open notebook. */
function locator(tracker: INotebookTracker): (msgId: string) => ICallingCell | undefined {
  return msgId => {
    let found: ICallingCell | undefined;
    tracker.forEach(panel => {
      if (found || !panel.model) {
        return;
      }
      for (const cell of panel.content.widgets) {
        if (cell instanceof CodeCell && cell.outputArea.future?.msg.header.msg_id === msgId) {
          found = { seam: sharedNotebookSeam(panel.model.sharedModel), cellId: cell.model.id };
          return;
        }
      }
    });
    return found;
  };
}

function watchKernels(tracker: INotebookTracker): void {
  const seen = new WeakSet<Kernel.IKernelConnection>();
  const handler = cellsChannelHandler(locator(tracker), VERSION);
  const register = (kernel: Kernel.IKernelConnection | null | undefined): void => {
    if (kernel && !seen.has(kernel)) {
      seen.add(kernel);
      kernel.registerCommTarget(COMM_TARGET, handler);
    }
  };
  tracker.widgetAdded.connect((_, panel: NotebookPanel) => {
    register(panel.sessionContext.session?.kernel);
    panel.sessionContext.kernelChanged.connect((_context, change) => register(change.newValue));
  });
}

/** Return the transcript in the active cell's outputs, if it shows a run. */
function activeTranscript(tracker: INotebookTracker): IRunTranscript | undefined {
  const cell = tracker.activeCell;
  if (!(cell instanceof CodeCell)) {
    return undefined;
  }
  const outputs = cell.model.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const data = outputs.get(i).data[MIME_TYPE];
    if (isTranscript(data)) {
      return data;
    }
  }
  return undefined;
}

/**
 * Replace what the active cell's run inserted below it by `cells`: its steps (insert run as cells) or its
 * clean code as one cell.
 */
function insertForRun(
  tracker: INotebookTracker,
  cells: (run: IRunTranscript, parent: string) => ICodeCellData[]
): void {
  const panel = tracker.currentWidget;
  const cell = tracker.activeCell;
  const run = activeTranscript(tracker);
  if (!panel?.model || !cell || !run) {
    return;
  }
  const seam = sharedNotebookSeam(panel.model.sharedModel);
  removeGenerated(seam, cell.model.id);
  insertBelow(seam, cell.model.id, run.id, cells(run, cell.model.id));
}

function addCommands(app: JupyterFrontEnd, tracker: INotebookTracker): void {
  app.commands.addCommand(CommandIDs.newGoalCell, {
    label: 'AutoGPT: new goal cell',
    caption: 'Insert a %%autogpt cell below the active cell',
    isEnabled: () => !!tracker.currentWidget?.model,
    execute: () => {
      const panel = tracker.currentWidget;
      if (!panel?.model) {
        return;
      }
      const index = panel.content.activeCellIndex + 1;
      panel.model.sharedModel.insertCell(index, { cell_type: 'code', source: GOAL_TEMPLATE });
      panel.content.activeCellIndex = index;
      panel.content.mode = 'edit';
    }
  });
  app.commands.addCommand(CommandIDs.insertRunCells, {
    label: 'AutoGPT: insert run as cells',
    caption: "Insert the steps of the run shown in the active cell's output as code cells below it",
    isEnabled: () => !!activeTranscript(tracker),
    execute: () => insertForRun(tracker, runToCells)
  });
  app.commands.addCommand(CommandIDs.insertCleanCell, {
    label: 'AutoGPT: insert clean code as one cell',
    caption:
      "Insert the run's clean code below the active cell, as one cell: the steps its answer needs, failed " +
      'and exploratory ones dropped, re-runnable top to bottom',
    isEnabled: () => !!activeTranscript(tracker)?.clean,
    execute: () =>
      insertForRun(tracker, (run, parent) => {
        const clean = cleanToCell(run, parent);
        return clean ? [clean] : [];
      })
  });
}

function addToolbarButtons(app: JupyterFrontEnd): void {
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew: (panel: NotebookPanel) => {
      const buttons = [
        ['autogpt-new-goal', CommandIDs.newGoalCell, '+ AutoGPT'],
        ['autogpt-insert-run', CommandIDs.insertRunCells, 'AutoGPT cells'],
        ['autogpt-insert-clean', CommandIDs.insertCleanCell, 'Clean cell']
      ];
      buttons.forEach(([name, id, label], offset) => {
        const button = new CommandToolbarButton({ commands: app.commands, id, label });
        panel.toolbar.insertItem(10 + offset, name, button);
      });
    }
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-autogpt:plugin',
  description: 'Insert the steps of %%autogpt runs as notebook cells.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    watchKernels(tracker);
    addCommands(app, tracker);
    addToolbarButtons(app);
    if (palette) {
      palette.addItem({ command: CommandIDs.newGoalCell, category: 'AutoGPT' });
      palette.addItem({ command: CommandIDs.insertRunCells, category: 'AutoGPT' });
      palette.addItem({ command: CommandIDs.insertCleanCell, category: 'AutoGPT' });
    }
  }
};

export default plugin;
