import { createHash } from 'node:crypto';
import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
// The one place Nest's own @Post is used: every route takes the one below (lint enforces it).
// eslint-disable-next-line no-restricted-imports
import { Post as NestPost } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { catchError, from, mergeMap, type Observable, of } from 'rxjs';
import { Prisma } from '@app/persistence';
import { PrismaService } from '../../database/prisma.service';
import { redactUrl } from '../../logging/logger';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import type { Principal } from '../request-context';

const TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

type Begin = { kind: 'fresh'; id: string } | { kind: 'replay'; status: number; body: unknown };

const SECRET_FIELDS_KEY = 'idempotency:secret-fields';
/** Every replayed answer carries this header (value `true`). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** Replays of a response whose secrets were withheld carry this header (value `true`). */
export const SECRET_WITHHELD_HEADER = 'Idempotent-Secret-Withheld';

/**
 * Top-level response fields that are shown once (a new token, a webhook signing secret). They are never stored
 * with the idempotency record: a replay answers the stored response with them set to null and the header
 * `Idempotent-Secret-Withheld: true`, so a secret exists in plaintext only in the first answer.
 */
export const SecretResponseFields = (...fields: string[]): MethodDecorator =>
  SetMetadata(SECRET_FIELDS_KEY, fields);

function withoutSecrets(body: unknown, fields: readonly string[]): unknown {
  if (!fields.length || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of fields) if (field in copy) copy[field] = null;
  return copy;
}

/**
 * A POST route: Nest's `@Post` with `Idempotency-Key` support. Attached to the POST routes only, rather than as an
 * app-wide interceptor, because an interceptor anywhere in the chain puts every route's answer (each item read
 * included) through Nest's Observable pipeline.
 */
export const Post = (path?: string | string[]): MethodDecorator =>
  applyDecorators(NestPost(path), UseInterceptors(IdempotencyInterceptor));

/**
 * `Idempotency-Key` on POST: the first request runs and its response is kept for 24 hours; the same
 * key with the same request replays that response; with a different request it is refused (422).
 * Keys belong to the token that sent them.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly prisma: PrismaService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal | null }>();
    const res = context.switchToHttp().getResponse<Response>();
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || key === undefined || !req.principal) return next.handle();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw ValidationFailed.field(
        'Idempotency-Key',
        'Idempotency-Key must be 1-255 visible ASCII characters',
      );
    }
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
    const secretFields =
      this.reflector.get<string[] | undefined>(SECRET_FIELDS_KEY, context.getHandler()) ?? [];
    const principal = req.principal;
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');

    return from(this.begin(principal.tokenId, key, req, requestHash)).pipe(
      mergeMap((begun) => {
        if (begun.kind === 'replay') {
          res.status(begun.status);
          res.setHeader(REPLAYED_HEADER, 'true');
          if (secretFields.length) res.setHeader(SECRET_WITHHELD_HEADER, 'true');
          // Records written before secrets were withheld are scrubbed on the way out too.
          return of(withoutSecrets(begun.body, secretFields));
        }
        return next.handle().pipe(
          // Stored before the response leaves, so an immediate retry already replays it.
          mergeMap(async (body: unknown) => {
            await this.prisma.idempotencyKey.update({
              where: { id: begun.id },
              data: { status, responseBody: JSON.stringify(withoutSecrets(body ?? null, secretFields)) },
            });
            return body;
          }),
          catchError((error: unknown) => {
            // A failed request did not happen: the client may retry it (fixed) with the same key.
            return from(
              this.prisma.idempotencyKey.delete({ where: { id: begun.id } }).catch(() => undefined),
            ).pipe(
              mergeMap(() => {
                throw error;
              }),
            );
          }),
        );
      }),
    );
  }

  private async begin(tokenId: string, key: string, req: Request, requestHash: string): Promise<Begin> {
    const now = new Date();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const row = await this.prisma.idempotencyKey.create({
          data: {
            tokenId,
            key,
            method: req.method,
            path: redactUrl(req.originalUrl),
            requestHash,
            expiresAt: new Date(now.getTime() + TTL_MS),
          },
        });
        if (attempt === 0 && Math.random() < 0.01) {
          await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lt: now } } });
        }
        return { kind: 'fresh', id: row.id };
      } catch (error) {
        if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') throw error;
      }
      const existing = await this.prisma.idempotencyKey.findUnique({
        where: { tokenId_key: { tokenId, key } },
      });
      if (!existing) continue;
      if (existing.expiresAt <= now) {
        await this.prisma.idempotencyKey.deleteMany({ where: { id: existing.id } });
        continue;
      }
      if (existing.requestHash !== requestHash) {
        throw new DomainError(
          'UNPROCESSABLE',
          'this Idempotency-Key was already used with a different request',
          [{ field: 'Idempotency-Key', message: 'key reused with a different method, path or body' }],
        );
      }
      if (existing.status === null) {
        throw new DomainError(
          'CONFLICT',
          'a request with this Idempotency-Key is still being processed; retry shortly',
        );
      }
      return {
        kind: 'replay',
        status: existing.status,
        body: JSON.parse(existing.responseBody ?? 'null') as unknown,
      };
    }
    throw new DomainError('CONFLICT', 'could not reserve the Idempotency-Key; retry');
  }
}
