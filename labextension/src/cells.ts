/**
 * Transcript steps become notebook cells: the conversion and the insert/replace rules.
 *
 * Everything here works against `INotebookSeam`, the one seam to JupyterLab (its implementation over a
 * shared notebook model is in `seam.ts`), so jest tests run without JupyterLab.
 */
import { CELL_TAG, IOutput, IRunTranscript, IStep, JSONValue, METADATA_KEY } from './schema';

/** What a generated cell remembers: which run, which step, which `%%autogpt` cell made it. */
export interface ICellMarker {
  run_id: string;
  step: number;
  parent?: string;
}

/** A code cell to insert (an nbformat v4 code cell). */
export interface ICodeCellData {
  cell_type: 'code';
  source: string;
  outputs: IOutput[];
  execution_count: null;
  metadata: { [key: string]: JSONValue };
}

/** The few notebook operations the extension needs; the only seam tests mock. */
export interface INotebookSeam {
  /** The number of cells. */
  count(): number;
  /** The id of the cell at `index`. */
  idAt(index: number): string;
  /** The generated-cell marker of the cell at `index`, if it has one. */
  markerAt(index: number): ICellMarker | undefined;
  /** Insert `cell` at `index`. */
  insert(index: number, cell: ICodeCellData): void;
  /** Delete the cell at `index`. */
  remove(index: number): void;
}

/** Return the code cell for one executed step (mirrors `step_cell` in jupyter_autogpt/transcript.py). */
export function stepToCell(step: IStep, runId: string, parent?: string): ICodeCellData {
  const marker: { [key: string]: JSONValue } = { run_id: runId, step: step.index };
  if (parent) {
    marker.parent = parent;
  }
  return {
    cell_type: 'code',
    source: step.code ?? '',
    outputs: step.outputs,
    execution_count: null,
    metadata: { [METADATA_KEY]: marker, tags: [CELL_TAG] }
  };
}

/** Return the cells of every executed step of `run` (skipped steps and the final prose are left out). */
export function runToCells(run: IRunTranscript, parent?: string): ICodeCellData[] {
  return run.steps
    .filter(step => !!step.code && !step.skipped)
    .map(step => stepToCell(step, run.id, parent));
}

/**
 * Return the run's clean code as one code cell, or undefined for a transcript without one (an older version's).
 *
 * It carries the run's marker (step 0: the whole run), so re-running the `%%autogpt` cell replaces it too.
 */
export function cleanToCell(run: IRunTranscript, parent?: string): ICodeCellData | undefined {
  if (!run.clean || !run.clean.code) {
    return undefined;
  }
  const marker: { [key: string]: JSONValue } = { run_id: run.id, step: 0, clean: true };
  if (parent) {
    marker.parent = parent;
  }
  return {
    cell_type: 'code',
    source: run.clean.code.replace(/\n$/, ''),
    outputs: [],
    execution_count: null,
    metadata: { [METADATA_KEY]: marker, tags: [CELL_TAG] }
  };
}

/** Return the marker stored in a cell's metadata, if it is a well-formed one. */
export function readMarker(metadata: { [key: string]: unknown }): ICellMarker | undefined {
  const marker = metadata[METADATA_KEY] as { [key: string]: unknown } | undefined;
  if (!marker || typeof marker.run_id !== 'string' || typeof marker.step !== 'number') {
    return undefined;
  }
  const found: ICellMarker = { run_id: marker.run_id, step: marker.step };
  if (typeof marker.parent === 'string') {
    found.parent = marker.parent;
  }
  return found;
}

/** Return the index of the cell with id `cellId`, or -1. */
export function indexOf(seam: INotebookSeam, cellId: string): number {
  for (let i = 0; i < seam.count(); i++) {
    if (seam.idAt(i) === cellId) {
      return i;
    }
  }
  return -1;
}

/** Delete every cell an earlier run of the `%%autogpt` cell `parent` inserted; return how many. */
export function removeGenerated(seam: INotebookSeam, parent: string): number {
  let removed = 0;
  for (let i = seam.count() - 1; i >= 0; i--) {
    if (seam.markerAt(i)?.parent === parent) {
      seam.remove(i);
      removed++;
    }
  }
  return removed;
}

/**
 * Insert `cells` below the cell `parent`, after the cells of the same run already there.
 *
 * Returns the index of the first inserted cell, or -1 when `parent` is gone (the user deleted it).
 */
export function insertBelow(
  seam: INotebookSeam,
  parent: string,
  runId: string,
  cells: ICodeCellData[]
): number {
  const at = indexOf(seam, parent);
  if (at < 0) {
    return -1;
  }
  let index = at + 1;
  while (index < seam.count() && seam.markerAt(index)?.run_id === runId) {
    index++;
  }
  cells.forEach((cell, offset) => seam.insert(index + offset, cell));
  return index;
}
