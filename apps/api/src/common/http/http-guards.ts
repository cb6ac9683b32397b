import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '../../auth/auth.guard';
import { NoBodyGuard } from './no-body.guard';

/**
 * The app-wide guards, registered as one so their order does not depend on the order Nest scans modules in:
 * authentication and scope first (401, 403, 429), then the request-body check (400), so an anonymous caller learns
 * nothing about a route's body before it is told to authenticate.
 */
@Injectable()
export class HttpGuards implements CanActivate {
  constructor(
    private readonly auth: AuthGuard,
    private readonly noBody: NoBodyGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.auth.canActivate(context);
    return this.noBody.canActivate(context);
  }
}
