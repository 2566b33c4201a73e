import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './support/project-paths';
import { README_SOURCES, readmeRegion } from './support/readme-regions';

describe('README.md', () => {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

  test.each(README_SOURCES)('shows the marked region of %s verbatim', (source) => {
    expect(text).toContain(readmeRegion(source));
  });
});
