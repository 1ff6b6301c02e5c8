/**
 * The run transcript, as defined once by `jupyter_autogpt/schema/run.schema.json`.
 *
 * The names shared with the kernel (MIME type, comm target, cell tag, metadata key) are read from the
 * schema itself; the interfaces below are written by hand from it (a jest test checks them against a
 * schema-valid fixture that the Python tests validate).
 */
import schema from '../../jupyter_autogpt/schema/run.schema.json';

export const MIME_TYPE: string = schema['x-mime-type'];
export const COMM_TARGET: string = schema['x-comm-target'];
export const CELL_TAG: string = schema['x-cell-tag'];
export const METADATA_KEY: string = schema['x-metadata-key'];
export const FORMAT: string = schema.properties.format.const;
export const VERSION: number = schema.properties.version.const;
export const REQUIRED: readonly string[] = schema.required;

/** JSON values, as nbformat outputs hold them. */
export type JSONValue =
  | string
  | number
  | boolean
  | null
  | JSONValue[]
  | { [key: string]: JSONValue };

export interface IUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  estimated: boolean;
}

/** An nbformat v4 output: stream, display_data, execute_result or error. */
export interface IOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  [key: string]: JSONValue;
}

export interface IStep {
  index: number;
  reply: string;
  code: string | null;
  skipped: boolean;
  outputs: IOutput[];
  output?: string;
  error?: string | null;
  feedback?: string | null;
  flags?: string[];
  usage?: IUsage;
  model_seconds?: number;
  exec_seconds?: number;
  observation?: {
    duration?: number;
    answered?: boolean;
    error_name?: string | null;
    changed?: string[];
  } | null;
}

export type RunStatus = 'finished' | 'max_steps' | 'interrupted' | 'failed';

/** One earlier run of a follow-up's conversation, as the follow-up remembers it. */
export interface IEarlierRun {
  id: string;
  goal: string;
  status: string;
  answer?: string;
  error?: string | null;
}

/** The earlier runs a follow-up (`--continue`) continues, oldest first; `omitted` older ones are only counted. */
export interface IThread {
  runs: IEarlierRun[];
  omitted?: number;
}

/** Standing instructions added to the system prompt, and where they came from (`%config`, AGENTS.md). */
export interface IInstructions {
  text: string;
  sources: string[];
}

export type PlanState = 'todo' | 'doing' | 'done';

/** The last version of a run's plan: its items and their state; `by` is "user" after a `--plan` edit. */
export interface IPlan {
  items: { text: string; state: PlanState }[];
  revision?: number;
  step?: number;
  by?: 'model' | 'user';
}

export interface IRunTranscript {
  format: string;
  version: number;
  id: string;
  goal: string;
  model: string;
  status: RunStatus;
  error?: string | null;
  answer?: JSONValue;
  answer_text?: string;
  config: { [key: string]: JSONValue };
  usage: IUsage;
  started_at?: number;
  duration: number;
  steps: IStep[];
  /** The head of every request: the system prompt and the first message (read by jupyter_autogpt.dataset). */
  prompt?: { system: string; first: string };
  /** The id of the run this one follows up (`--continue`); absent for a fresh run (and in older transcripts). */
  parent?: string;
  thread?: IThread;
  instructions?: IInstructions;
  /** Which of the user's own cells (In[n]) the model saw, and the cell whose error it saw. */
  notebook?: { cells?: number[]; error_cell?: number | null };
  plan?: IPlan;
  /** The clean code: the statements the answer depends on, as one script (jupyter_autogpt.clean). */
  clean?: IClean;
}

/** The clean code of a run (`clean` in the schema). */
export interface IClean {
  code: string;
  expects: string[];
  kept: number[];
  dropped: { step: number; why: 'failed' | 'skipped' | 'exploratory' | 'unreadable' }[];
  answered: boolean;
  lines: number;
  all_lines: number;
}

/** Return whether `value` is a transcript this version can read (format, version and required keys). */
export function isTranscript(value: unknown): value is IRunTranscript {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const data = value as { [key: string]: unknown };
  return (
    data.format === FORMAT &&
    data.version === VERSION &&
    REQUIRED.every(key => key in data) &&
    Array.isArray(data.steps)
  );
}
