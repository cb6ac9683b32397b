import { assignSequences, blockBounds } from './sequence';

describe('managed block sequences', () => {
  const cur = (entries: Array<[string, number | undefined]>): Map<string, number | undefined> =>
    new Map(entries);

  it('places a block below people rules in steps of up to 100', () => {
    expect([...assignSequences(['a', 'b'], cur([]), blockBounds([], 'top'))!]).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect([...assignSequences(['a', 'b'], cur([]), blockBounds([50, 900], 'top'))!]).toEqual([
      ['a', 16],
      ['b', 32],
    ]);
    expect([...assignSequences(['a', 'b'], cur([]), blockBounds([300], 'bottom'))!]).toEqual([
      ['a', 400],
      ['b', 500],
    ]);
  });

  it('keeps the longest run already in order and only moves the others', () => {
    const moved = assignSequences(
      ['a', 'b', 'c', 'd'],
      cur([
        ['a', 100],
        ['b', 400],
        ['c', 200],
        ['d', 300],
      ]),
      blockBounds([], 'top'),
    );
    expect([...moved!]).toEqual([['b', 150]]);
    expect(
      assignSequences(
        ['a', 'b'],
        cur([
          ['a', 100],
          ['b', 200],
        ]),
        blockBounds([1000], 'top'),
      )!.size,
    ).toBe(0);
  });

  it('renumbers everything when a gap is too small, and gives up when there is no room at all', () => {
    const tight = assignSequences(
      ['a', 'x', 'b'],
      cur([
        ['a', 10],
        ['b', 11],
      ]),
      blockBounds([], 'top'),
    );
    expect([...tight!.values()]).toEqual([100, 200, 300]);
    expect(assignSequences(['a'], cur([]), blockBounds([1], 'top'))).toBeNull();
  });
});
