import { vi } from 'vitest';
import { RuleSetsService } from '../../apps/api/src/rules/rule-sets.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { waitFor } from '../pushes/push-helpers';

describe('rule sets warm-up', () => {
  let t: TestApp | undefined;

  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.close();
  });

  it('tries again after a failed start, and the readiness probe recovers by itself', async () => {
    // The first computation fails, as with the database away for a moment; the ones after it run for real.
    vi.spyOn(RuleSetsService.prototype, 'settle').mockRejectedValueOnce(new Error('database away'));
    t = await createTestApp();
    const app = t;
    const probe = async (): Promise<{ status: number; ruleSets: string }> => {
      const res = await app.anon().get('/health?ready=true');
      return { status: res.status, ruleSets: (res.body as { ruleSets: string }).ruleSets };
    };
    expect(await waitFor(probe, (r) => r.ruleSets !== 'starting', 5_000, 'the first attempt')).toEqual({
      status: 503,
      ruleSets: 'failed',
    });
    // The retry comes 1 s after the failure.
    expect(await waitFor(probe, (r) => r.ruleSets === 'ready', 10_000, 'the retry')).toEqual({
      status: 200,
      ruleSets: 'ready',
    });
    expect(vi.mocked(RuleSetsService.prototype.settle).mock.calls.length).toBeGreaterThanOrEqual(2);
  });
});
