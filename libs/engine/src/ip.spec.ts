import {
  canonicalCidr,
  cidrContains,
  cidrsOverlap,
  describeInvalidCidr,
  formatCidr,
  intersectCidrList,
  InvalidAddressError,
  isValidCidr,
  parseCidr,
  rangeToCidrs,
  subtractCidrList,
  summarizeCidrs,
  tryParseCidr,
  zoneForAddress,
} from './ip';

describe('parsing and canonical form', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1/32'],
    ['10.0.0.0/24', '10.0.0.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255', '255.255.255.255/32'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::', '::/128'],
    ['::/0', '::/0'],
    ['::1', '::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'], // first of two equal zero runs is compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1/128'], // a single zero group is not compressed
    ['fe80:0:0:1:0:0:0:0/128', 'fe80:0:0:1::/128'], // the longest zero run wins
    ['fe80::1:0:0:0/128', 'fe80::1:0:0:0/128'], // equal runs: the first one
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1/128'],
    ['::ffff:c000:201', '::ffff:192.0.2.1/128'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221/128'],
  ])('%s → %s', (input, canonical) => {
    expect(canonicalCidr(input)).toBe(canonical);
    expect(describeInvalidCidr(input)).toBeNull();
    expect(isValidCidr(input)).toBe(true);
  });

  it('parses to family, network integer and prefix', () => {
    expect(parseCidr('10.1.2.0/24')).toEqual({ family: 4, network: 0x0a010200n, prefix: 24 });
    expect(parseCidr('2001:db8::/32')).toEqual({ family: 6, network: 0x20010db8n << 96n, prefix: 32 });
  });

  it.each([
    ['', /required/],
    ['10.0.0.256', /octet 256 is out of range/],
    ['10.0.0.1/33', /prefix length 33, out of range 0-32/],
    ['2001:db8::/129', /out of range 0-128/],
    ['10.0.0.1/24', /host bits set: the network is 10\.0\.0\.0\/24 \(a single host is 10\.0\.0\.1\/32\)/],
    ['2001:db8::1/64', /host bits set: the network is 2001:db8::\/64/],
    ['010.0.0.1', /leading zero/],
    ['10.0.0', /four dot-separated numbers/],
    ['10.0.0.1.1', /four dot-separated numbers/],
    ['10.0.0.-1', /not a decimal number/],
    ['10.0.0.1/', /invalid prefix length/],
    ['10.0.0.1/024', /invalid prefix length/],
    ['10.0.0.1/+8', /invalid prefix length/],
    [' 10.0.0.1', /whitespace/],
    ['10.0.0.1 ', /whitespace/],
    ['fe80::1%eth0', /zone indexes/],
    ['2001:db8::1::2', /only once/],
    ['2001:db8:1:2:3:4:5:6:7', /expected 8 groups/],
    ['2001:db8:1:2:3:4:5', /expected 8 groups/],
    ['1:2:3:4:5:6:7::8', /too many groups/],
    ['2001:db8::12345', /bad group/],
    ['2001:db8::g', /bad group/],
    [':1::2', /bad group/],
    ['::ffff:1.2.3.256', /embedded IPv4/],
    ['host.example', /four dot-separated numbers/],
    ['10.0.0.x', /not a decimal number/],
    ['localhost', /not an IPv4 or IPv6/],
  ])('rejects %j', (input, message) => {
    expect(describeInvalidCidr(input)).toMatch(message);
    expect(isValidCidr(input)).toBe(false);
    expect(tryParseCidr(input)).toBeNull();
    expect(() => parseCidr(input)).toThrow(InvalidAddressError);
  });
});

