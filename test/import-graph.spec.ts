import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The service's folders are layers, and an import may only point down: a provider adapter never reaches
 * into the calls module, the calls module never into the provider webhook that feeds it, and the
 * pure call vocabulary into nothing. Each rule names a folder of apps/calls-service/src and the folders
 * it must not import from.
 */
const SOURCE = join(__dirname, '..', 'apps', 'calls-service', 'src');

const RULES: Record<string, string[]> = {
  // The statuses, the changes reports and providers make, and the planner: no Nest, no mongoose, no app.
  'call-model': ['*'],
  common: ['calls', 'events', 'call-model', 'contacts', 'phone-numbers', 'idempotency', 'providers', 'telephony', 'config', 'health', 'database', 'outcomes', 'webhooks'],
  config: ['calls', 'events', 'call-model', 'contacts', 'phone-numbers', 'idempotency', 'providers', 'telephony', 'health', 'database', 'logging', 'rate-limit', 'outcomes', 'webhooks'],
  database: ['calls', 'events', 'contacts', 'phone-numbers', 'idempotency', 'providers', 'telephony', 'health', 'outcomes', 'webhooks'],
  providers: ['calls', 'events', 'contacts', 'phone-numbers', 'idempotency', 'telephony', 'health', 'database', 'outcomes', 'webhooks'],
  calls: ['providers', 'telephony', 'events', 'webhooks'],
  // Outcomes sit below calls: the calls module checks the outcome a call is given and answers whether calls have one.
  outcomes: ['calls', 'events', 'contacts', 'phone-numbers', 'idempotency', 'providers', 'telephony', 'webhooks'],
  // The feed reads the calls' outboxes through what the calls module exports; the calls module never imports it.
  events: ['providers', 'telephony', 'contacts', 'phone-numbers', 'idempotency', 'outcomes', 'webhooks'],
  contacts: ['calls', 'events', 'phone-numbers', 'providers', 'telephony', 'outcomes', 'webhooks'],
  'phone-numbers': ['calls', 'events', 'contacts', 'providers', 'telephony', 'outcomes', 'webhooks'],
  idempotency: ['calls', 'events', 'contacts', 'phone-numbers', 'providers', 'telephony', 'outcomes', 'webhooks'],
  // Webhooks read the feed through what the events module exports; nothing below imports them.
  webhooks: ['calls', 'call-model', 'contacts', 'phone-numbers', 'idempotency', 'providers', 'telephony', 'outcomes'],
};

/** Packages the pure vocabulary may use: none of the framework's. */
const CALL_MODEL_PACKAGES: string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((match) => match[1]);
}

const folderOf = (file: string): string => relative(SOURCE, file).split(sep)[0];

interface Arrow {
  from: string;
  to: string;
}

function forbiddenArrows(): Arrow[] {
  const arrows: Arrow[] = [];
  for (const file of sourceFiles(SOURCE)) {
    const layer = folderOf(file);
    const forbidden = RULES[layer];
    if (!forbidden) continue;
    for (const specifier of importsOf(file)) {
      const where = relative(SOURCE, file);
      if (!specifier.startsWith('.')) {
        const isPackage = !specifier.startsWith('node:') && !specifier.startsWith('@app/');
        if (layer === 'call-model' && (specifier.startsWith('@app/') || (isPackage && !CALL_MODEL_PACKAGES.includes(specifier)))) {
          arrows.push({ from: where, to: specifier });
        }
        continue;
      }
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(SOURCE + sep)) continue;
      const targetLayer = folderOf(target);
      if (targetLayer === layer) continue;
      if (forbidden.includes('*') || forbidden.includes(targetLayer)) arrows.push({ from: where, to: relative(SOURCE, target) });
    }
  }
  return arrows;
}

describe('The import graph of apps/calls-service/src', () => {
  it('has no arrow from a lower layer to a higher one', () => {
    expect(forbiddenArrows()).toEqual([]);
  });

  it('knows every folder it is given a rule for', () => {
    const folders = new Set(readdirSync(SOURCE, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name));
    expect(Object.keys(RULES).filter((folder) => !folders.has(folder))).toEqual([]);
  });
});
