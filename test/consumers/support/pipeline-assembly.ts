import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './project-paths';

/**
 * What every consumer app asks for, in its own language: sizes and a format that are not the defaults, so the
 * template shows that the values crossed the language binding.
 */
export const CONSUMER_SIZES = [
  { name: 'preview', width: 480, fit: 'inside' },
  { name: 'square', width: 300, height: 300, fit: 'cover' },
];
export const CONSUMER_OUTPUT_FORMAT = 'webp';

interface Resource {
  readonly Type: string;
  readonly Properties?: any;
}

/**
 * Checks the cloud assembly an app synthesized: the pipeline is wired end to end (upload bucket -> queue with
 * its dead-letter queue -> function with the app's sizes -> resized bucket and topic), the API has its routes,
 * and the functions' and layer's assets are the ones this build made, file by file and byte for byte.
 */
export function expectPipelineAssembly(cdkOut: string): void {
  const manifest = readJson(path.join(cdkOut, 'manifest.json'));
  const stacks = Object.values<any>(manifest.artifacts).filter((artifact) => artifact.type === 'aws:cloudformation:stack');
  expect(stacks).toHaveLength(1);
  const template = readJson(path.join(cdkOut, stacks[0].properties.templateFile));
  const resources: Record<string, Resource> = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const typeOf = (ref: unknown) => resources[logicalId(ref)]?.Type;

  const queues = ofType('AWS::SQS::Queue').filter(([, queue]) => queue.Properties?.RedrivePolicy);
  expect(queues).toHaveLength(1);
  const [queueId, queue] = queues[0];
  expect(typeOf(queue.Properties.RedrivePolicy.deadLetterTargetArn)).toBe('AWS::SQS::Queue');
  expect(logicalId(queue.Properties.RedrivePolicy.deadLetterTargetArn)).not.toBe(queueId);

  const notifications = ofType('Custom::S3BucketNotifications');
  expect(notifications).toHaveLength(1);
  const uploadBucket = notifications[0][1].Properties.BucketName;
  expect(typeOf(uploadBucket)).toBe('AWS::S3::Bucket');
  expect(notifications[0][1].Properties.NotificationConfiguration.QueueConfigurations).toEqual([
    expect.objectContaining({ Events: ['s3:ObjectCreated:*'], QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
    expect.objectContaining({ Events: ['s3:ObjectRemoved:*'], QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
    expect.objectContaining({ Events: ['s3:LifecycleExpiration:*'], QueueArn: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
  ]);

  const functions = ofType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties.Environment?.Variables?.SIZES);
  expect(functions).toHaveLength(1);
  const [functionId, fn] = functions[0];
  const env = fn.Properties.Environment.Variables;
  expect(JSON.parse(env.SIZES)).toEqual(CONSUMER_SIZES);
  expect(env.OUTPUT_FORMAT).toBe(CONSUMER_OUTPUT_FORMAT);
  expect(typeOf(env.RESIZED_BUCKET)).toBe('AWS::S3::Bucket');
  expect(logicalId(env.RESIZED_BUCKET)).not.toBe(logicalId(uploadBucket));
  expect(typeOf(env.TOPIC_ARN)).toBe('AWS::SNS::Topic');
  expect(ofType('AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping.Properties)).toEqual([
    expect.objectContaining({ EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] }, FunctionName: { Ref: functionId } }),
  ]);

  expect(apiRoutes(resources)).toEqual(expect.arrayContaining([
    'PUT /upload-image/{bucket}/{filename}', 'POST /upload-url', 'POST /subscribe',
  ]));

  const assetDir = assetDirectories(cdkOut, stacks[0].properties.templateFile.replace(/\.template\.json$/, '.assets.json'));
  expect(fileHashes(assetDir(fn.Properties.Code.S3Key))).toEqual(fileHashes(path.join(PROJECT_ROOT, 'assets', 'resize.lambda')));
  const uploadUrlFunctions = ofType('AWS::Lambda::Function')
    .filter(([, candidate]) => candidate.Properties.Environment?.Variables?.UPLOAD_URL_EXPIRY_SECONDS);
  expect(uploadUrlFunctions).toHaveLength(1);
  expect(fileHashes(assetDir(uploadUrlFunctions[0][1].Properties.Code.S3Key)))
    .toEqual(fileHashes(path.join(PROJECT_ROOT, 'assets', 'upload-url', 'upload-url.lambda')));
  const layers: unknown[] = fn.Properties.Layers;
  expect(layers).toHaveLength(1);
  const layer = resources[logicalId(layers[0])];
  expect(layer.Type).toBe('AWS::Lambda::LayerVersion');
  const arch = { arm64: 'arm64', x86_64: 'x64' }[fn.Properties.Architectures?.[0] as string ?? 'x86_64'];
  expect(layer.Properties.CompatibleArchitectures).toEqual(fn.Properties.Architectures);
  expect(fileHashes(assetDir(layer.Properties.Content.S3Key))).toEqual(fileHashes(path.join(PROJECT_ROOT, 'assets', 'sharp-layer', arch!)));
}

/** Every route as `METHOD /path`, from the API's resources and methods. */
function apiRoutes(resources: Record<string, Resource>): string[] {
  const pathOf = (ref: unknown): string => {
    const resource = resources[logicalId(ref)];
    return resource?.Type === 'AWS::ApiGateway::Resource'
      ? `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`
      : '';
  };
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::ApiGateway::Method')
    .map((method) => `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId) || '/'}`);
}

/** Maps an asset's object key in the template to the directory the app staged it in. */
function assetDirectories(cdkOut: string, assetManifestFile: string): (objectKey: string) => string {
  const files: Record<string, any> = readJson(path.join(cdkOut, assetManifestFile)).files;
  return (objectKey) => {
    const asset = Object.values(files).find((file) =>
      Object.values<any>(file.destinations).some((destination) => destination.objectKey === objectKey));
    expect(asset).toBeDefined();
    return path.join(cdkOut, asset.source.path);
  };
}

/** Each file under `dir`, by its path relative to `dir`, with the SHA-256 of its content. */
function fileHashes(dir: string): Record<string, string> {
  const files = (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return Object.fromEntries(files.map((file) => [
    path.relative(dir, file),
    createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
  ]));
}

function logicalId(ref: any): string {
  return ref?.Ref ?? ref?.['Fn::GetAtt']?.[0];
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
