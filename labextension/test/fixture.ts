/** The run transcript fixture: written by a scripted run, validated against the schema by the Python tests. */
import { readFileSync } from 'fs';
import { join } from 'path';

export const fixture: unknown = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'run.json'), 'utf-8'));
