import * as fs from 'fs';
import * as path from 'path';
import { CONSUMERS_DIR } from './project-paths';

/** The consumer files whose marked regions are the README's examples. */
export const README_SOURCES = [
  'typescript/app.ts',
  'python/requirements.txt',
  'python/app.py',
  'java/pom.xml',
  'java/src/main/java/com/example/imagepipeline/ImagePipelineApp.java',
  'go/main.go',
];

/**
 * The lines between the `README:start` and `README:end` marker lines of a consumer file, less their common
 * indentation (a pom's dependencies sit four spaces deep; the README shows them flush left).
 */
export function readmeRegion(source: string): string {
  const lines = fs.readFileSync(path.join(CONSUMERS_DIR, source), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.includes('README:start'));
  const end = lines.findIndex((line) => line.includes('README:end'));
  if (start < 0 || end <= start + 1) {
    throw new Error(`${source} has no README:start ... README:end region`);
  }
  const region = lines.slice(start + 1, end);
  const indent = Math.min(...region.filter((line) => line.trim()).map((line) => line.match(/^ */)![0].length));
  return region.map((line) => line.slice(indent)).join('\n');
}
