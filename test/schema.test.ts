// The JSON Schemas in schema/ are what the zod schema generates: editing one without the other fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaFiles } from '../src/model/json-schema.js';
import { ROOT } from './helpers.js';

describe('schema/', () => {
  for (const [name, text] of Object.entries(schemaFiles())) {
    it(`${name} matches the zod schema (npm run schema regenerates it)`, () => {
      expect(readFileSync(`${ROOT}schema/${name}`, 'utf8')).toBe(text);
    });
  }

  it('describes the format an editor needs: risk classes, expectations, deployments', () => {
    const s = readFileSync(`${ROOT}schema/runbook.schema.json`, 'utf8');
    for (const word of ['"destructive"', '"not_contains"', '"docker"', '"host"', '"on_problem"', '"needs"']) expect(s).toContain(word);
  });

  it('every built-in runbook names the schema for editors', () => {
    for (const f of readdirSync(`${ROOT}runbooks`).filter((n) => n.endsWith('.yaml'))) {
      expect(readFileSync(`${ROOT}runbooks/${f}`, 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\/runbook\.schema\.json/);
    }
  });
});
