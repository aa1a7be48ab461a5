/**
 * `npm run types`: writes the TypeScript types of the OpenAPI document that the web app and the
 * test kit type their requests and responses with. Run it after changing the document.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMain } from '../utils/lifecycle';
import { log } from '../utils/log';
import { GENERATED_TYPES_PATH, generateOpenApiTypes } from './lib/openapiTypes';
import { ROOT } from './lib/processes';

runMain('types', async () => {
  await writeFile(GENERATED_TYPES_PATH, await generateOpenApiTypes());
  log.info(`wrote ${path.relative(ROOT, GENERATED_TYPES_PATH)}`);
});
