import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Push } from '@app/persistence';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PrismaService } from '../database/prisma.service';
import { FleetSummaryService } from '../pushes/fleet-summary.service';
import { PushRunner } from '../pushes/push-runner.service';
import { TenantScope } from '../tenants/tenant-scope';

/** Seconds; pushes of a small device take well under a second, a large fleet device behind a slow API minutes. */
const PUSH_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics. Counters and histograms are this instance's (scrape every replica); the fleet gauges are
 * read from the database at scrape time, so every replica reports the same fleet.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  // One registry per application instance: test apps in one process must not share counters.
  readonly registry = new Registry();
  private rendering: Promise<string> | null = null;

  private readonly httpRequests = new Counter({
    name: 'utm_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'utm_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly pushesFinished = new Counter({
    name: 'utm_pushes_finished_total',
    help: 'Pushes this instance finished, by trigger, final state and whether they were dry runs',
    labelNames: ['trigger', 'state', 'dry_run'] as const,
    registers: [this.registry],
  });
  private readonly pushDuration = new Histogram({
    name: 'utm_push_duration_seconds',
    help: 'Start to finish of the pushes this instance finished, by final state',
    labelNames: ['state'] as const,
    buckets: PUSH_BUCKETS,
    registers: [this.registry],
  });
  private readonly pushWrites = new Counter({
    name: 'utm_push_writes_total',
    help: 'Write calls made to firewall APIs by the pushes this instance finished',
    registers: [this.registry],
  });
  private readonly gauges = fleetGauges(this.registry);

  constructor(
    private readonly prisma: PrismaService,
    private readonly fleet: FleetSummaryService,
    private readonly runner: PushRunner,
  ) {
    collectDefaultMetrics({ register: this.registry });
  }

  onModuleInit(): void {
    this.runner.onFinished((push) => this.recordPush(push));
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }

  recordPush(push: Push): void {
    this.pushesFinished.inc({ trigger: push.trigger, state: push.state, dry_run: String(push.dryRun) });
    if (push.startedAt && push.finishedAt) {
      this.pushDuration.observe(
        { state: push.state },
        (push.finishedAt.getTime() - push.startedAt.getTime()) / 1000,
      );
    }
    if (push.writes) this.pushWrites.inc(push.writes);
  }

  /**
   * The exposition text, with the fleet gauges read fresh from the database. Concurrent scrapes share one read, so
   * one scrape's reset of the gauges can never interleave with another's output.
   */
  render(): Promise<string> {
    // A token limited to tenants gets only its tenants' fleet gauges, read through its scope; this instance's
    // request and push counters mix every tenant's, so they are left out.
    if (TenantScope.current().limited) {
      const registry = new Registry();
      return this.fillFleet(fleetGauges(registry)).then(() => registry.metrics());
    }
    this.rendering ??= this.renderOnce().finally(() => {
      this.rendering = null;
    });
    return this.rendering;
  }

  private async renderOnce(): Promise<string> {
    await this.fillFleet(this.gauges);
    return this.registry.metrics();
  }

  private async fillFleet({ devices, lastSuccess, drifted, pushesInFlight }: FleetGauges): Promise<void> {
    const [summary, inFlight] = await Promise.all([
      this.fleet.summary(),
      this.prisma.push.groupBy({
        by: ['state'],
        where: { state: { in: ['queued', 'running'] } },
        _count: { _all: true },
      }),
    ]);
    devices.reset();
    lastSuccess.reset();
    for (const device of summary.devices) {
      devices.inc({ vendor: device.vendor, last_push_state: device.lastState ?? 'never' });
      if (device.lastSuccessAt) {
        lastSuccess.set(
          { device_id: device.deviceId, device: device.deviceName, vendor: device.vendor },
          device.lastSuccessAt.getTime() / 1000,
        );
      }
    }
    drifted.set(summary.drifted.length);
    pushesInFlight.reset();
    for (const state of ['queued', 'running'] as const) {
      pushesInFlight.set({ state }, inFlight.find((row) => row.state === state)?._count._all ?? 0);
    }
  }
}

type FleetGauges = ReturnType<typeof fleetGauges>;

function fleetGauges(registry: Registry) {
  return {
    devices: new Gauge({
      name: 'utm_devices',
      help: 'Devices by vendor and state of their latest push (never: not pushed yet)',
      labelNames: ['vendor', 'last_push_state'] as const,
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'utm_device_last_success_timestamp_seconds',
      help: 'End of the latest succeeded or noop push of each device that has one (alert when it gets old)',
      labelNames: ['device_id', 'device', 'vendor'] as const,
      registers: [registry],
    }),
    drifted: new Gauge({
      name: 'utm_devices_drifted',
      help: 'Devices whose latest drift check found drift or exposed never-exposed ports',
      registers: [registry],
    }),
    pushesInFlight: new Gauge({
      name: 'utm_pushes_in_flight',
      help: 'Pushes queued or running across all replicas',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
  };
}
