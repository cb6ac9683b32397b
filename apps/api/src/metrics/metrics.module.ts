import { Module } from '@nestjs/common';
import { PushesModule } from '../pushes/pushes.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [PushesModule],
  controllers: [MetricsController],
  providers: [MetricsService],
})
export class MetricsModule {}
