/**
 * The prose of a model reply, by the same fence grammar as the kernel's `jupyter_autogpt.protocol`
 * (`split_fences`, `prose_of`): the one place the extension reads a reply.
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

/**
 * Return what a reply says besides its action: the text outside fences when it holds Python code, else the
 * whole reply (a final answer may quote other fences). Trimmed.
 */
export function replyProse(reply: string): string {
  const pieces = splitFences(reply);
  const python = pieces.find(p => p.info !== null && CODE_LANGUAGES.has(p.info));
  if (!python || !python.body.trim()) {
    return reply.trim();
  }
  return pieces
    .filter(p => p.info === null)
    .map(p => p.body)
    .join('')
    .trim();
}