describe('containment and overlap', () => {
  it('contains nested blocks of the same family only', () => {
    expect(cidrContains('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '10.0.0.0/8')).toBe(true);
    expect(cidrContains('10.1.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '255.255.255.255')).toBe(true);
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
  });

  it('overlaps when one contains the other', () => {
    expect(cidrsOverlap('10.0.0.0/24', '10.0.0.128/25')).toBe(true);
    expect(cidrsOverlap('10.0.0.128/25', '10.0.0.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/25', '10.0.0.128/25')).toBe(false);
    expect(cidrsOverlap('2001:db8::/64', '2001:db8::/48')).toBe(true);
  });
});

describe('zoneForAddress', () => {
  const zones = [
    { name: 'corp', cidrs: ['10.0.0.0/8'] },
    { name: 'servers', cidrs: ['10.1.10.0/24', '2001:db8:10::/64'] },
    { name: 'dup-servers', cidrs: ['10.1.10.0/24'] },
    { name: 'host', cidrs: ['10.1.10.5/32'] },
  ];

  it('returns the most specific zone containing the whole address or CIDR', () => {
    expect(zoneForAddress(zones, '10.1.10.5')?.name).toBe('host');
    expect(zoneForAddress(zones, '10.1.10.6')?.name).toBe('servers'); // tie: first zone wins
    expect(zoneForAddress(zones, '10.1.10.0/25')?.name).toBe('servers');
    expect(zoneForAddress(zones, '10.2.0.1')?.name).toBe('corp');
    expect(zoneForAddress(zones, '2001:db8:10::7')?.name).toBe('servers');
  });

  it('returns null when no zone contains the whole block', () => {
    expect(zoneForAddress(zones, '192.168.1.1')).toBeNull();
    expect(zoneForAddress(zones, '10.0.0.0/7')).toBeNull();
    expect(zoneForAddress(zones, '2001:db8:11::1')).toBeNull();
    expect(zoneForAddress([], '10.0.0.1')).toBeNull();
  });
});

describe('summarising', () => {
  it('joins exactly: halves of one block, overlaps and duplicates', () => {
    expect(summarizeCidrs(['10.0.0.0/25', '10.0.0.128/25'])).toEqual(['10.0.0.0/24']);
    expect(summarizeCidrs(['10.0.0.5', '10.0.0.0/24', '10.0.0.5/32'])).toEqual(['10.0.0.0/24']);
    expect(summarizeCidrs(['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7'])).toEqual(['10.0.0.4/30']);
  });

  it('never widens: adjacent blocks that are not halves of one block stay apart', () => {
    expect(summarizeCidrs(['10.0.0.1', '10.0.0.2'])).toEqual(['10.0.0.1/32', '10.0.0.2/32']);
    expect(summarizeCidrs(['10.0.0.128/25', '10.0.1.0/25'])).toEqual(['10.0.0.128/25', '10.0.1.0/25']);
    expect(summarizeCidrs(['10.0.0.10', '10.0.0.11', '10.0.0.12'])).toEqual(['10.0.0.10/31', '10.0.0.12/32']);
  });

  it('keeps families apart, IPv4 first, and handles IPv6', () => {
    expect(summarizeCidrs(['2001:db8::1', '10.0.0.1', '2001:db8::'])).toEqual([
      '10.0.0.1/32',
      '2001:db8::/127',
    ]);
  });

  it('decomposes ranges into the fewest aligned blocks', () => {
    expect(rangeToCidrs(4, 10n, 59n).map(formatCidr)).toEqual([
      '0.0.0.10/31',
      '0.0.0.12/30',
      '0.0.0.16/28',
      '0.0.0.32/28',
      '0.0.0.48/29',
      '0.0.0.56/30',
    ]);
    expect(rangeToCidrs(4, 0n, 0xffffffffn).map(formatCidr)).toEqual(['0.0.0.0/0']);
    expect(rangeToCidrs(6, 0n, (1n << 128n) - 1n).map(formatCidr)).toEqual(['::/0']);
  });
});

describe('intersecting and subtracting CIDR lists', () => {
  const list = (...texts: string[]) => texts.map(parseCidr);
  const show = (cidrs: ReturnType<typeof list>) => cidrs.map(formatCidr);

  it('intersects exactly, empty when disjoint', () => {
    // 8.0.0.0-11.255.255.255 ∩ (0.0.0.0-7.255.255.255 ∪ 9.0.0.0-10.255.255.255)
    expect(
      show(intersectCidrList(4, list('8.0.0.0/6'), list('0.0.0.0/5', '9.0.0.0/8', '10.0.0.0/8'))),
    ).toEqual(['9.0.0.0/8', '10.0.0.0/8']);
    expect(show(intersectCidrList(4, list('0.0.0.0/0'), list('192.0.2.7')))).toEqual(['192.0.2.7/32']);
    expect(intersectCidrList(4, list('10.0.0.0/8'), list('11.0.0.0/8', '9.0.0.0/8'))).toEqual([]);
    expect(show(intersectCidrList(6, list('2001:db8::/32'), list('::/0')))).toEqual(['2001:db8::/32']);
  });

  it('subtracts exactly, at the edges and in the middle', () => {
    // 10.0.0.0-10.0.0.255 minus .0, .128-.191 and .255
    expect(
      show(subtractCidrList(4, list('10.0.0.0/24'), list('10.0.0.0', '10.0.0.128/26', '10.0.0.255'))),
    ).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/30',
      '10.0.0.8/29',
      '10.0.0.16/28',
      '10.0.0.32/27',
      '10.0.0.64/26',
      '10.0.0.192/27',
      '10.0.0.224/28',
      '10.0.0.240/29',
      '10.0.0.248/30',
      '10.0.0.252/31',
      '10.0.0.254/32',
    ]);
    expect(subtractCidrList(4, list('10.0.0.0/24'), list('0.0.0.0/0'))).toEqual([]);
    expect(show(subtractCidrList(4, list('0.0.0.0/0'), list('128.0.0.0/1')))).toEqual(['0.0.0.0/1']);
    expect(show(subtractCidrList(4, list('10.0.0.0/8', '12.0.0.0/8'), list('11.0.0.0/8')))).toEqual([
      '10.0.0.0/8',
      '12.0.0.0/8',
    ]);
  });
});
