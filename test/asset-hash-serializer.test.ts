import serializer from './setup/asset-hash-serializer';

const HASH = 'a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

test('the configured serializer replaces asset hashes in snapshots and keeps the rest of the string', () => {
  // GIVEN
  const template = {
    S3Key: `${HASH}.zip`,
    Metadata: { 'aws:asset:path': `asset.${HASH.toUpperCase()}` },
    Description: 'no hash here',
  };

  // THEN
  expect(template).toMatchInlineSnapshot(`
{
  "Description": "no hash here",
  "Metadata": {
    "aws:asset:path": "asset.[ASSET_HASH]",
  },
  "S3Key": "[ASSET_HASH].zip",
}
`);
});

test('hex runs that are not exactly 64 digits are not asset hashes', () => {
  // GIVEN
  const longer = `${HASH}0`;
  const shorter = HASH.slice(1);

  // THEN
  expect(serializer.test(longer)).toBe(false);
  expect(serializer.test(shorter)).toBe(false);
  expect(serializer.test(`prefix-${HASH}`)).toBe(true);
  expect(serializer.test({ S3Key: HASH })).toBe(false);
});
