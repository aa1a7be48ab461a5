import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { GENERATED_TYPES_PATH, generateOpenApiTypes } from '../../scripts/lib/openapiTypes';

describe('the types generated from the OpenAPI document', () => {
  it('are checked in as the document makes them: run `npm run types` after changing it', async () => {
    const kept = (await readFile(GENERATED_TYPES_PATH, 'utf8')).split('\n');
    const fresh = (await generateOpenApiTypes()).split('\n');
    // The first line that differs says more than a diff of 1,500 lines.
    const line = fresh.findIndex((text, index) => text !== kept[index]);
    const where = line === -1 ? `${kept.length - fresh.length} lines too many` : `line ${line + 1} is ${JSON.stringify(kept[line])}, the document makes ${JSON.stringify(fresh[line])}`;
    expect(kept.join('\n') === fresh.join('\n'), `stale: ${where}`).to.equal(true);
  });
});
