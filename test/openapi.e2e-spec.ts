import request from 'supertest';
import { diff } from 'jest-diff';
import { RunningApp, startApp } from './support/app';
import { loadSpec } from './support/contract';

/** Sorts object keys recursively so that only content, never order, can differ. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

describe('OpenAPI document', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('generated from the decorators equals openapi.yaml', async () => {
    const response = await request(app.url).get('/api/docs-json').expect(200);

    const generated = sortKeys(response.body);
    const contract = sortKeys(loadSpec());
    const difference = diff(contract, generated, { aAnnotation: 'openapi.yaml', bAnnotation: 'generated', contextLines: 3, expand: false });
    if (JSON.stringify(generated) !== JSON.stringify(contract)) {
      throw new Error(`The decorators and openapi.yaml disagree:\n${difference}`);
    }
  });

  it('is served as YAML and as Swagger UI without a token', async () => {
    const yaml = await request(app.url).get('/api/docs-yaml').expect(200);
    expect(yaml.text).toContain('/api/calls/sdk/initiate:');

    const ui = await request(app.url).get('/api/docs').expect(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it('declares bearer auth for every operation that the guard protects', async () => {
    const { body } = await request(app.url).get('/api/docs-json').expect(200);

    expect(body.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(body.security).toEqual([{ bearer: [] }]);
  });

  it('answers an unknown route with 404 in the one error shape', async () => {
    const response = await request(app.url).get('/api/nothing-here').expect(404);

    expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nothing-here' });
  });
});
