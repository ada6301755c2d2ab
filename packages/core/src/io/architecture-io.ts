import { AutomlError } from '../internal/errors.js';
import type { Architecture, SearchSpace } from '../search-space/search-space.js';
import { messageOf, readText } from './io-util.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * The JSON text of an architecture: its record with the choices in the space's order,
 * validated against `space` first.
 *
 * @example
 * stringifyArchitecture({ kernel: 5, depth: 3 }, space); // '{\n  "depth": 3,\n  "kernel": 5\n}\n'
 */
export function stringifyArchitecture(arch: Architecture, space: SearchSpace): string {
  validateIn(space, arch, '@automl-ts/core/stringifyArchitecture', 'the architecture');
  const ordered: Record<string, unknown> = {};
  for (const name of space.names) ordered[name] = arch[name];
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Parses an architecture from JSON text and validates it against `space` (the error names the choice and its allowed values). */
export function parseArchitecture(text: string, space: SearchSpace): Architecture {
  const source = '@automl-ts/core/parseArchitecture';
  return validateIn(space, parseJson(text, source, 'the text'), source, 'the text');
}

/**
 * Saves an architecture as JSON (validated against `space`) with {@link writeFileAtomic}. Node only.
 *
 * @example
 * await saveArchitecture('runs/exp1/best-arch.json', best, supernet.searchSpace);
 * const arch = await loadArchitecture('runs/exp1/best-arch.json', supernet.searchSpace);
 */
export async function saveArchitecture(path: string, arch: Architecture, space: SearchSpace): Promise<void> {
  validateIn(space, arch, '@automl-ts/core/saveArchitecture', 'the architecture');
  await writeFileAtomic(path, stringifyArchitecture(arch, space));
}

/** Loads an architecture saved by {@link saveArchitecture}, validated against `space`. Node only. */
export async function loadArchitecture(path: string, space: SearchSpace): Promise<Architecture> {
  const source = '@automl-ts/core/loadArchitecture';
  const where = `"${path}"`;
  return validateIn(space, parseJson(await readText(path, source), source, where), source, where);
}

function parseJson(text: string, source: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AutomlError(source, `${where} is not JSON: ${messageOf(error)}`, { cause: error });
  }
}

function validateIn(space: SearchSpace, value: unknown, source: string, where: string): Architecture {
  try {
    space.validate(value);
    return value;
  } catch (error) {
    const detail =
      error instanceof AutomlError ? error.message.slice(error.source.length + 2) : messageOf(error);
    throw new AutomlError(source, `${where} is not an architecture of the search space: ${detail}`, {
      cause: error,
    });
  }
}
