import { AutomlError, Registry } from '@automl-ts/core';
import { describe, expect, test } from 'vitest';

interface BlockEntry {
  readonly description: string;
  readonly kernelSize: number;
}

const make = () =>
  new Registry<BlockEntry>({ kind: 'block' }, [
    ['mbconv3', { description: 'MobileNetV2 block 3x3', kernelSize: 3 }],
    ['mbconv5', { description: 'MobileNetV2 block 5x5', kernelSize: 5 }],
    ['basic', { description: 'ResNet basic block', kernelSize: 3 }],
  ]);

describe('Registry', () => {
  test('get returns the registered entry', () => {
    expect(make().get('mbconv5').kernelSize).toBe(5);
  });

  test('register throws on duplicates, naming the kind and the name', () => {
    const registry = make();
    expect(() => registry.register('basic', { description: 'again', kernelSize: 1 })).toThrow(
      '@automl-ts/core/Registry.register: block "basic" is already registered',
    );
    expect(() => registry.register('', { description: 'x', kernelSize: 1 })).toThrow(
      /a block name must be a non-empty string, got ""/,
    );
  });

  test('get of an unknown name throws an AutomlError listing the known names', () => {
    const registry = make();
    expect(() => registry.get('mbconv7')).toThrow(
      '@automl-ts/core/Registry.get: unknown block "mbconv7"; registered: basic, mbconv3, mbconv5',
    );
    expect(() => registry.get('mbconv7')).toThrow(AutomlError);
    expect(() => new Registry<number>({ kind: 'op' }).get('x')).toThrow(/registered: none/);
  });

  test('error sources can name the public function wrapping the registry', () => {
    const registry = new Registry<number>({
      kind: 'op',
      sources: { get: '@automl-ts/x/createOp', register: '@automl-ts/x/registerOp' },
    });
    registry.register('a', 1);
    expect(() => registry.get('b')).toThrow(/^@automl-ts\/x\/createOp: unknown op "b"/);
    expect(() => registry.register('a', 2)).toThrow(/^@automl-ts\/x\/registerOp: op "a"/);
  });

  test.each<[string, string | ((name: string, entry: BlockEntry) => boolean) | undefined, string[]]>([
    ['no filter: all, sorted', undefined, ['basic', 'mbconv3', 'mbconv5']],
    ['glob *', 'mbconv*', ['mbconv3', 'mbconv5']],
    ['glob ?', 'mbconv?', ['mbconv3', 'mbconv5']],
    ['glob with a literal dot', 'mb.*', []],
    ['exact name', 'basic', ['basic']],
    ['predicate on the entry', (_name, entry) => entry.kernelSize === 3, ['basic', 'mbconv3']],
  ])('list: %s', (_name, filter, expected) => {
    expect(make().list(filter)).toEqual(expected);
  });

  test('has, unregister, size and entries', () => {
    const registry = make();
    expect(registry.has('basic')).toBe(true);
    expect(registry.unregister('basic')).toBe(true);
    expect(registry.unregister('basic')).toBe(false);
    expect(registry.size).toBe(2);
    expect(registry.entries().map(([name]) => name)).toEqual(['mbconv3', 'mbconv5']);
  });

  test('a kind is required', () => {
    expect(() => new Registry<number>({ kind: '' })).toThrow(
      '@automl-ts/core/Registry: kind must be a non-empty string, got ""',
    );
  });
});
