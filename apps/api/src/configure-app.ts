import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const API_PREFIX = 'api/v1';

/**
 * App-level wiring that modules cannot express (URL prefix, OpenAPI document); shared by main.ts and
 * the e2e test app so both serve the same routes.
 */
export function configureApp(app: INestApplication): INestApplication {
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'metrics'] });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('utm-firewall-orchestrator')
      .setDescription('Computes, pushes and verifies the firewall rules UTMStack deployments need.')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
  });
  return app;
}
