/** The `INotebookSeam` over JupyterLab's shared notebook model. */
import type { INotebookModel } from '@jupyterlab/notebook';
import { ICodeCellData, INotebookSeam, readMarker } from './cells';

type SharedNotebook = INotebookModel['sharedModel'];
type CellData = Parameters<SharedNotebook['insertCell']>[1];

/** Return the seam for a notebook's shared model. */
export function sharedNotebookSeam(model: SharedNotebook): INotebookSeam {
  return {
    count: () => model.cells.length,
    idAt: index => model.cells[index].getId(),
    markerAt: index => readMarker(model.cells[index].getMetadata() as { [key: string]: unknown }),
    insert: (index: number, cell: ICodeCellData) => {
      model.insertCell(index, cell as unknown as CellData);
    },
    remove: index => model.deleteCell(index)
  };
}
