import {
  assignUniqueNames,
  describeInvalidPrefix,
  fitName,
  isValidName,
  sanitizeLabel,
  shortHash,
} from './naming';
import {
  describeInvalidPortRange,
  formatPorts,
  intersectPorts,
  normalizePorts,
  parsePorts,
  portsOverlap,
  subtractPorts,
} from './ports';

describe('ports', () => {
  it('merges overlapping and adjacent ranges and sorts them', () => {
    expect(
      normalizePorts([
        { from: 9001, to: 9001 },
        { from: 80, to: 80 },
        { from: 9000, to: 9000 },
        { from: 81, to: 90 },
        { from: 85, to: 85 },
        { from: 443, to: 443 },
      ]),
    ).toEqual([
      { from: 80, to: 90 },
      { from: 443, to: 443 },
      { from: 9000, to: 9001 },
    ]);
  });

  it('formats and parses the same text', () => {
    expect(formatPorts(parsePorts('5044, 1514-1516,55000'))).toBe('1514-1516,5044,55000');
    expect(() => parsePorts('0')).toThrow(/outside 1-65535/);
    expect(() => parsePorts('20-10')).toThrow(/reversed/);
    expect(() => parsePorts('http')).toThrow(/not a port/);
  });

  it('validates ranges', () => {
    expect(describeInvalidPortRange({ from: 1, to: 65535 })).toBeNull();
    expect(describeInvalidPortRange({ from: 0, to: 1 })).toMatch(/outside/);
    expect(describeInvalidPortRange({ from: 1.5, to: 2 })).toMatch(/whole numbers/);
  });

  it('intersects, subtracts and tests overlap', () => {
    const a = [{ from: 1, to: 10 }];
    const b = [
      { from: 3, to: 4 },
      { from: 8, to: 20 },
    ];
    expect(portsOverlap(a, b)).toBe(true);
    expect(portsOverlap(a, [{ from: 11, to: 12 }])).toBe(false);
    expect(intersectPorts(a, b)).toEqual([
      { from: 3, to: 4 },
      { from: 8, to: 10 },
    ]);
    expect(subtractPorts(a, b)).toEqual([
      { from: 1, to: 2 },
      { from: 5, to: 7 },
    ]);
  });
});

describe('naming', () => {
  it('sanitises labels to [A-Za-z0-9_] without doubled or edge underscores', () => {
    expect(sanitizeLabel('Branch-1 (DMZ)')).toBe('Branch_1_DMZ');
    expect(sanitizeLabel('--')).toBe('x');
    expect(sanitizeLabel('hq.master__01')).toBe('hq_master_01');
  });

  it('cuts long names and appends a hash of the full name', () => {
    const long = 'utm_a_very_long_object_name_that_does_not_fit';
    const fitted = fitName(long, 31);
    expect(fitted).toBe(`utm_a_very_long_object_n_${shortHash(long)}`);
    expect(fitted.length).toBeLessThanOrEqual(31);
    expect(fitName('utm_short', 31)).toBe('utm_short');
    expect(isValidName(fitted, 31)).toBe(true);
    expect(isValidName('1abc', 31)).toBe(false);
    expect(isValidName('a-b', 31)).toBe(false);
  });

  it('disambiguates equal bases with meaning hashes, independently of order', () => {
    const items = [
      { base: 'utm_x', meaning: ['one', 'a'] },
      { base: 'utm_x', meaning: ['two', 'b'] },
      { base: 'utm_y', meaning: ['three', 'c'] },
    ];
    const names = assignUniqueNames(
      items,
      (i) => i.base,
      (i) => i.meaning,
      31,
    );
    const hash = (keys: string[]): string => shortHash(JSON.stringify(keys));
    expect([...names.values()]).toEqual([`utm_x_${hash(['one'])}`, `utm_x_${hash(['two'])}`, 'utm_y']);
    const reversed = assignUniqueNames(
      [...items].reverse(),
      (i) => i.base,
      (i) => i.meaning,
      31,
    );
    for (const item of items) expect(reversed.get(item)).toBe(names.get(item));
  });

  it('suffixes each item with the coarsest meaning no other item of its base shares', () => {
    const a = { meaning: ['agents', 'n1'] };
    const b = { meaning: ['agents', 'n2'] };
    const c = { meaning: ['consoles', 'n3'] };
    const hash = (keys: string[]): string => shortHash(JSON.stringify(keys));
    const names = assignUniqueNames(
      [a, b, c],
      () => 'utm_x',
      (i) => i.meaning,
      31,
    );
    expect(names.get(a)).toBe(`utm_x_${hash(['agents', 'n1'])}`);
    expect(names.get(b)).toBe(`utm_x_${hash(['agents', 'n2'])}`);
    expect(names.get(c)).toBe(`utm_x_${hash(['consoles'])}`);
    // c keeps its name when b goes: its coarse key already told it apart
    const without = assignUniqueNames(
      [a, c],
      () => 'utm_x',
      (i) => i.meaning,
      31,
    );
    expect(without.get(c)).toBe(names.get(c));
  });

  it('suffixes an item alone in its base when asked to, and keeps a tail when cutting', () => {
    const item = { meaning: ['agents'] };
    const names = assignUniqueNames(
      [item],
      () => 'utm_x',
      (i) => i.meaning,
      31,
      { alwaysSuffix: () => true },
    );
    expect(names.get(item)).toBe(`utm_x_${shortHash(JSON.stringify(['agents']))}`);
    const long = 'utm_agent_agentless_console_to_master_tcp6';
    const cut = fitName(long, 35, '_tcp6');
    expect(cut).toBe(`utm_agent_agentless_con_${shortHash(long)}_tcp6`);
    expect(cut.length).toBeLessThanOrEqual(35);
    expect(cut.endsWith('_tcp6')).toBe(true);
  });

  it('validates the prefix', () => {
    expect(describeInvalidPrefix('utm_')).toBeNull();
    expect(describeInvalidPrefix('1utm')).toMatch(/start with a letter/);
    expect(describeInvalidPrefix('utm-')).toMatch(/only letters/);
    expect(describeInvalidPrefix('')).toMatch(/start with a letter/);
    expect(describeInvalidPrefix('a_very_long_prefix_')).toMatch(/longer than 12/);
  });
});
