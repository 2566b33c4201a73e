import * as fs from 'fs';
import * as path from 'path';
import { CONSUMERS_DIR, CONSUMERS_WORK_DIR } from './project-paths';

/**
 * Copies a consumer app's committed files over its work dir, which keeps what earlier runs installed there
 * (node_modules, a venv) so that reruns are quick; the synthesized output starts empty every time.
 *
 * @param workDirName for a second install of the same app, e.g. with other dependencies
 */
export function prepareWorkDir(language: string, workDirName = language): { dir: string; cdkOut: string } {
  const dir = path.join(CONSUMERS_WORK_DIR, workDirName);
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(CONSUMERS_DIR, language), dir, { recursive: true, force: true });
  const cdkOut = path.join(dir, 'cdk.out');
  fs.rmSync(cdkOut, { recursive: true, force: true });
  return { dir, cdkOut };
}
