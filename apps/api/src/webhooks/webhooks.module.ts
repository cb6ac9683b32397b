import { Module } from '@nestjs/common';
import { DriftModule } from '../drift/drift.module';
import { JobsModule } from '../jobs/jobs.module';
import { PushesModule } from '../pushes/pushes.module';
import { WebhooksController } from './webhooks.controller';
import { WebhooksResolver } from './webhooks.resolver';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [PushesModule, DriftModule, JobsModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhooksResolver],
})
export class WebhooksModule {}
