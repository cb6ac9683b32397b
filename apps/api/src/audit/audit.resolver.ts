import { Args, Query, Resolver } from '@nestjs/graphql';
import { RequireScope } from '../auth/auth.decorators';
import { connectionPage, toConnection } from '../common/pagination/pagination';
import { AuditConnection, AuditConnectionArgs, AuditEntryModel, toAuditModel } from './audit.model';
import { AuditService } from './audit.service';

@Resolver(() => AuditEntryModel)
@RequireScope('admin')
export class AuditResolver {
  constructor(private readonly service: AuditService) {}

  @Query(() => AuditConnection, { description: 'Audit log, newest first' })
  async auditEntries(@Args() args: AuditConnectionArgs): Promise<AuditConnection> {
    return toConnection(
      await this.service.list({ ...args.filter, q: args.q }, connectionPage(args)),
      toAuditModel,
    );
  }
}
