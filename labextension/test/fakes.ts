/** The one mocked seam: an in-memory notebook behind `INotebookSeam`. */
import { ICellMarker, ICodeCellData, INotebookSeam, readMarker } from '../src/cells';

export interface IFakeCell {
  id: string;
  source: string;
  metadata: { [key: string]: unknown };
  outputs?: unknown[];
}

export class FakeNotebook implements INotebookSeam {
  cells: IFakeCell[];
  private _next = 0;

  constructor(sources: string[]) {
    this.cells = sources.map(source => ({ id: this._id(), source, metadata: {} }));
  }

  count(): number {
    return this.cells.length;
  }
  idAt(index: number): string {
    return this.cells[index].id;
  }
  markerAt(index: number): ICellMarker | undefined {
    return readMarker(this.cells[index].metadata);
  }
  insert(index: number, cell: ICodeCellData): void {
    this.cells.splice(index, 0, {
      id: this._id(),
      source: cell.source,
      metadata: cell.metadata,
      outputs: cell.outputs
    });
  }
  remove(index: number): void {
    this.cells.splice(index, 1);
  }
  sources(): string[] {
    return this.cells.map(c => c.source);
  }

  private _id(): string {
    return `cell-${this._next++}`;
  }
}
