import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from './support/command';
import { filesNotFromThisBuild } from './support/packaged-assets';

test('a symlink the build left in assets/, which npm pack leaves out, is reported as missing from the package', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-'));
  try {
    const modules = path.join(root, 'assets', 'layer', 'nodejs', 'node_modules');
    fs.mkdirSync(path.join(root, 'lib'));
    fs.writeFileSync(path.join(root, 'lib', 'index.js'), 'module.exports = {};\n');
    fs.mkdirSync(path.join(modules, 'semver', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(modules, 'semver', 'bin', 'semver.js'), '#!/usr/bin/env node\n');
    fs.mkdirSync(path.join(modules, '.bin'));
    fs.symlinkSync('../semver/bin/semver.js', path.join(modules, '.bin', 'semver'));
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'layer-links', version: '1.0.0', files: ['lib', 'assets'] }));
    const tgz = path.join(root, run('npm', ['pack', '--ignore-scripts', '--silent'], { cwd: root }).trim());

    expect(filesNotFromThisBuild(tgz, root)).toEqual([path.join('assets', 'layer', 'nodejs', 'node_modules', '.bin', 'semver')]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
