import { isDeviceLocked, withDeviceLock } from './lock';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('withDeviceLock', () => {
  it('runs calls with the same key strictly one after another, in arrival order', async () => {
    const log: string[] = [];
    const job = (name: string, ms: number) =>
      withDeviceLock('dev-a', async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([job('1', 20), job('2', 5), job('3', 1)]);
    expect(results).toEqual(['1', '2', '3']);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(isDeviceLocked('dev-a')).toBe(false);
  });

  it('lets different devices run concurrently', async () => {
    const log: string[] = [];
    await Promise.all(
      ['x', 'y'].map((k) =>
        withDeviceLock(k, async () => {
          log.push(`start ${k}`);
          await tick(10);
          log.push(`end ${k}`);
        }),
      ),
    );
    expect(log.slice(0, 2).sort()).toEqual(['start x', 'start y']);
  });

  it('is re-entrant within one call chain (a push holding the lock can call apply)', async () => {
    const result = await withDeviceLock('dev-b', () => withDeviceLock('dev-b', () => Promise.resolve(42)));
    expect(result).toBe(42);
  });

  it('releases the lock when the holder throws', async () => {
    await expect(withDeviceLock('dev-c', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withDeviceLock('dev-c', () => Promise.resolve('next'))).resolves.toBe('next');
  });
});
