import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { RequestAuthenticator } from './auth/request-authenticator';
import { CatalogModule } from './catalog/catalog.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { authenticatedContext } from './common/graphql/graphql-context';
import { DateTimeScalar } from './common/graphql/date-time.scalar';
import { formatGraphQLError } from './common/graphql/graphql-errors';
import { withSyncFieldResolvers } from './common/graphql/sync-field-resolvers';
import { MAX_DOCUMENT_TOKENS, queryLimits } from './common/graphql/query-limits';
import { HttpGuards } from './common/http/http-guards';
import { NoBodyGuard } from './common/http/no-body.guard';
import { NotFoundFallback } from './common/http/not-found.fallback';
import { createValidationPipe } from './common/http/validation.pipe';
import type { AppConfig, ConfigOverrides } from './config/app-config';
import { APP_CONFIG, ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DriftModule } from './drift/drift.module';
import { HealthModule } from './health/health.module';
import { INVENTORY_SYNC_FIELDS } from './inventory/inventory-fields.resolver';
import { InventoryLoaderFactory } from './inventory/inventory.loaders';
import { InventoryModule } from './inventory/inventory.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { PushesModule } from './pushes/pushes.module';
import { RulesModule } from './rules/rules.module';
import { TenantsModule } from './tenants/tenants.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** `overrides` replace values read from the environment (tests use an in-memory database). */
  static forRoot(overrides: ConfigOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(overrides),
        LoggingModule,
        DatabaseModule,
        AuditModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        TenantsModule,
        InventoryModule,
        CatalogModule,
        RulesModule,
        PushesModule,
        DriftModule,
        WebhooksModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [InventoryModule],
          inject: [InventoryLoaderFactory, APP_CONFIG, RequestAuthenticator],
          useFactory: (
            loaders: InventoryLoaderFactory,
            config: AppConfig,
            authenticator: RequestAuthenticator,
          ): ApolloDriverConfig => ({
            autoSchemaFile: true,
            sortSchema: true,
            // Strict DateTime: Nest's own turns non-string literals into null and passes any variable to new Date().
            buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
            path: '/graphql',
            playground: false,
            // Only for authenticated callers: the context refuses anonymous requests before any parsing.
            introspection: true,
            includeStacktraceInErrorResponses: false,
            // No operations are registered ahead, so automatic persisted queries would only add a cache any
            // caller can fill; refused with PERSISTED_QUERY_NOT_SUPPORTED.
            persistedQueries: false,
            allowBatchedHttpRequests: false,
            // The schema declares no cache hints, so the default cache-control plugin only costs: its per-field
            // hook makes Apollo wrap every resolver of the schema (a 200-site dashboard resolves ~50,000 fields).
            plugins: [ApolloServerPluginCacheControlDisabled()],
            parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
            validationRules: [
              queryLimits({ maxDepth: config.graphqlMaxDepth, maxComplexity: config.graphqlMaxComplexity }),
            ],
            transformResolvers: withSyncFieldResolvers(INVENTORY_SYNC_FIELDS),
            formatError: formatGraphQLError,
            context: authenticatedContext(authenticator, loaders),
          }),
        }),
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        NotFoundFallback,
        NoBodyGuard,
        { provide: APP_GUARD, useClass: HttpGuards },
      ],
    };
  }
}
