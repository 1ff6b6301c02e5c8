/**
 * The prose and the thinking of a model reply, by the same grammar as the kernel's `jupyter_autogpt.protocol`
 * (`split_fences`, `split_thinking`, `prose_of`): the one place the extension reads a reply.
 */

/** Fence languages that hold the step's Python code (`protocol.CODE_LANGUAGES`). */
export const CODE_LANGUAGES: ReadonlySet<string> = new Set(['', 'python', 'py', 'python3', 'ipython', 'ipython3', 'pycon']);

/** A piece of a reply: text outside fences (`info` null) or a fenced block with its language. */
export interface IPiece {
  info: string | null;
  body: string;
  closed: boolean;
}

// A fence opens a line with three or more backticks (or tildes); the info string follows.
const FENCE = /^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)$/gm;

/** Return `text` as ordered pieces; a fence closes at a line of its character at least as long, or at the end. */
export function splitFences(text: string): IPiece[] {
  const pieces: IPiece[] = [];
  let pos = 0;
  for (;;) {
    FENCE.lastIndex = pos;
    const opening = FENCE.exec(text);
    if (!opening) {
      break;
    }
    pieces.push({ info: null, body: text.slice(pos, opening.index), closed: true });
    const fence = opening[1];
    const info = opening[2].trim().split(' ')[0].toLowerCase();
    const bodyStart = opening.index + opening[0].length + 1;
    const closing = new RegExp(`^[ \\t]{0,3}${fence[0]}{${fence.length},}[ \\t]*$`, 'gm');
    closing.lastIndex = bodyStart;
    const end = bodyStart <= text.length ? closing.exec(text) : null;
    if (!end) {
      pieces.push({ info, body: text.slice(bodyStart), closed: false });
      return pieces;
    }
    pieces.push({ info, body: text.slice(bodyStart, end.index), closed: true });
    pos = end.index + end[0].length;
  }
  pieces.push({ info: null, body: text.slice(pos), closed: true });
  return pieces;
}

/** Opening and closing markers of a reasoning model's thinking (`protocol._THINK_TAGS`). */
const THINK_CLOSERS: { [tag: string]: string } = {
  think: '</think>',
  thinking: '</thinking>',
  reasoning: '</reasoning>',
  thought: '</thought>'
};
const OPENING = /^\s*(?:<(think|thinking|reasoning|thought)>|(<\|begin_of_thought\|>))/i;
const CLOSING = /<\/(?:think|thinking|reasoning|thought)>|<\|end_of_thought\|>/gi;

const trimNewlines = (text: string): string => text.replace(/^\n+|\n+$/g, '');

/**
 * Return `[thinking, rest]`: the reasoning a reply starts with, and what follows it (`protocol.split_thinking`).
 * The thinking is shown collapsed, never as prose.
 */
export function splitThinking(text: string): [string, string] {
  const thoughts: string[] = [];
  let rest = text;
  for (let opening = OPENING.exec(rest); opening; opening = OPENING.exec(rest)) {
    const closer = opening[1] ? THINK_CLOSERS[opening[1].toLowerCase()] : '<|end_of_thought|>';
    const start = opening[0].length;
    const end = rest.toLowerCase().indexOf(closer, start);
    if (end < 0) {
      return [trimNewlines([...thoughts, rest.slice(start)].join('\n\n')), ''];
    }
    thoughts.push(rest.slice(start, end));
    rest = rest.slice(end + closer.length);
  }
  if (thoughts.length === 0) {
    CLOSING.lastIndex = 0;
    for (let closing = CLOSING.exec(text); closing; closing = CLOSING.exec(text)) {
      const before = splitFences(text.slice(0, closing.index));
      if (before[before.length - 1].info === null) {
        return [text.slice(0, closing.index), text.slice(closing.index + closing[0].length)];
      }
    }
  }
  return [thoughts.map(trimNewlines).join('\n\n'), rest];
}

/**
 * Return what a reply says besides its action and its thinking: the text outside fences when it holds Python
 * code, else the whole reply after its thinking (a final answer may quote other fences). Trimmed.
 */
export function replyProse(reply: string): string {
  const body = splitThinking(reply)[1];
  const pieces = splitFences(body);
  const python = pieces.find(p => p.info !== null && CODE_LANGUAGES.has(p.info));
  if (!python || !python.body.trim()) {
    return body.trim();
  }
  return pieces
    .filter(p => p.info === null)
    .map(p => p.body)
    .join('')
    .trim();
}
