import type { Request } from 'express';
import type { InventoryLoaders } from '../../inventory/inventory.loaders';

export interface GraphQLContext {
  req: Request;
  loaders: InventoryLoaders;
}
