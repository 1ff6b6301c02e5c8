/**
 * A run transcript as DOM: goal, each step (thought, code, outputs), the answer and a summary line.
 *
 * Text goes in through `textContent` only (a saved notebook may come from anyone); images as data URLs.
 */
import { replyProse, splitThinking } from './reply';
import { IOutput, IRunTranscript, IStep, JSONValue } from './schema';

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/svg+xml'];

function el(tag: string, className?: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** Join a multiline nbformat string (a list of pieces that carry their own newlines) or pass a string through. */
function joined(value: JSONValue | undefined, separator = ''): string {
  return Array.isArray(value) ? value.join(separator) : typeof value === 'string' ? value : '';
}

/**
 * Return the text an output shows (images aside): a stream, a traceback, or a display's `text/plain`.
 *
 * Traceback entries are lines without their newlines (nbformat), so they are joined with one; stream and
 * display text are multiline strings whose pieces already end in one.
 */
export function outputText(output: IOutput): string {
  if (output.output_type === 'stream') {
    return joined(output.text);
  }
  if (output.output_type === 'error') {
    return joined(output.traceback, '\n');
  }
  const data = (output.data ?? {}) as { [mime: string]: JSONValue };
  return joined(data['text/plain']);
}

function renderOutput(output: IOutput): HTMLElement | null {
  if (output.output_type === 'stream') {
    return el('pre', output.name === 'stderr' ? 'jp-AutoGPTRun-error' : '', outputText(output));
  }
  if (output.output_type === 'error') {
    return el('pre', 'jp-AutoGPTRun-error', outputText(output));
  }
  const data = (output.data ?? {}) as { [mime: string]: JSONValue };
  const image = IMAGE_TYPES.find(mime => mime in data);
  if (image) {
    const img = el('img') as HTMLImageElement;
    const payload = joined(data[image]);
    img.src =
      image === 'image/svg+xml'
        ? `data:${image};charset=utf-8,${encodeURIComponent(payload)}`
        : `data:${image};base64,${payload.replace(/\s/g, '')}`;
    return img;
  }
  const text = outputText(output);
  return text ? el('pre', '', text) : null;
}

function renderStep(step: IStep): HTMLElement {
  const details = el('details', 'jp-AutoGPTRun-step') as HTMLDetailsElement;
  const label = `Step ${step.index}` + (step.skipped ? ' (skipped)' : step.error ? ' ✗' : '');
  details.appendChild(el('summary', '', label));
  const thinking = splitThinking(step.reply)[0];
  if (thinking.trim()) {
    const box = el('details', 'jp-AutoGPTRun-thinking'); // closed: shown on request, never as prose
    box.appendChild(el('summary', '', `thinking · ${thinking.length} characters`));
    box.appendChild(el('pre', '', thinking));
    details.appendChild(box);
  }
  const prose = replyProse(step.reply);
  if (prose) {
    details.appendChild(el('div', 'jp-AutoGPTRun-prose', prose));
  }
  if (step.code) {
    details.appendChild(el('pre', 'jp-AutoGPTRun-code', step.code));
  }
  for (const output of step.outputs) {
    const node = renderOutput(output);
    if (node) {
      details.appendChild(node);
    }
  }
  return details;
}

/** Return a one-line summary: status, steps, tokens and time. */
export function summaryLine(run: IRunTranscript): string {
  const n = run.steps.length;
  const approx = run.usage.estimated ? '~' : '';
  return (
    `${run.status} · ${n} step${n === 1 ? '' : 's'} · ` +
    `${approx}${run.usage.prompt_tokens} in / ${approx}${run.usage.completion_tokens} out tokens · ` +
    `${run.duration.toFixed(1)}s · ${run.model}` +
    (run.error ? ` · ${run.error}` : '')
  );
}

/** Fill `host` with the transcript of `run`. */
export function renderRun(host: HTMLElement, run: IRunTranscript): void {
  host.textContent = '';
  host.appendChild(el('div', 'jp-AutoGPTRun-header', `autogpt · ${run.model} · ${run.status}`));
  host.appendChild(el('div', 'jp-AutoGPTRun-goal', run.goal));
  run.steps.forEach(step => host.appendChild(renderStep(step)));
  if (run.answer_text) {
    host.appendChild(el('div', 'jp-AutoGPTRun-answer', `Answer: ${run.answer_text}`));
  }
  host.appendChild(el('div', 'jp-AutoGPTRun-summary', summaryLine(run)));
}
