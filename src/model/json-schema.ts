// The JSON Schemas published in schema/, generated from the zod schema so the two cannot drift.
import { z } from 'zod';
import { Config, RunbookFile } from './schema.js';

export function runbookJsonSchema(): object {
  return {
    ...z.toJSONSchema(RunbookFile, { io: 'input', unrepresentable: 'any' }),
    title: 'irm runbook or manual',
  };
}

export function configJsonSchema(): object {
  return {
    ...z.toJSONSchema(Config, { io: 'input', unrepresentable: 'any' }),
    title: 'irm.yaml',
  };
}

export function schemaFiles(): Record<string, string> {
  return {
    'runbook.schema.json': JSON.stringify(runbookJsonSchema(), null, 2) + '\n',
    'irm.schema.json': JSON.stringify(configJsonSchema(), null, 2) + '\n',
  };
}
