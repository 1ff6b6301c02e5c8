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
