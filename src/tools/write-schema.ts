// npm run schema: regenerate schema/*.json from the zod schema (a test fails when they differ).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '../model/json-schema.js';

const dir = fileURLToPath(new URL('../../schema/', import.meta.url));
for (const [name, text] of Object.entries(schemaFiles())) {
  writeFileSync(dir + name, text);
  console.log(`wrote schema/${name}`);
}
