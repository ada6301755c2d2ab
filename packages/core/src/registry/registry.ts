import { AutomlError, describeValue } from '../internal/errors.js';

/** Selects registry entries by name: a glob (`*` any run of characters, `?` one character) or a predicate. */
export type RegistryFilter<T> = string | ((name: string, entry: T) => boolean);

/** Options of a {@link Registry}. */
export interface RegistryOptions {
  /** What an entry is, singular, for messages: `model`, `candidate op`, `search space`. */
  readonly kind: string;
  /**
   * Where errors say they come from, per method. Set these to the public function that wraps the
   * registry, so users see `@automl-ts/core/createModel: unknown model "x"`.
   * @default `@automl-ts/core/Registry.<method>`
   */
  readonly sources?: { readonly register?: string; readonly get?: string };
}

/**
 * A plugin point: named entries (each a config object), for models, candidate ops, blocks,
 * search spaces, pruning criteria. Registering a duplicate throws; getting an unknown name throws
 * and lists the registered names.
 *
 * @example
 * const blocks = new Registry<{ create: () => Module; description: string }>({ kind: 'block' });
 * blocks.register('mbconv3', { create: () => makeMbConv(3), description: 'MobileNetV2 block, 3x3' });
 * blocks.get('mbconv3').create();
 * blocks.list('mbconv*'); // ['mbconv3']
 */
export class Registry<T> {
  readonly kind: string;
  readonly #entries = new Map<string, T>();
  readonly #registerSource: string;
  readonly #getSource: string;

  constructor(options: RegistryOptions, initial: Iterable<readonly [string, T]> = []) {
    if (typeof options?.kind !== 'string' || options.kind === '') {
      throw new AutomlError(
        '@automl-ts/core/Registry',
        `kind must be a non-empty string, got ${describeValue(options?.kind)}`,
      );
    }
    this.kind = options.kind;
    this.#registerSource = options.sources?.register ?? '@automl-ts/core/Registry.register';
    this.#getSource = options.sources?.get ?? '@automl-ts/core/Registry.get';
    for (const [name, entry] of initial) this.register(name, entry);
  }

  /** Adds an entry. Throws when the name is empty or already registered. */
  register(name: string, entry: T): void {
    if (typeof name !== 'string' || name === '') {
      throw new AutomlError(
        this.#registerSource,
        `a ${this.kind} name must be a non-empty string, got ${describeValue(name)}`,
      );
    }
    if (this.#entries.has(name)) {
      throw new AutomlError(this.#registerSource, `${this.kind} "${name}" is already registered`);
    }
    this.#entries.set(name, entry);
  }

  /** The entry under `name`. Throws, listing the registered names, when there is none. */
  get(name: string): T {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      const known = this.list();
      throw new AutomlError(
        this.#getSource,
        `unknown ${this.kind} ${describeValue(name)}; registered: ${known.length === 0 ? 'none' : known.join(', ')}`,
      );
    }
    return entry;
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Removes an entry (for tests and hot reloading); returns whether it existed. */
  unregister(name: string): boolean {
    return this.#entries.delete(name);
  }

  /** Registered names, sorted, optionally filtered by a glob or a predicate. */
  list(filter?: RegistryFilter<T>): string[] {
    const matches =
      filter === undefined
        ? () => true
        : typeof filter === 'string'
          ? globMatcher(filter)
          : (name: string) => filter(name, this.#entries.get(name) as T);
    return [...this.#entries.keys()].filter((name) => matches(name)).sort();
  }

  /** Name and entry pairs, sorted by name. */
  entries(): Array<[string, T]> {
    return this.list().map((name) => [name, this.#entries.get(name) as T]);
  }

  /** Number of registered entries. */
  get size(): number {
    return this.#entries.size;
  }
}

function globMatcher(glob: string): (name: string) => boolean {
  const pattern = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${pattern}$`);
  return (name) => regex.test(name);
}
