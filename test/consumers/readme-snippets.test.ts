import * as fs from 'fs';
import * as path from 'path';
import { CONSUMERS_DIR, PROJECT_ROOT } from './support/project-paths';
import { README_SOURCES, readmeRegion } from './support/readme-regions';

describe.each([
  ['test/consumers/README-snippets.md', path.join(CONSUMERS_DIR, 'README-snippets.md')],
  ['README.md', path.join(PROJECT_ROOT, 'README.md')],
])('%s', (_name, file) => {
  const text = fs.readFileSync(file, 'utf8');

  test.each(README_SOURCES)('shows the marked region of %s verbatim', (source) => {
    expect(text).toContain(readmeRegion(source));
  });
});
