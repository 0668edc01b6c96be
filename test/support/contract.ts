import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export type OpenApiDocument = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { type?: string } }> }> }>>;
};

export const SPEC_PATH = join(__dirname, '..', '..', 'openapi.yaml');

export function loadSpec(): OpenApiDocument {
  return load(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument;
}

const spec = loadSpec();
// OpenAPI 3.0 schemas are JSON Schema plus `nullable` and `example`, which Ajv knows or may ignore.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec as object, 'openapi');
const validators = new Map<string, ValidateFunction>();

interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Fails unless openapi.yaml documents this status for the operation and the body matches its
 * schema: the contract binds what the service really answers, not only its decorators.
 */
export function expectContract(method: string, path: string, answer: HttpAnswer): void {
  const operation = spec.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`openapi.yaml has no ${method.toUpperCase()} ${path}`);
  const response = operation.responses[String(answer.status)];
  if (!response) {
    throw new Error(`openapi.yaml documents no ${answer.status} for ${method.toUpperCase()} ${path}; body: ${JSON.stringify(answer.body)}`);
  }
  if (!response.content) {
    expect(answer.body).toEqual({});
    return;
  }
  const mediaType = String(answer.headers['content-type']).split(';')[0].trim();
  // A file (an export) is text of a documented media type; what is in it, the test itself checks.
  if (mediaType !== 'application/json' && response.content[mediaType]?.schema?.type === 'string') {
    expect(typeof answer.body).toBe('string');
    return;
  }
  expect(String(answer.headers['content-type'])).toMatch(/^application\/json/);
  const pointer = `openapi#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${answer.status}/content/application~1json/schema`;
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.getSchema(pointer);
    if (!validate) throw new Error(`No schema at ${pointer}`);
    validators.set(pointer, validate);
  }
  if (!validate(answer.body)) {
    throw new Error(
      `${method.toUpperCase()} ${path} ${answer.status} does not match openapi.yaml:\n` +
        `${ajv.errorsText(validate.errors, { separator: '\n' })}\nbody: ${JSON.stringify(answer.body, null, 2)}`,
    );
  }
}
