import { PrismaClient } from '@app/persistence';

/**
 * DI token for the Prisma client: an abstract class so services inject it by type without a string token.
 * The instance is the client `openDatabase` built for the configured backend.
 */
export abstract class PrismaService extends PrismaClient {}
