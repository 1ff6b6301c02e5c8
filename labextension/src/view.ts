/**
 * A run transcript as DOM: goal, each step (thought, code, outputs), the answer and a summary line.
 *
 * Text goes in through `textContent` only (a saved notebook may come from anyone); images as data URLs.
 */
import { replyProse, splitThinking } from './reply';
import { IOutput, IPlan, IRunTranscript, IStep, JSONValue } from './schema';

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

const PLAN_MARKS = { done: '☑', doing: '▶', todo: '☐' };

/** Return the line naming the run this one follows up (`--continue`), or null for a fresh run or an old transcript. */
export function threadLine(run: IRunTranscript): string | null {
  const runs = run.thread?.runs ?? [];
  const parent = runs[runs.length - 1];
  if (!run.parent || !parent) {
    return null;
  }
  const goal = parent.goal.split(/\s+/).join(' ');
  const shown = goal.length > 80 ? goal.slice(0, 79) + '…' : goal;
  const position = (run.thread?.omitted ?? 0) + runs.length + 1;
  return `↳ follows up run ${run.parent} (${shown}) · run ${position} of this conversation`;
}

/** Return the plan's heading: how many items are done, its revision, and whether the user edited it. */
export function planHeading(plan: IPlan): string {
  const done = plan.items.filter(item => item.state === 'done').length;
  const facts = [`${done}/${plan.items.length} done`];
  if ((plan.revision ?? 1) > 1) {
    facts.push(`revision ${plan.revision}`);
  }
  if (plan.by === 'user') {
    facts.push('edited by you');
  }
  return `Plan · ${facts.join(' · ')}`;
}

/** Return the plan as checklist lines: ☑ done, ▶ the current item, ☐ to do. */
export function planLines(plan: IPlan): string[] {
  return plan.items.map((item, i) => `${PLAN_MARKS[item.state] ?? PLAN_MARKS.todo} ${i + 1}. ${item.text}`);
}

function renderPlan(plan: IPlan): HTMLElement {
  const box = el('div', 'jp-AutoGPTRun-plan');
  box.appendChild(el('div', 'jp-AutoGPTRun-planHeading', planHeading(plan)));
  const list = el('ul');
  planLines(plan).forEach((line, i) => list.appendChild(el('li', `jp-AutoGPTRun-plan-${plan.items[i].state}`, line)));
  box.appendChild(list);
  return box;
}

/** Fill `host` with the transcript of `run`. */
export function renderRun(host: HTMLElement, run: IRunTranscript): void {
  host.textContent = '';
  host.appendChild(el('div', 'jp-AutoGPTRun-header', `autogpt · ${run.model} · ${run.status}`));
  const thread = threadLine(run);
  if (thread) {
    host.appendChild(el('div', 'jp-AutoGPTRun-thread', thread));
  }
  host.appendChild(el('div', 'jp-AutoGPTRun-goal', run.goal));
  if (run.instructions?.text) {
    const box = el('details', 'jp-AutoGPTRun-instructions'); // closed: what steered the model, on request
    box.appendChild(el('summary', '', `standing instructions · ${run.instructions.sources.join(', ')}`));
    box.appendChild(el('pre', '', run.instructions.text));
    host.appendChild(box);
  }
  if (run.plan) {
    host.appendChild(renderPlan(run.plan));
  }
  run.steps.forEach(step => host.appendChild(renderStep(step)));
  if (run.answer_text) {
    host.appendChild(el('div', 'jp-AutoGPTRun-answer', `Answer: ${run.answer_text}`));
  }
  host.appendChild(el('div', 'jp-AutoGPTRun-summary', summaryLine(run)));
}
