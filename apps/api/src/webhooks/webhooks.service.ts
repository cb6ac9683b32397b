import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import {
  CredentialCipher,
  type Prisma,
  type PushState,
  type Webhook,
  type WebhookDelivery,
} from '@app/persistence';
import { AuditService } from '../audit/audit.service';
import { assertVersion, versionedWrite } from '../common/concurrency';
import { NotFound } from '../common/errors/domain-error';
import { containsText, paginate, type Page, type PageResult } from '../common/pagination/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../database/prisma.service';
import { ItemReads } from '../database/item-reads';
import { DriftService, toDriftModel } from '../drift/drift.service';
import { JobQueue } from '../jobs/job-queue.service';
import { toPushModel } from '../pushes/push.model';
import { PushRunner } from '../pushes/push-runner.service';
import type { CreateWebhookInput, UpdateWebhookInput, WebhookEvent, WebhookFilter } from './webhook.model';
import { asSystem, resolveOwner } from '../tenants/tenant-scope';
import { toWebhookModel } from './webhook.model';

export const WEBHOOK_QUEUE = 'webhook-delivery';

const FINAL_PUSH_STATES = new Set<PushState>(['succeeded', 'failed', 'noop', 'cancelled']);
// A push that just finished is normally handed to emitForPush right away; the sweep leaves it that long.
const SWEEP_GRACE_MS = 30_000;
const STRANDED_DELIVERY_MS = 5 * 60_000;

interface DeliveryJob {
  deliveryId: string;
}

/** `sha256=<hex>` over `<timestamp>.<body>`, so a captured request cannot be replayed with another time. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Webhooks for push and drift events. Each event becomes one delivery row per subscribed webhook and one queue
 * job; a failed attempt (network error, timeout, non-2xx) is retried by pg-boss with backoff up to
 * WEBHOOK_MAX_ATTEMPTS, and every attempt is visible in the delivery log.
 */
