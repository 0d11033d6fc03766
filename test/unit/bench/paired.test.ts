import { comparePaired, median, paired } from '../../../bench/lib/paired';

describe('bench paired runner', () => {
  it('runs A and B in alternating pairs after the warm-up and compares their medians', async () => {
    // Arrange
    const runs: string[] = [];
    let a = 0;
    let b = 0;
    const sideA = () => {
      runs.push('a');
      a += 1;
      return 2 * a;
    };
    const sideB = () => {
      runs.push('b');
      b += 1;
      return b;
    };

    // Act
    const result = await paired(sideA, sideB, { pairs: 3, warmup: 1 });

    // Assert
    expect(runs).toEqual(['b', 'a', 'a', 'b', 'b', 'a', 'a', 'b']); // the warm-up pair, then ab, ba, ab
    expect(result.order).toEqual(['ab', 'ba', 'ab']);
    expect(result.a).toEqual([4, 6, 8]);
    expect(result.b).toEqual([2, 3, 4]);
    expect(result.medianA).toBe(6);
    expect(result.medianB).toBe(3);
    expect(result.ratio).toBe(2);
    expect(result.medianPairRatio).toBe(2);
  });

  it('keeps one order when alternation is off', async () => {
    // Arrange
    const runs: string[] = [];

    // Act
    const result = await paired(
      () => runs.push('a'),
      () => runs.push('b'),
      { pairs: 2, alternate: false },
    );

    // Assert
    expect(runs).toEqual(['a', 'b', 'a', 'b']);
    expect(result.order).toEqual(['ab', 'ab']);
  });

  it('times a command from its stdout when told how to read it', async () => {
    // Arrange
    const command = { command: [process.execPath, '-e', 'console.log(7)'], parse: (out: string) => Number(out) };

    // Act
    const result = await paired(command, command, { pairs: 1 });

    // Assert
    expect(result.medianA).toBe(7);
    expect(result.ratio).toBe(1);
  });

  it('refuses samples of unequal length', () => {
    // Arrange, Act and Assert
    expect(() => comparePaired([1, 2], [1])).toThrow(/same non-zero number/);
  });

  it('takes the mean of the two middle samples when their number is even', () => {
    // Act
    const result = comparePaired([1, 2, 10, 20], [1, 1, 1, 1]);

    // Assert
    expect(median([3, 1, 2])).toBe(2);
    expect(result.medianA).toBe(6);
    expect(result.ratio).toBe(6);
  });
});
