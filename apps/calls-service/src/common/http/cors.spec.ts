import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from './cors';

interface Parameter {
  name: string;
  in: string;
}

const contract = load(readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'openapi.yaml'), 'utf8'));

/** Every object in the document, however deep: header parameters and response headers sit at many levels. */
function* walk(node: unknown): Generator<Record<string, unknown>> {
  if (node === null || typeof node !== 'object') return;
  if (!Array.isArray(node)) yield node as Record<string, unknown>;
  for (const value of Object.values(node)) yield* walk(value);
}

function contractRequestHeaders(): string[] {
  const names = new Set<string>();
  for (const node of walk(contract)) {
    for (const parameter of (Array.isArray(node.parameters) ? node.parameters : []) as Parameter[]) {
      if (parameter.in === 'header') names.add(parameter.name);
    }
  }
  return [...names];
}

function contractResponseHeaders(): string[] {
  const names = new Set<string>();
  for (const node of walk(contract)) {
    // A response object: its `headers` map sits next to its description and content.
    if (typeof node.description === 'string' && node.headers !== null && typeof node.headers === 'object') {
      for (const name of Object.keys(node.headers)) names.add(name);
    }
  }
  return [...names];
}

const lowered = (names: string[]) => names.map((name) => name.toLowerCase()).sort();

describe('CORS', () => {
  it('finds the headers openapi.yaml defines (so the checks below check something)', () => {
    expect(contractRequestHeaders()).toContain('Idempotency-Key');
    expect(contractResponseHeaders()).toEqual(expect.arrayContaining(['Idempotent-Replayed', 'Retry-After']));
  });

  it('lets a page send every request header openapi.yaml defines', () => {
    expect(lowered(CORS_ALLOWED_HEADERS)).toEqual(expect.arrayContaining(lowered(contractRequestHeaders())));
  });

  it('lets a page read every response header openapi.yaml defines', () => {
    expect(lowered(CORS_EXPOSED_HEADERS)).toEqual(expect.arrayContaining(lowered(contractResponseHeaders())));
  });
});