@Injectable()
export class WebhooksService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly items: ItemReads,
    private readonly cipher: CredentialCipher,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly pushes: PushRunner,
    private readonly drift: DriftService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.createQueue(WEBHOOK_QUEUE, {
      retryLimit: this.config.webhookMaxAttempts - 1,
      retryDelaySeconds: this.config.webhookRetryDelaySeconds,
      expireInSeconds: 300,
    });
    this.pushes.onFinished(async (push) => {
      // Already set when no enabled webhook subscribed to the event as the push finished (PushRunner.record):
      // there is nothing to record, and no transaction to spend on finding that out.
      if (push.eventsEmittedAt) return;
      await this.emitForPush(push.id);
    });
    this.drift.onDrift(async (check) => {
      await this.emit('drift.detected', { deviceId: check.deviceId, drift: toDriftModel(check) });
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.work<DeliveryJob>(WEBHOOK_QUEUE, 10, (job) => this.deliver(job.data.deliveryId));
    this.sweeper = setInterval(() => void this.runSweep(), this.config.schedulerIntervalMs);
    void this.runSweep();
  }

  beforeApplicationShutdown(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    return this.sweeping ?? Promise.resolve();
  }

  private runSweep(): Promise<void> {
    this.sweeping ??= this.sweep()
      .then(({ pushes, requeued }) => {
        if (pushes || requeued)
          this.logger.warn(`recovered ${pushes} push event(s) and ${requeued} stranded delivery(ies)`);
      })
      .catch((error: unknown) =>
        this.logger.error(`webhook sweep failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  async create(input: CreateWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook = await this.prisma.$transaction(async (tx) => {
      const tenantId = (await resolveOwner(tx, input.tenantId)) ?? null;
      const created = await tx.webhook.create({
        data: {
          tenantId,
          url: input.url,
          events: [...new Set(input.events)],
          description: input.description ?? '',
          enabled: input.enabled ?? true,
          secretEncrypted: this.cipher.encrypt(secret),
        },
      });
      await this.audit.record(tx, {
        action: 'webhook.create',
        targetType: 'webhook',
        targetId: created.id,
        after: toWebhookModel(created),
      });
      return created;
    });
    return { webhook, secret };
  }

  async update(id: string, input: UpdateWebhookInput, expectedVersion?: number): Promise<Webhook> {
    return this.prisma.$transaction(async (tx) => {
      const before = await tx.webhook.findUnique({ where: { id } });
      if (!before) throw new NotFound('webhook', id);
      assertVersion('webhook', id, before.version, expectedVersion);
      // The version read above is part of the condition: of concurrent updates sent with the same If-Match, one
      // wins and the others find the row changed (412), as on every other resource.
      const after = await versionedWrite('webhook', id, () =>
        tx.webhook.update({
          where: { id, version: before.version },
          data: {
            url: input.url,
            events: input.events ? [...new Set(input.events)] : undefined,
            description: input.description,
            enabled: input.enabled,
            version: { increment: 1 },
          },
        }),
      );
      await this.audit.record(tx, {
        action: 'webhook.update',
        targetType: 'webhook',
        targetId: id,
        before: toWebhookModel(before),
        after: toWebhookModel(after),
      });
      return after;
    });
  }

  async delete(id: string, expectedVersion?: number): Promise<Webhook> {
    return this.prisma.$transaction(async (tx) => {
      const before = await tx.webhook.findUnique({ where: { id } });
      if (!before) throw new NotFound('webhook', id);
      assertVersion('webhook', id, before.version, expectedVersion);
      await versionedWrite('webhook', id, () =>
        tx.webhook.delete({ where: { id, version: before.version } }),
      );
      await this.audit.record(tx, {
        action: 'webhook.delete',
        targetType: 'webhook',
        targetId: id,
        before: toWebhookModel(before),
      });
      return before;
    });
  }

  async get(id: string): Promise<Webhook> {
    const webhook = await this.items.byId('Webhook', id);
    if (!webhook) throw new NotFound('webhook', id);
    return webhook;
  }

  async list(filter: WebhookFilter, page: Page): Promise<PageResult<Webhook>> {
    const where: Prisma.WebhookWhereInput = {
      ...(filter.q ? { OR: [{ url: containsText(filter.q) }, { description: containsText(filter.q) }] } : {}),
      ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.webhook.findMany({
          where,
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          ...window,
        }),
      () => this.prisma.webhook.count({ where }),
    );
  }

  /** `q`: substring of the event name (`push.failed`). */
  async deliveries(
    webhookId: string,
    filter: { q?: string },
    page: Page,
  ): Promise<PageResult<WebhookDelivery>> {
    await this.get(webhookId);
    const where: Prisma.WebhookDeliveryWhereInput = {
      webhookId,
      ...(filter.q ? { event: containsText(filter.q) } : {}),
    };
    return paginate(
      page,
      (window) =>
        this.prisma.webhookDelivery.findMany({
          where,
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          ...window,
        }),
      () => this.prisma.webhookDelivery.count({ where }),
    );
  }

  /**
   * A finished push's event is recorded exactly once: the deliveries and the push's `eventsEmittedAt` are
   * written in one transaction (under the push's row lock), and `sweep()` catches pushes whose instance died
   * between finishing the push and recording its event.
   */
  async emitForPush(pushId: string): Promise<WebhookDelivery[]> {
    const ids = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM "pushes" WHERE "id" = ${pushId}::uuid FOR UPDATE`;
      const push = await tx.push.findUnique({ where: { id: pushId } });
      if (!push || push.eventsEmittedAt || !FINAL_PUSH_STATES.has(push.state)) return [];
      const event: WebhookEvent | null =
        push.state === 'failed' ? 'push.failed' : push.state === 'cancelled' ? null : 'push.succeeded';
      const created = event
        ? await this.record(tx, event, { deviceId: push.deviceId, push: toPushModel(push) })
        : [];
      await tx.push.update({ where: { id: pushId }, data: { eventsEmittedAt: new Date() } });
      return created;
    });
    return this.dispatch(ids);
  }

  /** Records one delivery per enabled webhook subscribed to `event` and queues them. */
  async emit(event: WebhookEvent, data: Record<string, unknown>): Promise<WebhookDelivery[]> {
    const ids = await this.prisma.$transaction((tx) => this.record(tx, event, data));
    return this.dispatch(ids);
  }

  /**
   * Recovers what a crash can leave behind: finished pushes whose event was never recorded, and deliveries
   * recorded but never queued (the process died between commit and enqueue). Deliveries are at least once;
   * receivers deduplicate on `X-UTM-Delivery`.
   */
  async sweep(now: Date = new Date()): Promise<{ pushes: number; requeued: number }> {
    const orphans = await this.prisma.push.findMany({
      where: {
        eventsEmittedAt: null,
        state: { in: [...FINAL_PUSH_STATES] },
        finishedAt: { lt: new Date(now.getTime() - SWEEP_GRACE_MS) },
      },
      select: { id: true },
      take: 100,
    });
    for (const orphan of orphans) await this.emitForPush(orphan.id);
    const stranded = await this.prisma.webhookDelivery.findMany({
      where: {
        state: 'pending',
        attempts: 0,
        createdAt: { lt: new Date(now.getTime() - STRANDED_DELIVERY_MS) },
      },
      select: { id: true },
      take: 100,
    });
    await this.dispatch(stranded.map((d) => d.id));
    return { pushes: orphans.length, requeued: stranded.length };
  }

  private async record(
    tx: Prisma.TransactionClient,
    event: WebhookEvent,
    data: Record<string, unknown>,
  ): Promise<string[]> {
    // Provider webhooks hear every event; a tenant's only those of its devices. Read as the service: an event
    // raised inside a tenant's request still reaches the provider's webhooks.
    const hooks = await asSystem(async () => {
      const deviceId = typeof data.deviceId === 'string' ? data.deviceId : null;
      const device = deviceId
        ? await tx.device.findUnique({
            where: { id: deviceId },
            select: { site: { select: { tenantId: true } } },
          })
        : null;
      const owner = device?.site.tenantId ?? null;
      return tx.webhook.findMany({
        where: {
          enabled: true,
          events: { has: event },
          OR: [{ tenantId: null }, ...(owner ? [{ tenantId: owner }] : [])],
        },
      });
    });
    if (!hooks.length) return [];
    const payload = JSON.parse(
      JSON.stringify({ event, occurredAt: new Date().toISOString(), data }),
    ) as Prisma.InputJsonValue;
    const rows = hooks.map((h) => ({ id: randomUUID(), webhookId: h.id, event, payload }));
    await tx.webhookDelivery.createMany({ data: rows });
    return rows.map((r) => r.id);
  }

  private async dispatch(ids: string[]): Promise<WebhookDelivery[]> {
    if (!ids.length) return [];
    for (const id of ids) await this.jobs.send<DeliveryJob>(WEBHOOK_QUEUE, { deliveryId: id });
    return this.prisma.webhookDelivery.findMany({ where: { id: { in: ids } } });
  }

  /** One attempt; throws (so the queue retries with backoff) unless it succeeded or was the last attempt. */
  private async deliver(deliveryId: string): Promise<void> {
    const delivery = await this.prisma.webhookDelivery.findUnique({
      where: { id: deliveryId },
      include: { webhook: true },
    });
    if (!delivery || delivery.state !== 'pending') return;
    const body = JSON.stringify({ id: delivery.id, ...(delivery.payload as Record<string, unknown>) });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = signWebhook(this.cipher.decrypt(delivery.webhook.secretEncrypted), timestamp, body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(delivery.webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'utm-firewall-orchestrator',
          'x-utm-event': delivery.event,
          'x-utm-delivery': delivery.id,
          'x-utm-timestamp': timestamp,
          'x-utm-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(this.config.webhookTimeoutMs),
        redirect: 'manual',
      });
      status = res.status;
      await res.body?.cancel();
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error =
        e instanceof Error
          ? e.cause instanceof Error
            ? `${e.message}: ${e.cause.message}`
            : e.message
          : String(e);
    }
    const attempts = delivery.attempts + 1;
    const last = attempts >= this.config.webhookMaxAttempts;
    await this.prisma.webhookDelivery.update({
      where: { id: deliveryId },
      data: {
        attempts,
        lastStatus: status,
        lastError: error,
        lastAttemptAt: new Date(),
        state: error === null ? 'delivered' : last ? 'failed' : 'pending',
        deliveredAt: error === null ? new Date() : null,
      },
    });
    if (error !== null && !last) throw new Error(`webhook delivery ${deliveryId}: ${error}`);
    if (error !== null)
      this.logger.warn(`webhook delivery ${deliveryId} failed after ${attempts} attempt(s): ${error}`);
  }
}
