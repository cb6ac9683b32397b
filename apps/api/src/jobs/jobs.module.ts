import { Module } from '@nestjs/common';
import { DeviceLocks } from './device-locks.service';
import { JobQueue } from './job-queue.service';

@Module({ providers: [JobQueue, DeviceLocks], exports: [JobQueue, DeviceLocks] })
export class JobsModule {}
