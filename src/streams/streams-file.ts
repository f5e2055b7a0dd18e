import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import type { StreamDefinitionInput } from './stream-definition.js';

/** One platform stream of STREAMS_FILE: its definition, and where a new one starts. */
export interface FileStream {
  name: string;
  input: StreamDefinitionInput;
  start: 'now' | 'beginning';
}

const VARIABLE = 'STREAMS_FILE';

/**
 * Reads STREAMS_FILE: a JSON object `{"streams": {"<name>": {definition…, "start"?: …}}}`, each
 * definition as PUT /v1/streams/{name} takes it. Throws ConfigError naming the file and what is
 * wrong (the definitions themselves are checked when they are applied). Secrets are read from the
 * file as written: keep it readable by sealog only.
 */
export function readStreamsFile(path: string): FileStream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      VARIABLE,
      `cannot be read (${path}): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      VARIABLE,
      `is not JSON (${path}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const streams = (parsed as { streams?: unknown } | null)?.streams;
  if (typeof streams !== 'object' || streams === null || Array.isArray(streams)) {
    throw new ConfigError(VARIABLE, `must hold {"streams": {"<name>": {…}}} (${path})`);
  }
  return Object.entries(streams as Record<string, unknown>).map(([name, value]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(VARIABLE, `stream ${name} must be an object (${path})`);
    }
    const { start, ...input } = value as Record<string, unknown>;
    if (start !== undefined && start !== 'now' && start !== 'beginning') {
      throw new ConfigError(VARIABLE, `stream ${name}: start must be "now" or "beginning" (${path})`);
    }
    return { name, input: input as unknown as StreamDefinitionInput, start: start ?? 'now' };
  });
}
