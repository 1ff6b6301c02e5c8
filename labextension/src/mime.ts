/** The MIME renderer for run transcripts: a saved notebook shows the whole run, widget state or not. */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { isTranscript, MIME_TYPE } from './schema';
import { renderRun } from './view';

/** Shows one `application/vnd.jupyter-autogpt.run+json` output. */
export class RunTranscriptView extends Widget implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('jp-AutoGPTRun');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[MIME_TYPE];
    if (isTranscript(data)) {
      renderRun(this.node, data);
    } else {
      this.node.textContent = 'jupyter-autogpt: this run transcript has a format this extension cannot read';
    }
    return Promise.resolve();
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  defaultRank: 50,
  createRenderer: () => new RunTranscriptView()
};

const extension: IRenderMime.IExtension = {
  id: 'jupyter-autogpt:run-transcript',
  description: 'Render jupyter-autogpt run transcripts.',
  rendererFactory,
  rank: 50,
  dataType: 'json'
};

export default extension;
