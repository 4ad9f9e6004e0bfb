// The scripts' shared argument parser: declared flags only, typed values, errors that name the flag.
import { describe, expect, it } from 'vitest';
import { ArgsError, cliArgs } from '../../scripts/cli-args';

const SPEC = {
  epochs: { type: 'number', default: 8, help: 'epochs' },
  lr: { type: 'number', help: 'learning rate' },
  out: { type: 'string', help: 'model file' },
  widths: { type: 'list', help: 'block widths' },
  quick: { type: 'boolean', help: 'short run' },
} as const;

describe('cliArgs', () => {
  it('converts numbers and lists, fills defaults, leaves absent flags undefined and booleans false', () => {
    const a = cliArgs('usage', SPEC, { argv: ['--lr', '1.5e-3', '--widths', '32,64,,128', '--out', 'm.bee'] });
    expect(a.epochs).toBe(8);
    expect(a.lr).toBe(0.0015);
    expect(a.widths).toEqual(['32', '64', '128']);
    expect(a.out).toBe('m.bee');
    expect(a.quick).toBe(false);
    expect(a.positionals).toEqual([]);
    expect(cliArgs('usage', SPEC, { argv: ['--quick', '--epochs=3'] })).toMatchObject({ quick: true, epochs: 3, lr: undefined });
  });

  it('rejects an unknown flag, a bad number and a stray word, with the usage', () => {
    expect(() => cliArgs('train usage', SPEC, { argv: ['--epoch', '3'] })).toThrow(ArgsError);
    expect(() => cliArgs('train usage', SPEC, { argv: ['--epoch', '3'] })).toThrow(/Unknown option '--epoch'[\s\S]*train usage/);
    expect(() => cliArgs('usage', SPEC, { argv: ['--lr', 'fast'] })).toThrow(/--lr must be a number, got 'fast'/);
    expect(() => cliArgs('usage', SPEC, { argv: ['--lr', ''] })).toThrow(/--lr must be a number/);
    expect(() => cliArgs('usage', SPEC, { argv: ['extra'] })).toThrow(ArgsError);
    expect(cliArgs('usage', SPEC, { argv: ['toggle=1', '--quick'], positionals: true }).positionals).toEqual(['toggle=1']);
  });
});
