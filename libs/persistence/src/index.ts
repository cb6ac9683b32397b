export * from './credential-cipher';
export * from './database';
export * from './migrations';
export * from './sql-executor';
export * from './generated/prisma/client';
export * from './rotate-credentials';
export * from './item-cache';
