import { Prisma } from '@app/persistence';
import { normaliseError } from './error-mapping';

function prismaError(code: string): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError('driver message', { code, clientVersion: 'test' });
}

describe('normaliseError: database saturation', () => {
  // Seen in the matrix e2e: ~40 concurrent POST /devices on PostgreSQL answered 500 "Unable to start a
  // transaction in the given time" (P2028); the same holds for a pool checkout timeout (P2024).
  it.each(['P2024', 'P2028'])('%s is a 503 with a retry hint, not an internal error', (code) => {
    const problem = normaliseError(prismaError(code));
    expect(problem.status).toBe(503);
    expect(problem.code).toBe('SERVICE_UNAVAILABLE');
    expect(problem.details).toEqual({ retryAfterSeconds: 1 });
    expect(problem.detail).toMatch(/nothing was changed/);
  });

  it('other unknown Prisma errors stay internal errors', () => {
    const problem = normaliseError(prismaError('P2010'));
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
