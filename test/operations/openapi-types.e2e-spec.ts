import { createTestApp, type TestApp } from '../utils/create-test-app';

interface SchemaObject {
  type?: string;
  properties?: Record<string, SchemaObject>;
  additionalProperties?: unknown;
  $ref?: string;
  allOf?: unknown;
  oneOf?: unknown;
  anyOf?: unknown;
}

/**
 * Fields that really carry arbitrary JSON (audit before/after values, plan and drift values, push records,
 * webhook payloads). Everything else must say what it is: a `string | null` property without an explicit
 * type is reflected by TypeScript as Object, and client generators then expect an object where the API wants
 * a string (`collectorId`, `schedule`, `vdom`, …).
 */
const FREE_FORM_JSON = new Set([
  'AuditEntryModel.before',
  'AuditEntryModel.after',
  'PlanChangeModel.before',
  'PlanChangeModel.after',
  'PushModel.plan',
  'PushModel.result',
  'PushModel.error',
  'DriftItemModel.live',
  'DriftItemModel.desired',
  'WebhookDeliveryModel.payload',
]);

describe('OpenAPI document types', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('types every property: no untyped object except the fields that hold free-form JSON', async () => {
    const doc = (await t.http().get('/api/openapi.json').expect(200)).body as {
      components: { schemas: Record<string, SchemaObject> };
    };
    const untyped: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const [property, value] of Object.entries(schema.properties ?? {})) {
        const shaped =
          value.type !== 'object' ||
          value.properties ||
          value.additionalProperties ||
          value.$ref ||
          value.allOf ||
          value.oneOf ||
          value.anyOf;
        if (!shaped) untyped.push(`${name}.${property}`);
      }
    }
    expect(untyped.filter((p) => !FREE_FORM_JSON.has(p))).toEqual([]);
    // The allow-list stays honest: each entry still exists as a free-form field.
    expect(untyped.filter((p) => FREE_FORM_JSON.has(p)).sort()).toEqual([...FREE_FORM_JSON].sort());
  });

  it('documents nullable id and text inputs as strings', async () => {
    const doc = (await t.http().get('/api/openapi.json').expect(200)).body as {
      components: { schemas: Record<string, SchemaObject & { properties: Record<string, SchemaObject> }> };
    };
    const { schemas } = doc.components;
    expect(schemas.CreateNodeInput.properties.collectorId).toMatchObject({ type: 'string', nullable: true });
    expect(schemas.UpdateDeviceInput.properties.schedule).toMatchObject({ type: 'string', nullable: true });
    expect(schemas.TlsInput.properties.fingerprintSha256).toMatchObject({ type: 'string', nullable: true });
  });
});
