import { cleanToCell, insertBelow, removeGenerated, runToCells, stepToCell } from '../src/cells';
import { CELL_TAG, IRunTranscript, isTranscript, METADATA_KEY, MIME_TYPE } from '../src/schema';
import { FakeNotebook } from './fakes';
import { fixture } from './fixture';

const run = fixture as unknown as IRunTranscript;

describe('schema', () => {
  it('reads the shared names from the schema file', () => {
    expect(MIME_TYPE).toBe('application/vnd.jupyter-autogpt.run+json');
    expect(CELL_TAG).toBe('autogpt-generated');
    expect(METADATA_KEY).toBe('jupyter_autogpt');
  });

  it('accepts the schema-valid fixture and rejects other JSON', () => {
    expect(isTranscript(fixture)).toBe(true);
    expect(isTranscript({ ...(fixture as object), version: 99 })).toBe(false);
    expect(isTranscript({ format: 'jupyter-autogpt.run', version: 1 })).toBe(false);
    expect(isTranscript([1, 2])).toBe(false);
    expect(isTranscript(null)).toBe(false);
  });
});

describe('stepToCell', () => {
  it('makes a tagged code cell with the step outputs', () => {
    const cell = stepToCell(run.steps[0], run.id, 'magic');
    expect(cell.source).toBe(run.steps[0].code);
    expect(cell.outputs.map(o => o.output_type)).toEqual(['stream', 'execute_result']);
    expect(cell.metadata).toEqual({
      jupyter_autogpt: { run_id: run.id, step: 1, parent: 'magic' },
      tags: ['autogpt-generated']
    });
  });

  it('leaves out the final prose step and skipped steps', () => {
    const cells = runToCells(run);
    expect(cells.map(c => c.source)).toEqual(run.steps.filter(s => s.code).map(s => s.code));
    const skipped = { ...run, steps: run.steps.map(s => ({ ...s, skipped: true })) };
    expect(runToCells(skipped)).toEqual([]);
  });
});

describe('insertBelow / removeGenerated', () => {
  it('inserts steps in order below the parent cell', () => {
    const nb = new FakeNotebook(['%%autogpt\ngoal', 'after']);
    const parent = nb.idAt(0);
    for (const step of run.steps.slice(0, 2)) {
      insertBelow(nb, parent, run.id, [stepToCell(step, run.id, parent)]);
    }
    expect(nb.sources()).toEqual(['%%autogpt\ngoal', run.steps[0].code, run.steps[1].code, 'after']);
  });

  it('replaces the cells of an earlier run of the same cell, not of others', () => {
    const nb = new FakeNotebook(['%%autogpt one', '%%autogpt two']);
    const [one, two] = [nb.idAt(0), nb.idAt(1)];
    const n = runToCells(run).length;
    insertBelow(nb, one, 'r1', runToCells({ ...run, id: 'r1' }, one));
    insertBelow(nb, two, 'r2', runToCells({ ...run, id: 'r2' }, two));
    expect(nb.count()).toBe(2 + 2 * n);
    expect(removeGenerated(nb, one)).toBe(n);
    insertBelow(nb, one, 'r3', runToCells({ ...run, id: 'r3' }, one));
    expect(nb.count()).toBe(2 + 2 * n);
    const runs = nb.cells.map((_, i) => nb.markerAt(i)?.run_id ?? null);
    expect(runs).toEqual([null, ...Array(n).fill('r3'), null, ...Array(n).fill('r2')]);
  });

  it('does nothing when the parent cell is gone', () => {
    const nb = new FakeNotebook(['a']);
    expect(insertBelow(nb, 'missing', 'r', runToCells(run))).toBe(-1);
    expect(nb.count()).toBe(1);
  });
});

describe('cleanToCell', () => {
  it("makes one tagged cell of the run's clean code, marked as the whole run", () => {
    const cell = cleanToCell(run, 'magic');
    expect(cell?.source).toBe(run.clean?.code.replace(/\n$/, ''));
    expect(cell?.source).toContain('answer = x * 2');
    expect(cell?.source).not.toContain('1 / 0');
    expect(cell?.outputs).toEqual([]);
    expect(cell?.metadata).toEqual({
      jupyter_autogpt: { run_id: run.id, step: 0, clean: true, parent: 'magic' },
      tags: ['autogpt-generated']
    });
  });

  it('replaces the cells the run inserted, and is replaced by the next run of its cell', () => {
    const notebook = new FakeNotebook(['%%autogpt', 'after']);
    const parent = notebook.idAt(0);
    insertBelow(notebook, parent, run.id, runToCells(run, parent));
    expect(removeGenerated(notebook, parent)).toBe(runToCells(run).length);
    insertBelow(notebook, parent, run.id, [cleanToCell(run, parent)!]);
    expect(notebook.count()).toBe(3);
    expect(removeGenerated(notebook, parent)).toBe(1);
  });

  it('gives nothing for a transcript of a version without clean code', () => {
    expect(cleanToCell({ ...run, clean: undefined })).toBeUndefined();
  });
});
