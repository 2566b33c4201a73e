import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import * as ts from 'typescript';
import { Animation, ApiAuthorization, ImageFit, ImageResizePipeline, ImageResizePipelineProps, NotificationScope, OutputFormat, PipelineEncryption, SharpLayer } from '../src';

function synth(props?: ImageResizePipelineProps, configure?: (stack: Stack) => Partial<ImageResizePipelineProps>) {
  const stack = new Stack(new App(), 'Test');
  const pipeline = new ImageResizePipeline(stack, 'Images', { ...props, ...configure?.(stack) });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

function resizeFunctionEnv(template: Template): Record<string, string> {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { SIZES: Match.anyValue() } } },
  });
  const [fn] = Object.values(functions);
  return fn.Properties.Environment.Variables;
}

describe('defaults', () => {
  const { template } = synth();

  test('private, encrypted, TLS-only, retained buckets: upload, resized and their access logs', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourcePropertiesCountIs('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    }, 3);
  });

  test('the upload and resized buckets log access to the access-log bucket, which expires logs', () => {
    for (const prefix of ['upload/', 'resized/']) {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('AccessLogsBucket') }, LogFilePrefix: prefix },
      });
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      AccessControl: Match.absent(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('AccessLogsBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('UploadBucket'), 'Arn'] } }, StringEquals: Match.anyValue() },
        })]),
      },
    });
  });

  test('uploads, removals and lifecycle expirations notify the queue, which keeps them 4 days and has a dead-letter queue after three receives', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          { Events: ['s3:ObjectCreated:*'], QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] } },
          { Events: ['s3:ObjectRemoved:*'], QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] } },
          { Events: ['s3:LifecycleExpiration:*'], QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] } },
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      MessageRetentionPeriod: 345600,
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
  });

  test('the resize function: Node.js 24 on arm64 with the arm64 sharp layer, which names no runtimes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 60,
      Layers: [{ Ref: Match.stringLikeRegexp('SharpLayer') }],
      LoggingConfig: { LogFormat: 'JSON' },
    });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['arm64'], CompatibleRuntimes: Match.absent() });
  });

  test('the function is configured with the three default sizes, JPEG at 80 and six-hour links', () => {
    const env = resizeFunctionEnv(template);
    expect(JSON.parse(env.SIZES)).toEqual([
      { name: 'thumbnail', width: 150, height: 150, fit: 'cover' },
      { name: 'medium', width: 800, fit: 'inside' },
      { name: 'large', width: 1600, fit: 'inside' },
    ]);
    expect(env).toMatchObject({ OUTPUT_FORMAT: 'jpeg', QUALITY: '80', LINK_EXPIRY_SECONDS: '21600', MAX_INPUT_PIXELS: '50000000', ANIMATION: 'first-frame' });
    expect(env.MAX_UPLOAD_BYTES).toBe('52428800');
  });

  test('DEFAULT_SIZES extends into a list of sizes, and changing it changes no pipeline\'s defaults', () => {
    const sizeNames = (props: ImageResizePipelineProps) =>
      JSON.parse(resizeFunctionEnv(synth(props).template).SIZES).map((size: { name: string }) => size.name);
    expect(sizeNames({ sizes: [...ImageResizePipeline.DEFAULT_SIZES, { name: 'xl', width: 3200 }] }))
      .toEqual(['thumbnail', 'medium', 'large', 'xl']);

    ImageResizePipeline.DEFAULT_SIZES.push({ name: 'xl', width: 3200 });
    try {
      expect(sizeNames({})).toEqual(['thumbnail', 'medium', 'large']);
    } finally {
      ImageResizePipeline.DEFAULT_SIZES.pop();
    }
  });

  test('the function limits glibc to two malloc arenas and keeps freed image buffers of up to 32 MiB for the next image', () => {
    expect(resizeFunctionEnv(template)).toMatchObject({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '33554432',
      MALLOC_TRIM_THRESHOLD_: '268435456',
    });
  });

  test('the queue triggers the function with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });

  test('an encrypted-in-transit topic', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the API: every route IAM-authorized, binary uploads, throttled, access-logged', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: Match.arrayWith(['image/*', 'application/octet-stream', 'application/x-www-form-urlencoded']),
    });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' }, 3);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
        Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1subscribe', ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2 }),
      ]),
    });
  });

  test('the stage logs errors, which API Gateway writes to a log group of its own named after the stage, prod, as the README\'s Cleanup says', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR' })]),
    });
  });
});

describe('the API integrations', () => {
  const { template } = synth();

  test('PUT /upload-image/{bucket}/{filename} is an S3 PutObject with the bucket and key from the path', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'PUT',
      Integration: {
        Type: 'AWS',
        IntegrationHttpMethod: 'PUT',
        Uri: { 'Fn::Join': ['', Match.arrayWith([':s3:path/{bucket}/{key}'])] },
        RequestParameters: {
          'integration.request.path.bucket': 'method.request.path.bucket',
          'integration.request.path.key': 'method.request.path.filename',
        },
        IntegrationResponses: Match.arrayWith([Match.objectLike({ StatusCode: '403', SelectionPattern: '3\\d{2}|403|404' })]),
      },
    });
  });

  test('the upload role may only put objects into the upload bucket', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('UploadRole') }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('UploadBucket'), 'Arn'] }, '/*']] },
        }],
      },
    });
  });

  test('POST /subscribe validates its body against a model and calls SNS Subscribe', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ oneOf: [{ required: ['email'] }, { required: ['endpoint'] }], additionalProperties: false }),
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('SubscribeRequest') } },
      Integration: {
        PassthroughBehavior: 'NEVER',
        RequestTemplates: { 'application/json': { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('Action=Subscribe')])] } },
      },
    });
  });

  test('a subscribe that SNS accepts is answered with what each kind of subscriber must do to confirm it', () => {
    const method = Object.values(template.findResources('AWS::ApiGateway::Method', {
      Properties: { ResourceId: { Ref: Match.stringLikeRegexp('subscribe') } },
    }))[0];
    const success = method.Properties.Integration.IntegrationResponses.find((response: any) => response.StatusCode === '200');
    const { message } = JSON.parse(success.ResponseTemplates['application/json']);
    expect(message).toMatch(/email addresses/i);
    expect(message).toMatch(/http\(s\) endpoints .*SubscriptionConfirmation.*SubscribeURL/);
  });

  test('the subscribe role may only subscribe to the topic', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('SubscribeRole') }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Subscribe', Resource: { Ref: Match.stringLikeRegexp('Topic') } }] },
    });
  });

  test('POST /upload-url is a validated Lambda proxy route to a function that signs for the upload bucket only', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['filename', 'contentType'], additionalProperties: false }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('UploadUrlRequest') } },
      Integration: { Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('UploadUrlFunction'), 'Arn'] }])] } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Environment: { Variables: Match.objectLike({ MAX_UPLOAD_BYTES: '52428800', UPLOAD_URL_EXPIRY_SECONDS: '900', CALLER_IDENTITY: 'identity.userArn' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('UploadUrlFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('UploadBucket'), 'Arn'] }, '/*']] },
        }]),
      },
    });
  });

  test('bodies over the payload limit and bad subscribe bodies get JSON messages', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'REQUEST_TOO_LARGE',
      StatusCode: '413',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('POST /upload-url') },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.serializedJson({ message: Match.stringLikeRegexp('POST /subscribe takes') }) },
    });
  });
});

describe('props', () => {
  test('sizes, format, quality and the upload limit reach the function', () => {
    const { template } = synth({
      sizes: [{ name: 'square', width: 300, height: 300, fit: ImageFit.CONTAIN }, { name: 'tall', height: 1000 }],
      outputFormat: OutputFormat.WEBP,
      quality: 65,
      maxInputPixels: 25_000_000,
      linkExpiry: Duration.minutes(30),
      animation: Animation.KEEP,
      maxUploadBytes: 200_000_000,
    });
    const env = resizeFunctionEnv(template);
    expect(JSON.parse(env.SIZES)).toEqual([
      { name: 'square', width: 300, height: 300, fit: 'contain' },
      { name: 'tall', height: 1000, fit: 'inside' },
    ]);
    expect(env).toMatchObject({ OUTPUT_FORMAT: 'webp', QUALITY: '65', MAX_INPUT_PIXELS: '25000000', LINK_EXPIRY_SECONDS: '1800', ANIMATION: 'keep', MAX_UPLOAD_BYTES: '200000000' });
  });

  test('links valid for 7 days, the longest a presigned GET can be, are accepted', () => {
    const { template } = synth({ linkExpiry: Duration.days(7) });

    expect(resizeFunctionEnv(template).LINK_EXPIRY_SECONDS).toBe('604800');
  });

  test('X86_64 gets x86_64 resize and upload-url functions and the x64 layer', () => {
    const { template } = synth({ architecture: lambda.Architecture.X86_64 });
    template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['x86_64'], Layers: [{ Ref: Match.stringLikeRegexp('SharpLayer') }] });
    template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['x86_64'], Description: Match.stringLikeRegexp('^Hands out presigned uploads') });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64'],
      Content: { S3Key: Match.stringLikeRegexp('\\.zip$') },
    });
  });

  test('memory, timeout, batching and concurrency shape the function, queue and event source', () => {
    const { template } = synth({
      memorySize: 2048,
      timeout: Duration.seconds(100),
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(20),
      maxConcurrency: 50,
      maxReceiveCount: 7,
    });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 2048, Timeout: 100, Layers: Match.anyValue() });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 620, RedrivePolicy: { maxReceiveCount: 7 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10, MaximumBatchingWindowInSeconds: 20, ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  describe('memory for the largest upload', () => {
    const memoryWarnings = (stack: Stack) => Annotations.fromStack(stack)
      .findWarning('/Test/Images', Match.stringLikeRegexp('cdk-image-resize-pipeline:memorySizeBelowLargestUpload'))
      .map((warning) => String(warning.entry.data));

    test('the defaults (1024 MB, 50 MB, 50 MP) are not warned about', () => {
      const { stack } = synth();
      Annotations.fromStack(stack).hasNoWarning('/Test/Images', Match.anyValue());
    });

    test('512 MB with the default limits is warned about, with the estimate, its parts and what to change', () => {
      const { stack } = synth({ memorySize: 512 });
      const [warning, ...others] = memoryWarnings(stack);
      expect(others).toEqual([]);
      expect(warning).toMatch(/^memorySize: 512 MB is below the 892 MB or so that the resize function may need for the largest upload it accepts: /);
      expect(warning).toContain('130 MB for the runtime, 263 MB that earlier images left behind in a warm container, 50 MB to hold an original of maxUploadBytes (52428800 bytes) whole and 449 MB to decode one of maxInputPixels (50.0 megapixels) at up to 9.4 bytes a pixel');
      expect(warning).toMatch(/Raise memorySize to at least 892 MB, or lower maxUploadBytes or maxInputPixels\./);
    });

    test('a maxUploadBytes of 600 MB is warned about at 1024 MB and not from the estimate up', () => {
      const maxUploadBytes = 600 * 1024 * 1024;
      const [warning] = memoryWarnings(synth({ maxUploadBytes }).stack);
      expect(warning).toMatch(/^memorySize: 1024 MB is below the 1442 MB or so .* 600 MB to hold an original of maxUploadBytes \(629145600 bytes\) whole /);
      expect(memoryWarnings(synth({ maxUploadBytes, memorySize: 1441 }).stack)).toHaveLength(1);
      expect(memoryWarnings(synth({ maxUploadBytes, memorySize: 1442 }).stack)).toEqual([]);
    });

    test('a maxInputPixels of 100 MP is warned about at 1024 MB', () => {
      const [warning] = memoryWarnings(synth({ maxInputPixels: 100_000_000 }).stack);
      expect(warning).toMatch(/^memorySize: 1024 MB is below the 1340 MB or so .* 897 MB to decode one of maxInputPixels \(100\.0 megapixels\) /);
    });

    test('a maxInputPixels under a tenth of a megapixel is quoted in pixels, as a refused image is told it', () => {
      const [warning] = memoryWarnings(synth({ memorySize: 256, maxInputPixels: 10_000 }).stack);
      expect(warning).toContain(' to decode one of maxInputPixels (10000 pixels) at up to 9.4 bytes a pixel');
    });

    test('nothing is estimated against a memorySize that is a token, as its value is not known at synth', () => {
      expect(memoryWarnings(synth({ memorySize: Lazy.number({ produce: () => 128 }) }).stack)).toEqual([]);
    });
  });

  test('DESTROY with autoDeleteObjects lets the buckets go with the stack', () => {
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
  });

  describe('the buckets\' teardown', () => {
    const autoDeleteOf = (template: Template, bucketId: string) => Object.keys(template.findResources('Custom::S3AutoDeleteObjects', {
      Properties: { BucketName: { Ref: Match.stringLikeRegexp(`^Images${bucketId}[0-9A-F]{8}$`) } },
    }));
    const dependenciesOf = (template: Template, type: string) =>
      Object.values(template.findResources(type)).map((resource) => resource.DependsOn ?? []);

    test('under DESTROY with autoDeleteObjects the upload bucket\'s notifications and the event source mapping go before either bucket is emptied, '
      + 'so emptying it announces no deletes', () => {
      const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
      const [emptyUploads] = autoDeleteOf(template, 'UploadBucket');
      const [emptyCopies] = autoDeleteOf(template, 'ResizedBucket');
      expect([emptyUploads, emptyCopies]).toEqual([expect.any(String), expect.any(String)]);
      expect(dependenciesOf(template, 'Custom::S3BucketNotifications')).toEqual([expect.arrayContaining([emptyUploads])]);
      expect(dependenciesOf(template, 'AWS::Lambda::EventSourceMapping')).toEqual([expect.arrayContaining([emptyUploads, emptyCopies])]);
    });

    test('DESTROY alone marks every bucket for deletion but empties none, which CloudFormation then cannot delete, as the README\'s Cleanup says; '
      + 'with autoDeleteObjects the access-log bucket is emptied too', () => {
      const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
      template.resourceCountIs('AWS::S3::Bucket', 3);
      template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
      expect(autoDeleteOf(synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }).template, 'AccessLogsBucket')).toHaveLength(1);
    });

    test('a bucket passed in is never emptied, so nothing waits for it', () => {
      const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true },
        (stack) => ({ uploadBucket: s3.Bucket.fromBucketName(stack, 'Photos', 'my-photos') }));
      const [emptyCopies] = autoDeleteOf(template, 'ResizedBucket');
      expect(autoDeleteOf(template, 'UploadBucket')).toEqual([]);
      expect(dependenciesOf(template, 'Custom::S3BucketNotifications')).toEqual([expect.not.arrayContaining([expect.stringMatching(/AutoDeleteObjects/)])]);
      expect(dependenciesOf(template, 'AWS::Lambda::EventSourceMapping')).toEqual([expect.arrayContaining([emptyCopies])]);
    });

    /** A bucket of the pipeline's stack that empties itself when deleted, as CDK's own `autoDeleteObjects` makes it. */
    const emptyingBucket = (scope: Construct, id: string) =>
      new s3.Bucket(scope, id, { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });

    test.each<[string, (stack: Stack) => Construct]>([
      ['the stack', (stack) => stack],
      ['a construct of the stack', (stack) => new Construct(stack, 'Storage')],
    ])('an upload bucket passed in that empties itself (defined in %s) is emptied only once the notifications and the event source mapping are gone, '
      + 'whatever the pipeline\'s own autoDeleteObjects', (_where, scopeIn) => {
      const { template } = synth({}, (stack) => ({ uploadBucket: emptyingBucket(scopeIn(stack), 'Photos') }));
      const [emptyUploads] = Object.keys(template.findResources('Custom::S3AutoDeleteObjects', {
        Properties: { BucketName: { Ref: Match.stringLikeRegexp('Photos[0-9A-F]{8}$') } },
      }));
      expect(emptyUploads).toEqual(expect.any(String));
      expect(dependenciesOf(template, 'Custom::S3BucketNotifications')).toEqual([expect.arrayContaining([emptyUploads])]);
      expect(dependenciesOf(template, 'AWS::Lambda::EventSourceMapping')).toEqual([expect.arrayContaining([emptyUploads])]);
    });

    test('a resized bucket passed in that empties itself is emptied only once the event source mapping is gone, so no copy is written into it meanwhile', () => {
      const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true },
        (stack) => ({ resizedBucket: emptyingBucket(stack, 'Thumbs') }));
      const [emptyUploads] = autoDeleteOf(template, 'UploadBucket');
      const [emptyCopies] = Object.keys(template.findResources('Custom::S3AutoDeleteObjects', {
        Properties: { BucketName: { Ref: Match.stringLikeRegexp('^Thumbs[0-9A-F]{8}$') } },
      }));
      expect([emptyUploads, emptyCopies]).toEqual([expect.any(String), expect.any(String)]);
      expect(dependenciesOf(template, 'AWS::Lambda::EventSourceMapping')).toEqual([expect.arrayContaining([emptyUploads, emptyCopies])]);
    });
  });

  test.each<[string, Partial<ImageResizePipelineProps>, string]>([
    ['the default', {}, 'Retain'],
    ['DESTROY', { removalPolicy: RemovalPolicy.DESTROY }, 'Delete'],
  ])('with %s removal policy both queues, the topic and every log group are kept or deleted with the buckets', (_name, props, deletionPolicy) => {
    const { template } = synth(props);
    for (const [type, count] of [['AWS::SQS::Queue', 2], ['AWS::SNS::Topic', 1], ['AWS::Logs::LogGroup', 3]] as const) {
      template.resourceCountIs(type, count);
      template.allResources(type, { DeletionPolicy: deletionPolicy, UpdateReplacePolicy: deletionPolicy });
    }
  });

  test.each<[string, Partial<ImageResizePipelineProps>, number]>([
    ['the default', {}, 30],
    ['ONE_WEEK', { logRetention: logs.RetentionDays.ONE_WEEK }, 7],
  ])('with %s log retention both functions\' logs and the API\'s access logs are kept that many days', (_name, props, days) => {
    const { template } = synth(props);
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: days });
  });

  describe('versioned buckets', () => {
    const imageBuckets = (template: Template) => Object.values(template.findResources('AWS::S3::Bucket', {
      Properties: { LoggingConfiguration: Match.anyValue() },
    }));

    test('both image buckets keep an overwritten or deleted object\'s versions 30 days, then lose its delete marker', () => {
      const { template } = synth({ versioned: true });
      expect(imageBuckets(template)).toHaveLength(2);
      for (const bucket of imageBuckets(template)) {
        expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
        expect(bucket.Properties.LifecycleConfiguration).toEqual({
          Rules: [{ Id: 'ExpireEarlierVersions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, ExpiredObjectDeleteMarker: true }],
        });
      }
    });

    test.each<[string, Duration, unknown]>([
      ['a week', Duration.days(7), 7],
      ['48 hours', Duration.hours(48), 2],
    ])('noncurrentVersionExpiration of %s is the days the lifecycle rules keep earlier versions', (_name, noncurrentVersionExpiration, days) => {
      const { template } = synth({ versioned: true, noncurrentVersionExpiration });
      for (const bucket of imageBuckets(template)) {
        expect(bucket.Properties.LifecycleConfiguration.Rules)
          .toEqual([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: days } })]);
      }
    });

    test('a noncurrentVersionExpiration known only at deploy time reaches the rules as given, in days', () => {
      const { template, stack } = synth({ versioned: true }, (scope) => ({
        noncurrentVersionExpiration: Duration.days(new CfnParameter(scope, 'KeepDays', { type: 'Number' }).valueAsNumber),
      }));
      expect(stack.resolve(imageBuckets(template).map((bucket) => bucket.Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration)))
        .toEqual([{ NoncurrentDays: { Ref: 'KeepDays' } }, { NoncurrentDays: { Ref: 'KeepDays' } }]);
    });

    test('without versioning the image buckets have no lifecycle rules', () => {
      const { template } = synth();
      expect(imageBuckets(template)).toHaveLength(2);
      for (const bucket of imageBuckets(template)) {
        expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
        expect(bucket.Properties.LifecycleConfiguration).toBeUndefined();
      }
    });
  });

  describe('X-Ray tracing', () => {
    const traced = { TracingConfig: { Mode: 'Active' } };
    const xrayWrite = { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };
    /** The statements of each policy attached to the role whose logical ID contains `role`. */
    const policiesOf = (template: Template, role: string): any[][] => Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp(role) }]) },
    })).map((policy) => policy.Properties.PolicyDocument.Statement);

    test('tracing: true traces the resize and upload-url functions, not CDK\'s helper functions, and the API stage', () => {
      // DESTROY with autoDeleteObjects adds CDK's bucket-emptying function beside its notifications handler.
      const { template } = synth({ tracing: true, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
      template.resourcePropertiesCountIs('AWS::Lambda::Function', traced, 2);
      template.hasResourceProperties('AWS::Lambda::Function', { ...traced, Description: Match.stringLikeRegexp('^Resizes each uploaded image') });
      template.hasResourceProperties('AWS::Lambda::Function', { ...traced, Description: Match.stringLikeRegexp('^Hands out presigned uploads') });
      template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    });

    test.each(['ResizeFunctionRole', 'UploadUrlFunctionRole'])('tracing: true grants %s X-Ray\'s write actions on *, in a policy that holds nothing else', (role) => {
      const policies = policiesOf(synth({ tracing: true }).template, role);
      expect(policies).toContainEqual([xrayWrite]);
      expect(policies.flat().filter((statement) => [statement.Resource].flat().includes('*'))).toEqual([xrayWrite]);
    });

    test('each traced function is created after the policy that lets it write to X-Ray', () => {
      const { template } = synth({ tracing: true });
      const xrayPolicies = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { PolicyDocument: { Statement: [xrayWrite] } } }));
      const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: traced }));
      expect(xrayPolicies).toHaveLength(2);
      const xrayDependencies = functions.map((fn) => fn.DependsOn.filter((id: string) => xrayPolicies.includes(id)));
      expect(xrayDependencies).toEqual([[expect.any(String)], [expect.any(String)]]);
    });

    test('by default no function or stage is traced and no policy names X-Ray', () => {
      const { template } = synth();
      template.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: Match.anyValue() }, 0);
      template.allResourcesProperties('AWS::ApiGateway::Stage', { TracingEnabled: Match.absent() });
      expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('xray:');
    });
  });

  test('an existing upload bucket is used, not created', () => {
    const { template, pipeline } = synth({}, (stack) => ({ uploadBucket: s3.Bucket.fromBucketName(stack, 'Existing', 'my-photos') }));
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourcePropertiesCountIs('AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'upload/' } }, 0);
    expect(pipeline.uploadBucket.bucketName).toBe('my-photos');
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'my-photos',
      Managed: false,
      NotificationConfiguration: {
        QueueConfigurations: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*'].map((event) => Match.objectLike({ Events: [event] })),
      },
    });
  });

  describe('buckets of another stack of the app', () => {
    const twoStacks = () => {
      const app = new App();
      const storage = new Stack(app, 'Storage');
      return { app, storage, stack: new Stack(app, 'Test') };
    };

    test('an upload bucket defined there is refused: its notifications and the queue policy would refer to each other', () => {
      const { storage, stack } = twoStacks();
      expect(() => new ImageResizePipeline(stack, 'Images', { uploadBucket: new s3.Bucket(storage, 'Photos') }))
        .toThrow(/uploadBucket: is Storage\/Photos, a bucket of another stack: .* import it into the pipeline's stack with Bucket\.fromBucketAttributes or Bucket\.fromBucketName/);
    });

    test('an upload bucket imported into the pipeline\'s stack by its name is notified from there', () => {
      const { app, storage, stack } = twoStacks();
      const photos = new s3.Bucket(storage, 'Photos');
      new ImageResizePipeline(stack, 'Images', { uploadBucket: s3.Bucket.fromBucketName(stack, 'Photos', photos.bucketName) });

      expect(() => app.synth()).not.toThrow();
      Template.fromStack(stack).hasResourceProperties('Custom::S3BucketNotifications', { BucketName: { 'Fn::ImportValue': Match.stringLikeRegexp('^Storage:') } });
      Template.fromStack(storage).resourceCountIs('Custom::S3BucketNotifications', 0);
    });

    test('a resized bucket defined there receives the outputs', () => {
      const { app, storage, stack } = twoStacks();
      new ImageResizePipeline(stack, 'Images', { resizedBucket: new s3.Bucket(storage, 'Thumbs') });

      expect(() => app.synth()).not.toThrow();
      expect(resizeFunctionEnv(Template.fromStack(stack)).RESIZED_BUCKET).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^Storage:/) });
    });
  });

  describe('buckets of another region', () => {
    const importedIn = (region: string) => (stack: Stack, id: string) =>
      s3.Bucket.fromBucketAttributes(stack, id, { bucketName: `my-${id.toLowerCase()}`, region });
    const bucketProps = ['uploadBucket', 'resizedBucket', 'serverAccessLogsBucket'] as const;
    const reasons: Record<typeof bucketProps[number], string> = {
      uploadBucket: 'S3 notifies only an SQS queue in the bucket\'s own region',
      resizedBucket: 'the resize function\'s S3 client reaches only buckets in its own region',
      serverAccessLogsBucket: 'S3 delivers server access logs only to a bucket in the logged bucket\'s own region',
    };

    test.each(bucketProps)('%s from another region is refused', (prop) => {
      const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
      expect(() => new ImageResizePipeline(stack, 'Images', { [prop]: importedIn('us-west-2')(stack, 'Other') }))
        .toThrow(`${prop}: is in us-west-2, but the pipeline is in eu-west-1: ${reasons[prop]}`);
    });

    test('problems of buckets from another region are reported together, like every other prop\'s', () => {
      const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
      const inOtherRegion = importedIn('us-west-2');
      expect(() => new ImageResizePipeline(stack, 'Images', { uploadBucket: inOtherRegion(stack, 'Photos'), serverAccessLogsBucket: inOtherRegion(stack, 'Logs') }))
        .toThrow(/Invalid ImageResizePipeline props at Test\/Images:\n {2}- uploadBucket: is in us-west-2.*\n {2}- serverAccessLogsBucket: is in us-west-2/);
    });

    test.each<[string, string | undefined, string]>([
      ['the same region', 'eu-west-1', 'eu-west-1'],
      ['a region-agnostic stack', undefined, 'us-west-2'],
    ])('buckets of %s are accepted', (_name, stackRegion, bucketRegion) => {
      const stack = new Stack(new App(), 'Test', stackRegion ? { env: { region: stackRegion } } : {});
      const imported = importedIn(bucketRegion);
      expect(() => new ImageResizePipeline(stack, 'Images', { uploadBucket: imported(stack, 'Photos'), serverAccessLogsBucket: imported(stack, 'Logs') }))
        .not.toThrow();
      expect(() => new ImageResizePipeline(stack, 'More', { resizedBucket: imported(stack, 'Thumbs') })).not.toThrow();
    });
  });

  describe('the access-log bucket is made only for an image bucket the pipeline creates', () => {
    test.each<[string, (stack: Stack) => Partial<ImageResizePipelineProps>, string]>([
      ['an existing upload bucket', (stack) => ({ uploadBucket: s3.Bucket.fromBucketName(stack, 'Photos', 'my-photos') }), 'resized/'],
      ['an existing resized bucket', (stack) => ({ resizedBucket: s3.Bucket.fromBucketName(stack, 'Thumbs', 'my-thumbnails') }), 'upload/'],
    ])('with %s the other bucket logs to a new one', (_name, configure, prefix) => {
      const { stack, template, pipeline } = synth({}, configure);
      expect(pipeline.serverAccessLogsBucket).toBeDefined();
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: stack.resolve(pipeline.serverAccessLogsBucket!.bucketName), LogFilePrefix: prefix },
      });
    });

    test.each<[string, (stack: Stack) => Partial<ImageResizePipelineProps>]>([
      ['and none is given', () => ({})],
      ['even when one is given', (stack) => ({ serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'my-logs') })],
    ])('with both image buckets passed in nothing logs, so there is none, %s', (_name, configure) => {
      const { stack, template, pipeline } = synth({}, (scope) => ({
        uploadBucket: s3.Bucket.fromBucketName(scope, 'Photos', 'my-photos'),
        resizedBucket: s3.Bucket.fromBucketName(scope, 'Thumbs', 'my-thumbnails'),
        ...configure(scope),
      }));
      template.resourceCountIs('AWS::S3::Bucket', 0);
      template.resourceCountIs('AWS::S3::BucketPolicy', 0);
      expect(pipeline.serverAccessLogsBucket).toBeUndefined();
      Annotations.fromStack(stack).hasNoWarning('/Test/Images', Match.anyValue());
    });

    test('with both image buckets passed in and KMS, the key encrypts the queues and topic and gets no alias, which no bucket would name', () => {
      const { template } = synth({ encryption: PipelineEncryption.KMS }, (scope) => ({
        uploadBucket: s3.Bucket.fromBucketName(scope, 'Photos', 'my-photos'),
        resizedBucket: s3.Bucket.fromBucketName(scope, 'Thumbs', 'my-thumbnails'),
      }));
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() }, 2);
      template.resourceCountIs('AWS::KMS::Alias', 0);
    });
  });

  describe('a server access log bucket you bring', () => {
    test('one defined in another stack of the app is refused: its policy and the logged buckets would refer to each other', () => {
      const app = new App();
      const logsBucket = new s3.Bucket(new Stack(app, 'Storage'), 'Logs');
      expect(() => new ImageResizePipeline(new Stack(app, 'Test'), 'Images', { serverAccessLogsBucket: logsBucket }))
        .toThrow(/serverAccessLogsBucket: is Storage\/Logs, a bucket of another stack: .* import it into the pipeline's stack with Bucket\.fromBucketAttributes or Bucket\.fromBucketName/);
    });

    test('an imported one is warned about, with the exact policy statement S3\'s log delivery needs for each bucket', () => {
      const { stack } = synth({}, (scope) => ({ serverAccessLogsBucket: s3.Bucket.fromBucketName(scope, 'Logs', 'my-logs') }));
      const warnings = Annotations.fromStack(stack).findWarning('/Test/Images', Match.anyValue()).map((warning) => warning.entry.data);
      const statementFor = (bucket: string, prefix: string) => JSON.stringify({
        Action: 's3:PutObject',
        Condition: { ArnLike: { 'aws:SourceArn': `<${bucket}.Arn>` }, StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' } },
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Resource: `arn:<AWS::Partition>:s3:::my-logs/${prefix}*`,
      });
      const logicalId = (id: string) => stack.getLogicalId(stack.node.findChild('Images').node.findChild(id).node.defaultChild as s3.CfnBucket);

      expect(warnings).toEqual([
        expect.stringContaining(statementFor(logicalId('UploadBucket'), 'upload/')),
        expect.stringContaining(statementFor(logicalId('ResizedBucket'), 'resized/')),
      ]);
      expect(warnings[0]).toMatch(/serverAccessLogsBucket: an imported bucket's policy is not changed here, so S3 delivers no access logs of .* until you add this statement to it/);
      expect(warnings[0]).toMatch(/It must also be encrypted with S3-managed keys \(SSE-S3\)/);
    });

    const refusedAsImageBucket = (imageBucket: 'uploadBucket' | 'resizedBucket', message: RegExp) => test.each<[string, (stack: Stack) => Partial<ImageResizePipelineProps>]>([
      ['the bucket itself', (stack) => {
        const bucket = new s3.Bucket(stack, 'Shared');
        return { [imageBucket]: bucket, serverAccessLogsBucket: bucket };
      }],
      ['an import by the same name', (stack) => ({
        [imageBucket]: s3.Bucket.fromBucketName(stack, 'Imported', 'shared-bucket'),
        serverAccessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'shared-bucket'),
      })],
    ])(`${imageBucket} as the access-log bucket is refused, given as %s`, (_name, configure) => {
      expect(() => synth({}, configure)).toThrow(message);
    });
    refusedAsImageBucket('uploadBucket',
      /serverAccessLogsBucket: is the upload bucket: every access log S3 writes there would be an upload, which the resize function refuses and whose handling writes more access logs, without end/);
    refusedAsImageBucket('resizedBucket',
      /serverAccessLogsBucket: is the resized bucket: the upload bucket's access logs, which name every requester and key, would be readable by everyone granted grantReadResized/);

    test.each([
      ['a key of its own', s3.BucketEncryption.KMS, 'aws:kms'],
      ['the AWS managed key', s3.BucketEncryption.KMS_MANAGED, 'aws:kms'],
      ['dual-layer KMS', s3.BucketEncryption.DSSE_MANAGED, 'aws:kms:dsse'],
    ])('one defined in the app and encrypted with %s is refused: S3 would deliver no logs to it', (_name, encryption, algorithm) => {
      expect(() => synth({}, (stack) => ({ serverAccessLogsBucket: new s3.Bucket(stack, 'Logs', { encryption }) })))
        .toThrow(new RegExp(`serverAccessLogsBucket: is encrypted with ${algorithm} by default, but S3 delivers server access logs only to a bucket encrypted with S3-managed keys \\(SSE-S3\\)`));
    });

    test('one defined in the pipeline\'s stack gets the statements and no warning', () => {
      const { stack, template } = synth({}, (scope) => ({ serverAccessLogsBucket: new s3.Bucket(scope, 'Logs') }));
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: Match.stringLikeRegexp('^Logs') },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' } })]) },
      });
      Annotations.fromStack(stack).hasNoWarning('/Test/Images', Match.anyValue());
    });
  });

  test('an existing resized bucket receives the outputs', () => {
    const { template, pipeline } = synth({}, (stack) => ({ resizedBucket: s3.Bucket.fromBucketName(stack, 'Thumbs', 'my-thumbnails') }));
    template.resourceCountIs('AWS::S3::Bucket', 2);
    expect(resizeFunctionEnv(template).RESIZED_BUCKET).toBe('my-thumbnails');
    expect(pipeline.resizedBucket.bucketName).toBe('my-thumbnails');
  });

  test.each<[string, (stack: Stack) => Partial<ImageResizePipelineProps>]>([
    ['the same bucket object', (stack) => {
      const bucket = new s3.Bucket(stack, 'Photos');
      return { uploadBucket: bucket, resizedBucket: bucket };
    }],
    ['two imports of one bucket', (stack) => ({
      uploadBucket: s3.Bucket.fromBucketName(stack, 'Upload', 'photos'),
      resizedBucket: s3.Bucket.fromBucketName(stack, 'Resized', 'photos'),
    })],
  ])('a resized bucket that is the upload bucket is refused: %s', (_name, configure) => {
    expect(() => synth({}, configure)).toThrow(/resizedBucket: is the upload bucket: every resized image would be an upload again/);
  });

  test('no authorization is an explicit choice', () => {
    const { template } = synth({ apiAuthorization: ApiAuthorization.none(), notificationScope: NotificationScope.BROADCAST });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'NONE' }, 3);
  });

  test('a Cognito user pool authorizes every route', () => {
    const { template } = synth({}, (stack) => ({ apiAuthorization: ApiAuthorization.cognito(new cognito.UserPool(stack, 'Users')) }));
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'COGNITO_USER_POOLS' }, 3);
  });

  test('the upload-url limit and lifetime reach its function', () => {
    const { template } = synth({ maxUploadBytes: 20_000_000, uploadUrlExpiry: Duration.minutes(5) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_UPLOAD_BYTES: '20000000', UPLOAD_URL_EXPIRY_SECONDS: '300' }) },
    });
  });

  test('numbers known only at synth\'s end (Lazy) reach both functions as strings', () => {
    const lazy = (value: number) => Lazy.number({ produce: () => value });
    const { template } = synth({
      quality: lazy(70),
      maxInputPixels: lazy(1_000_000),
      linkExpiry: Duration.seconds(lazy(600)),
      maxUploadBytes: lazy(20_000_000),
      uploadUrlExpiry: Duration.seconds(lazy(300)),
    });
    expect(resizeFunctionEnv(template)).toMatchObject({ QUALITY: '70', MAX_INPUT_PIXELS: '1000000', LINK_EXPIRY_SECONDS: '600', MAX_UPLOAD_BYTES: '20000000' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_UPLOAD_BYTES: '20000000', UPLOAD_URL_EXPIRY_SECONDS: '300' }) },
    });
  });

  test('API throttling limits', () => {
    const { template } = synth({ apiRateLimit: 5, apiBurstLimit: 7 });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/*', ThrottlingRateLimit: 5, ThrottlingBurstLimit: 7 })]),
    });
  });

  test('a fractional API rate limit is used as given: API Gateway\'s rate limit is a double', () => {
    const { template } = synth({ apiRateLimit: 0.5 });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/*', ThrottlingRateLimit: 0.5 })]),
    });
  });

  describe('API Gateway\'s account-level CloudWatch role', () => {
    const PUSH_TO_LOGS = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] };

    function pipelinesInOneStack(...propsOfEach: ImageResizePipelineProps[]) {
      const stack = new Stack(new App(), 'Test');
      propsOfEach.forEach((props, index) => new ImageResizePipeline(stack, `Images${index}`, props));
      return Template.fromStack(stack);
    }

    function accountAndStages(template: Template) {
      const [account, ...more] = Object.keys(template.findResources('AWS::ApiGateway::Account'));
      expect(more).toEqual([]);
      return { account, stages: Object.values(template.findResources('AWS::ApiGateway::Stage')) };
    }

    test('one pipeline gets a retained role and the account setting naming it, which its stage waits for', () => {
      const template = pipelinesInOneStack({});
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
      template.hasResource('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] },
          ManagedPolicyArns: [PUSH_TO_LOGS],
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      const { account, stages } = accountAndStages(template);
      const [restApi] = Object.keys(template.findResources('AWS::ApiGateway::RestApi'));
      template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain', DependsOn: [restApi] });
      expect(stages).toEqual([expect.objectContaining({ DependsOn: expect.arrayContaining([account]) })]);
    });

    test('pipelines of one stack share one role and one account setting, and every stage waits for it', () => {
      const template = pipelinesInOneStack({}, {}, { apiCloudWatchRole: true });
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
      template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: [PUSH_TO_LOGS] }, 1);
      const { account, stages } = accountAndStages(template);
      expect(stages).toHaveLength(3);
      expect(stages).toEqual(stages.map(() => expect.objectContaining({ DependsOn: expect.arrayContaining([account]) })));
    });

    test('it can be left to an existing one', () => {
      const template = pipelinesInOneStack({ apiCloudWatchRole: false }, { apiCloudWatchRole: false });
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
      template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: [PUSH_TO_LOGS] }, 0);
    });

    test('a pipeline that makes none, built before the one that does, still waits for the stack\'s setting', () => {
      const template = pipelinesInOneStack({ apiCloudWatchRole: false }, {});
      const { account, stages } = accountAndStages(template);
      expect(stages).toHaveLength(2);
      expect(stages).toEqual(stages.map(() => expect.objectContaining({ DependsOn: expect.arrayContaining([account]) })));
    });

    test('two copies of this library in one app share the stack\'s setting instead of colliding on it', () => {
      const stack = new Stack(new App(), 'Test');
      for (const id of ['First', 'Second']) {
        jest.isolateModules(() => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const copy: typeof import('../src') = require('../src');
          new copy.ImageResizePipeline(stack, id, {});
        });
      }
      const { account, stages } = accountAndStages(Template.fromStack(stack));
      expect(stages).toEqual(stages.map(() => expect.objectContaining({ DependsOn: expect.arrayContaining([account]) })));
    });
  });
});

describe('encryption', () => {
  const keyRef = { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesKey'), 'Arn'] };

  test('KMS: one rotating key for the image buckets, both queues and the topic; access logs stay S3-managed', () => {
    const { template } = synth({ encryption: PipelineEncryption.KMS });
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourcePropertiesCountIs('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':alias/')])] } },
        }],
      },
    }, 2);
    template.resourcePropertiesCountIs('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    }, 1);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: keyRef }, 2);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyRef });
    template.hasResourceProperties('AWS::KMS::Alias', { TargetKeyId: keyRef, AliasName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^alias/')])] } });
  });

  test('KMS: the alias\'s name ends with the stack\'s own ID, so an alias kept from a deleted stack, a failed first deploy or an earlier KMS setting does not block deploying the stack again', () => {
    const { template } = synth({ encryption: PipelineEncryption.KMS });
    const stackGuid = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };
    const [alias] = Object.values(template.findResources('AWS::KMS::Alias'));
    expect(alias.Properties.AliasName).toEqual({ 'Fn::Join': ['', ['alias/Test-Images-0E549097-', stackGuid]] });
    template.resourcePropertiesCountIs('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alias/Test-Images-0E549097-', stackGuid]],
            },
          },
        }],
      },
    }, 2);
  });

  test('KMS: the alias\'s name stays within KMS\'s 256 characters with the stack ID\'s 36 however long the stack and construct names', () => {
    const stack = new Stack(new App(), 'S'.repeat(128));
    new ImageResizePipeline(stack, 'I'.repeat(255), { encryption: PipelineEncryption.KMS });
    const [alias] = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Alias'));
    const [namePrefix] = alias.Properties.AliasName['Fn::Join'][1];
    expect(namePrefix.length + 36).toBeLessThanOrEqual(256);
  });

  test.each<[string, Partial<ImageResizePipelineProps>, string]>([
    ['the default', {}, 'Retain'],
    ['DESTROY', { removalPolicy: RemovalPolicy.DESTROY }, 'Delete'],
  ])('KMS: with %s removal policy the key and the alias the buckets name it by are kept or deleted together, so a kept bucket never names a deleted alias', (_name, props, deletionPolicy) => {
    const { template } = synth({ encryption: PipelineEncryption.KMS, ...props });
    template.allResources('AWS::KMS::Key', { DeletionPolicy: deletionPolicy, UpdateReplacePolicy: deletionPolicy });
    template.resourceCountIs('AWS::KMS::Alias', 1);
    template.allResources('AWS::KMS::Alias', { DeletionPolicy: deletionPolicy, UpdateReplacePolicy: deletionPolicy });
  });

  test('KMS: the key sets no waiting period of its own, so once a stack deletion or a change of props removes it, KMS deletes it after its default 30 days, as the README says', () => {
    const { template } = synth({ encryption: PipelineEncryption.KMS, removalPolicy: RemovalPolicy.DESTROY });
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.allResourcesProperties('AWS::KMS::Key', { PendingWindowInDays: Match.absent() });
  });

  test('KMS: the key policy lets S3 notify the encrypted queue from the upload bucket of this account, and from nothing else', () => {
    const { template } = synth({ encryption: PipelineEncryption.KMS });
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    expect(key.Properties.KeyPolicy.Statement.filter((statement: any) => statement.Principal.Service === 's3.amazonaws.com')).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/UploadBucket/), 'Arn'] } },
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      },
    }]);
  });

  /** The key-policy statement the AWS guide "Encrypt log data in CloudWatch Logs using AWS KMS" gives, for this account and region. */
  const logsKeyStatement = {
    Effect: 'Allow',
    Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
    Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    Resource: '*',
    Condition: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']],
        },
      },
    },
  };
  const logsStatementsOf = (keyTemplate: Template) => Object.values(keyTemplate.findResources('AWS::KMS::Key'))
    .flatMap((key) => key.Properties.KeyPolicy.Statement)
    .filter((statement: any) => JSON.stringify(statement.Principal).includes('logs.'));

  test.each<[string, (stack: Stack) => Partial<ImageResizePipelineProps>, RegExp]>([
    ['the pipeline\'s own key', () => ({ encryption: PipelineEncryption.KMS }), /^ImagesKey/],
    ['a key of the pipeline\'s stack', (stack) => ({ encryptionKey: new kms.Key(stack, 'MyKey') }), /^MyKey/],
  ])('KMS with %s: both functions\' log groups and the API\'s access logs are encrypted with it, which its policy lets CloudWatch Logs use for log groups of this account and region', (_name, configure, keyId) => {
    const { template } = synth({}, configure);
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp(keyId.source), 'Arn'] } }, 3);
    expect(logsStatementsOf(template)).toEqual([logsKeyStatement]);
  });

  test('KMS with an alias of a key of the app: the log groups name the key itself, whose policy gets the statement, not the alias', () => {
    const { template } = synth({}, (stack) => ({ encryptionKey: new kms.Alias(stack, 'MyAlias', { aliasName: 'alias/images', targetKey: new kms.Key(stack, 'MyKey') }) }));
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } }, 3);
    expect(logsStatementsOf(template)).toEqual([logsKeyStatement]);
  });

  test('KMS with a key of another stack: the statement for CloudWatch Logs goes into that stack\'s key, the log groups name the key, and neither stack refers back to the other', () => {
    const app = new App();
    const keyStack = new Stack(app, 'Keys');
    const stack = new Stack(app, 'Test');
    new ImageResizePipeline(stack, 'Images', { encryptionKey: new kms.Key(keyStack, 'Shared') });

    const keyTemplate = Template.fromStack(keyStack);
    expect(logsStatementsOf(keyTemplate)).toEqual([logsKeyStatement]);
    expect(JSON.stringify(keyTemplate.toJSON())).not.toMatch(/ImportValue/);
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('Shared') } }, 3);
    expect(() => app.synth()).not.toThrow();
  });

  test('an imported key\'s policy cannot be given the statement CloudWatch Logs needs, so the log groups keep CloudWatch Logs\' own encryption, as the imported-key warning says', () => {
    const { stack, template } = synth({}, (scope) => ({ encryptionKey: kms.Key.fromKeyArn(scope, 'Theirs', 'arn:aws:kms:us-east-1:222222222222:key/theirs') }));
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() });
    Annotations.fromStack(stack).hasWarning('/Test/Theirs',
      Match.stringLikeRegexp('log groups are not encrypted with it.*\\[ack: cdk-image-resize-pipeline:importedKeyPolicy\\]'));
  });

  test('KMS: the function may only decrypt with the key and have it generate data keys, all that reading, writing, publishing and consuming need; the upload route only the latter, all a single PutObject needs', () => {
    const { template } = synth({ encryption: PipelineEncryption.KMS });
    const kmsStatementsOf = (role: string) => Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp(role) }] },
    })).flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('kms:')));
    const key = { 'Fn::GetAtt': [expect.stringMatching(/^ImagesKey/), 'Arn'] };

    // S3's GetObject and presigned GETs, and SQS's receive, decrypt; S3's PutObject and SNS's Publish generate data keys.
    expect(kmsStatementsOf('ResizeFunctionRole')).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: key },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: key },
    ]);
    expect(kmsStatementsOf('UploadRole')).toEqual([{ Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: key }]);
    expect(kmsStatementsOf('UploadUrlFunctionRole')).toEqual([{ Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: key }]);
  });

  test('buckets you bring with keys of their own: each role is granted the key of each bucket it uses', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new ImageResizePipeline(stack, 'Images', {
      uploadBucket: new s3.Bucket(stack, 'Photos', { encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(stack, 'PhotosKey') }),
      resizedBucket: s3.Bucket.fromBucketAttributes(stack, 'Thumbs', { bucketName: 'thumbs', encryptionKey: new kms.Key(stack, 'ThumbsKey') }),
    });
    pipeline.grantReadResized(new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
    const template = Template.fromStack(stack);
    const kmsStatementsOf = (role: string) => Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp(role) }] },
    })).flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('kms:')));
    const photosKey = { 'Fn::GetAtt': [expect.stringMatching(/^PhotosKey/), 'Arn'] };
    const thumbsKey = { 'Fn::GetAtt': [expect.stringMatching(/^ThumbsKey/), 'Arn'] };

    // The copies are written (a data key) and read through the presigned links (decrypt); nothing is re-encrypted.
    expect(kmsStatementsOf('ResizeFunctionRole')).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: photosKey },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: thumbsKey },
    ]);
    expect(kmsStatementsOf('UploadUrlFunctionRole')).toEqual([{ Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: photosKey }]);
    expect(kmsStatementsOf('UploadRole')).toEqual([{ Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: photosKey }]);
    expect(kmsStatementsOf('Reader')).toEqual([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: thumbsKey }]);
  });

  test('the pipeline\'s key is granted for the queues and topic, not for a bucket you bring, which it does not encrypt', () => {
    const { template } = synth({ encryption: PipelineEncryption.KMS }, (stack) => ({ uploadBucket: s3.Bucket.fromBucketName(stack, 'Photos', 'my-photos') }));
    const grantsKey = (role: string) => Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: {
        Roles: [{ Ref: Match.stringLikeRegexp(role) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Resource: keyRef })]) },
      },
    })).length > 0;
    expect(grantsKey('ResizeFunctionRole')).toBe(true);
    expect(grantsKey('UploadUrlFunctionRole')).toBe(false);
    expect(grantsKey('UploadRole')).toBe(false);
  });

  test('a key you pass implies KMS and is used instead of a new one', () => {
    const { template } = synth({}, (stack) => ({ encryptionKey: new kms.Key(stack, 'MyKey') }));
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Alias', { TargetKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } });
  });

  test('a key from another stack of the app: S3 may use it for the queue, and only the queue\'s policy names the upload bucket', () => {
    const app = new App();
    const keyStack = new Stack(app, 'Keys');
    const stack = new Stack(app, 'Test');
    new ImageResizePipeline(stack, 'Images', { encryptionKey: new kms.Key(keyStack, 'Shared') });

    const keyTemplate = Template.fromStack(keyStack);
    keyTemplate.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        }]),
      },
    });
    expect(JSON.stringify(keyTemplate.toJSON())).not.toMatch(/ImportValue/);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('ImagesQueue') }],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] },
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('UploadBucket'), 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        }]),
      },
    });
    template.hasResource('Custom::S3BucketNotifications', {
      Properties: {
        NotificationConfiguration: {
          QueueConfigurations: [
            { Events: ['s3:ObjectCreated:*'], QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] } },
            { Events: ['s3:ObjectRemoved:*'], QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] } },
            { Events: ['s3:LifecycleExpiration:*'], QueueArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ImagesQueue'), 'Arn'] } },
          ],
        },
      },
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('ImagesQueuePolicy')]),
    });
  });

  test.each<[string, (app: App, stack: Stack) => Partial<ImageResizePipelineProps>]>([
    ['S3-managed', () => ({})],
    ['KMS with the pipeline\'s key', () => ({ encryption: PipelineEncryption.KMS })],
    ['KMS with a key of the same stack and an imported upload bucket', (_app, stack) => ({
      encryptionKey: new kms.Key(stack, 'Mine'), uploadBucket: s3.Bucket.fromBucketName(stack, 'Photos', 'my-photos'),
    })],
    ['KMS with a key of another stack', (app) => ({ encryptionKey: new kms.Key(new Stack(app, 'Keys'), 'Shared') })],
  ])('%s: every statement that lets S3 use the queue or its key holds it to this account, so no other account\'s bucket can', (_name, configure) => {
    const app = new App();
    const stack = new Stack(app, 'Test');
    new ImageResizePipeline(stack, 'Images', configure(app, stack));

    const s3Statements = app.node.findAll()
      .filter((construct): construct is Stack => construct instanceof Stack)
      .flatMap((each) => Object.values<any>(Template.fromStack(each).toJSON().Resources))
      .flatMap((resource) => {
        if (resource.Type === 'AWS::KMS::Key') {
          return resource.Properties.KeyPolicy.Statement;
        }
        return resource.Type === 'AWS::SQS::QueuePolicy' ? resource.Properties.PolicyDocument.Statement : [];
      })
      .filter((statement: any) => [statement.Principal?.Service].flat().includes('s3.amazonaws.com'));
    expect(s3Statements.length).toBeGreaterThan(0);
    for (const statement of s3Statements) {
      expect({ statement, sourceAccount: statement.Condition?.StringEquals?.['aws:SourceAccount'] })
        .toEqual({ statement, sourceAccount: { Ref: 'AWS::AccountId' } });
    }
  });

  test('an imported key\'s policy is left alone, with a warning that gives the statement to add, held to the bucket and this account', () => {
    const { stack } = synth({}, (scope) => ({ encryptionKey: kms.Key.fromKeyArn(scope, 'Theirs', 'arn:aws:kms:us-east-1:222222222222:key/theirs') }));
    const [warning] = Annotations.fromStack(stack).findWarning('/Test/Theirs', Match.stringLikeRegexp('S3 cannot send.*importedKeyPolicy'));
    const statement = JSON.parse(/add this statement to it: (\{.*\}) \(<Id\.Arn>/.exec(String(warning.entry.data))![1]);
    expect(statement).toEqual({
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        ArnLike: { 'aws:SourceArn': expect.stringMatching(/^<ImagesUploadBucket\w+\.Arn>$/) },
        StringEquals: { 'aws:SourceAccount': '<AWS::AccountId>' },
      },
    });
  });

  test.each<[string, (stack: Stack) => kms.IKey]>([
    ['imported from another account', (stack) => kms.Key.fromKeyArn(stack, 'Theirs', 'arn:aws:kms:us-east-1:222222222222:key/theirs')],
    ['of another stack', (stack) => new kms.Key(new Stack(stack.node.scope as App, 'Keys'), 'Shared')],
  ])('a key %s is named by the buckets directly, with no alias (an alias must be in its key\'s account)', (_name, keyIn) => {
    const { template, stack, pipeline } = synth({}, (scope) => ({ encryptionKey: keyIn(scope) }));
    template.resourceCountIs('AWS::KMS::Alias', 0);
    template.resourcePropertiesCountIs('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.resolve(pipeline.encryptionKey!.keyArn) },
        }],
      },
    }, 2);
  });

  test('a key in another region is refused', () => {
    const stack = new Stack(new App(), 'Test', { env: { region: 'us-east-1' } });
    expect(() => new ImageResizePipeline(stack, 'Images', { encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111111111111:key/k') }))
      .toThrow(/encryptionKey: is in eu-west-1, but the pipeline is in us-east-1: S3 and SQS encrypt only with keys in their own region/);
  });

  test('the default uses no KMS key', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() });
  });

  test('a key with S3-managed encryption is refused', () => {
    expect(() => synth({ encryption: PipelineEncryption.S3_MANAGED }, (stack) => ({ encryptionKey: new kms.Key(stack, 'MyKey') })))
      .toThrow(/encryptionKey: is used only with encryption: PipelineEncryption.KMS/);
  });
});

/**
 * The packages a built layer holds, read from their package.json files: a package.json deeper inside a package
 * (such as one that marks a folder as ES modules) is no package of its own.
 */
function layerPackages(directory: string): Array<{ name: string; version: string; license: string; dependencies: Record<string, string> }> {
  const modules = path.join(__dirname, '..', 'assets', 'sharp-layer', directory, 'nodejs', 'node_modules');
  return (fs.readdirSync(modules, { recursive: true }) as string[])
    .map((file) => file.split(path.sep).join('/'))
    .filter((file) => /^(?:.*\/node_modules\/)?(?:@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(file))
    .map((file) => ({ dependencies: {}, ...JSON.parse(fs.readFileSync(path.join(modules, file), 'utf8')) }));
}

describe('sharp layer', () => {
  test('a layer you bring replaces the bundled one', () => {
    const { template } = synth({}, (stack) => ({
      sharpLayer: lambda.LayerVersion.fromLayerVersionArn(stack, 'Heic', 'arn:aws:lambda:us-east-1:123456789012:layer:sharp-heic:3'),
    }));
    template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:sharp-heic:3'] });
  });

  const layerFor = (stack: Stack, runtimes: lambda.Runtime[]) => new lambda.LayerVersion(stack, 'Heic', {
    code: lambda.Code.fromBucket(s3.Bucket.fromBucketName(stack, 'Layers', 'my-layers'), 'sharp-heic.zip'),
    compatibleArchitectures: [lambda.Architecture.ARM_64],
    compatibleRuntimes: runtimes,
  });

  test('a layer of your own that names nodejs24.x among its runtimes is attached', () => {
    const { template, pipeline } = synth({}, (stack) => ({ sharpLayer: layerFor(stack, [lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X]) }));
    const [layerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion', { Properties: { CompatibleRuntimes: ['nodejs22.x', 'nodejs24.x'] } }));

    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Layers: [{ Ref: layerId }] });
    expect(pipeline.sharpLayer.compatibleRuntimes).toEqual([lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X]);
  });

  test('a layer of your own for other runtimes only is refused, naming the function\'s', () => {
    expect(() => synth({}, (stack) => ({ sharpLayer: layerFor(stack, [lambda.Runtime.NODEJS_20_X]) })))
      .toThrow(/Invalid ImageResizePipeline props at Test\/Images:\n {2}- sharpLayer: names nodejs20.x as its compatibleRuntimes, but the resize function runs on nodejs24.x: add lambda.Runtime.NODEJS_24_X or leave compatibleRuntimes out/);
  });

  test('a layer of your own written for Node.js 22 alone is refused, asking for nodejs24.x', () => {
    expect(() => synth({}, (stack) => ({ sharpLayer: layerFor(stack, [lambda.Runtime.NODEJS_22_X]) })))
      .toThrow(/sharpLayer: names nodejs22.x as its compatibleRuntimes, but the resize function runs on nodejs24.x: add lambda.Runtime.NODEJS_24_X or leave compatibleRuntimes out/);
  });

  test('a layer built for the other architecture is refused', () => {
    expect(() => synth({ architecture: lambda.Architecture.ARM_64 }, (stack) => ({
      sharpLayer: new SharpLayer(stack, 'X64', { architecture: lambda.Architecture.X86_64 }),
    }))).toThrow(/sharpLayer: is built for x86_64, but the function runs on arm64/);
  });

  test.each([
    ['arm64', lambda.Architecture.ARM_64],
    ['x64', lambda.Architecture.X86_64],
  ])('the %s layer\'s licence names the licence of every package it holds, as an SPDX expression', (directory, architecture) => {
    const licences = layerPackages(directory).map((manifest) => manifest.license);
    const stack = new Stack(new App(), 'Test');
    new SharpLayer(stack, 'Layer', { architecture });
    const [layer] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'));

    expect(new Set(layer.Properties.LicenseInfo.split(' AND '))).toEqual(new Set(licences));
  });

  test.each(['arm64', 'x64'])('the %s layer holds node_modules and nothing else: a record of its build would change its asset hash', (directory) => {
    const layer = path.join(__dirname, '..', 'assets', 'sharp-layer', directory);

    expect([...fs.readdirSync(layer), ...fs.readdirSync(path.join(layer, 'nodejs'))]).toEqual(['nodejs', 'node_modules']);
  });

  test.each(['arm64', 'x64'])('the %s layer holds sharp, its dependencies and its own Linux binaries, nothing more', (directory) => {
    const sharp = layerPackages(directory).find((manifest) => manifest.name === 'sharp')!;
    const names = layerPackages(directory).map((manifest) => manifest.name);

    expect(names.sort()).toEqual([
      'sharp', ...Object.keys(sharp.dependencies), `@img/sharp-linux-${directory}`, `@img/sharp-libvips-linux-${directory}`,
    ].sort());
  });

  test.each(['arm64', 'x64'])('the %s layer holds each package at the version the root package-lock.json gives it', (directory) => {
    const lock = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package-lock.json'), 'utf8'));
    // Where Node would find it from the root's sharp: sharp's own node_modules first, then the top level.
    const locked = (name: string) => (lock.packages[`node_modules/sharp/node_modules/${name}`] ?? lock.packages[`node_modules/${name}`])?.version;
    const versions = layerPackages(directory).map((manifest) => [manifest.name, manifest.version]);

    expect(versions).toEqual(versions.map(([name]) => [name, locked(name)]));
  });

  test('a layer for an architecture it has no binaries for is refused, not given the arm64 ones', () => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new SharpLayer(stack, 'Layer', { architecture: lambda.Architecture.custom('riscv64') }))
      .toThrow(/SharpLayer has sharp binaries for arm64 and x86_64 only, not riscv64/);
  });
});

describe('notification scope', () => {
  const uploadMethod = (template: Template) => Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'PUT' } }))[0];
  const subscribeTemplate = (template: Template): string => {
    const method = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }))[0];
    const join = method.Properties.Integration.RequestTemplates['application/json']['Fn::Join'][1] as unknown[];
    return join.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  };

  test('by default an upload records its IAM caller and a subscription filters on the same caller', () => {
    const { template } = synth();
    expect(uploadMethod(template).Properties.Integration.RequestParameters['integration.request.header.x-amz-meta-uploader'])
      .toBe('context.identity.userArn');
    expect(subscribeTemplate(template)).toContain(
      '#set($filter = "{${q}uploader${q}:[${q}$context.identity.userArn${q}]}")&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=$util.urlEncode($filter)');
  });

  test('with Cognito the caller is the token\'s subject', () => {
    const { template } = synth({}, (stack) => ({ apiAuthorization: ApiAuthorization.cognito(new cognito.UserPool(stack, 'Users')) }));
    expect(uploadMethod(template).Properties.Integration.RequestParameters['integration.request.header.x-amz-meta-uploader'])
      .toBe('context.authorizer.claims.sub');
    expect(subscribeTemplate(template)).toContain('$context.authorizer.claims.sub');
  });

  test('broadcast records no caller, even one the authorization knows, and sets no filter', () => {
    const { template } = synth({ notificationScope: NotificationScope.BROADCAST, apiAuthorization: ApiAuthorization.iam() });
    expect(uploadMethod(template).Properties.Integration.RequestParameters['integration.request.header.x-amz-meta-uploader']).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ UPLOAD_BUCKET: Match.anyValue(), CALLER_IDENTITY: Match.anyValue() }) },
    }, 0);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ UPLOAD_BUCKET: Match.anyValue() }) },
    }, 1);
    expect(subscribeTemplate(template)).not.toContain('FilterPolicy');
  });

  test('the subscribe form has no stray characters between its fields', () => {
    expect(subscribeTemplate(synth().template)).not.toMatch(/\n/);
  });

  test('private notifications without a known caller are refused', () => {
    expect(() => synth({ apiAuthorization: ApiAuthorization.none() }))
      .toThrow(/notificationScope: private notifications \(the default\) need an API that knows its caller/);
  });
});

describe('operations', () => {
  test('resized and rejected uploads are counted from the function\'s logs, per function', () => {
    const { template } = synth();
    for (const [metricName, message] of [['ImagesResized', 'Upload resized'], ['ImagesRejected', 'Upload rejected']]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: Match.stringLikeRegexp('ResizeFunctionLogs') },
        FilterPattern: `{ $.message = "${message}" }`,
        MetricTransformations: [{
          MetricNamespace: 'ImageResizePipeline',
          MetricName: metricName,
          MetricValue: '1',
          Unit: 'Count',
          Dimensions: [{ Key: 'FunctionName', Value: '$.function_name' }],
        }],
      });
    }
  });

  test('the metric helpers name the pipeline\'s own resources', () => {
    const { stack, pipeline } = synth();
    const resolve = (metric: { toMetricConfig(): unknown }) => stack.resolve(metric.toMetricConfig());
    expect(resolve(pipeline.metricImagesResized())).toMatchObject({
      metricStat: { namespace: 'ImageResizePipeline', metricName: 'ImagesResized', statistic: 'Sum', dimensions: [{ name: 'FunctionName', value: { Ref: expect.stringMatching(/ResizeFunction/) } }] },
    });
    expect(resolve(pipeline.metricImagesRejected())).toMatchObject({ metricStat: { metricName: 'ImagesRejected' } });
    expect(resolve(pipeline.metricDeadLetterQueueDepth())).toMatchObject({
      metricStat: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum', dimensions: [{ value: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'QueueName'] } }] },
    });
    expect(resolve(pipeline.metricOldestUploadAge())).toMatchObject({
      metricStat: { metricName: 'ApproximateAgeOfOldestMessage', dimensions: [{ value: { 'Fn::GetAtt': [expect.stringMatching(/ImagesQueue/), 'QueueName'] } }] },
    });
    expect(resolve(pipeline.metricResizeErrors())).toMatchObject({ metricStat: { namespace: 'AWS/Lambda', metricName: 'Errors' } });
    expect(resolve(pipeline.metricResizeDuration())).toMatchObject({ metricStat: { namespace: 'AWS/Lambda', metricName: 'Duration' } });
  });

  test('the queue depth and the resize function\'s throttles, for seeing a backlog build up and why', () => {
    const { stack, pipeline } = synth();
    const resolve = (metric: { toMetricConfig(): unknown }) => stack.resolve(metric.toMetricConfig());
    expect(resolve(pipeline.metricQueueDepth())).toMatchObject({
      metricStat: {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        statistic: 'Maximum',
        dimensions: [{ name: 'QueueName', value: { 'Fn::GetAtt': [expect.stringMatching(/^ImagesQueue/), 'QueueName'] } }],
      },
    });
    expect(resolve(pipeline.metricResizeThrottles())).toMatchObject({
      metricStat: {
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        statistic: 'Sum',
        dimensions: [{ name: 'FunctionName', value: { Ref: expect.stringMatching(/ResizeFunction/) } }],
      },
    });
    expect(resolve(pipeline.metricQueueDepth({ period: Duration.minutes(1), statistic: 'Average' }))).toMatchObject({ metricStat: { period: Duration.minutes(1), statistic: 'Average' } });
  });

  // jsii carries a method's @default into the Python and Java docs, but API.md and Construct Hub show only the
  // parameter's text, so both name the default. One naming the wrong statistic would have a dashboard built from the
  // docs sum what it should average, or average a count.
  test('each metric helper\'s @default and props text name the statistic and period it gives', () => {
    const sourceFile = path.join(__dirname, '..', 'src', 'image-resize-pipeline.ts');
    const source = ts.createSourceFile(sourceFile, fs.readFileSync(sourceFile, 'utf8'), ts.ScriptTarget.Latest, true);
    const pipelineClass = source.statements.find((statement): statement is ts.ClassDeclaration =>
      ts.isClassDeclaration(statement) && statement.name?.text === 'ImageResizePipeline')!;
    const documented = Object.fromEntries(pipelineClass.members.filter(ts.isMethodDeclaration)
      .filter((method) => method.name.getText().startsWith('metric'))
      .map((method) => {
        const tags = ts.getJSDocTags(method);
        const defaultTag = tags.find((tag) => tag.tagName.text === 'default');
        const propsTag = tags.find((tag) => ts.isJSDocParameterTag(tag) && tag.name.getText() === 'props');
        return [method.name.getText(), {
          default: defaultTag && ts.getTextOfJSDocComment(defaultTag.comment)?.replace(/^- /, ''),
          props: propsTag && ts.getTextOfJSDocComment(propsTag.comment),
        }];
      }));
    const { pipeline } = synth();
    const helpers = Object.getOwnPropertyNames(ImageResizePipeline.prototype).filter((name) => name.startsWith('metric'));
    expect(Object.keys(documented).sort()).toEqual(helpers.sort());
    const given = Object.fromEntries(helpers.map((name) => {
      const metric = (pipeline as unknown as Record<string, () => cloudwatch.Metric>)[name]();
      const statisticAndPeriod = `${metric.statistic} over ${metric.period.toMinutes()} minutes`;
      return [name, { default: statisticAndPeriod, props: expect.stringContaining(statisticAndPeriod) }];
    }));
    expect(documented).toEqual(given);
  });

  test('no alarms unless asked for', () => {
    const { template, pipeline } = synth();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(pipeline.alarms).toEqual([]);
  });

  test('alarms for a non-empty DLQ, old uploads and the error rate notify the given topic', () => {
    const { template, pipeline } = synth({}, (stack) => ({
      alarms: { topic: new sns.Topic(stack, 'Oncall'), maxUploadAge: Duration.minutes(30), maxErrorRatePercent: 10 },
    }));
    expect(pipeline.alarms).toHaveLength(3);
    const notifiesOncall = {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Oncall') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^Oncall') }],
      ComparisonOperator: 'GreaterThanThreshold',
      // No data is no trouble: an idle pipeline has no messages, no old uploads and no invocations.
      TreatMissingData: 'notBreaching',
    };
    // One minute with a message in the dead-letter queue.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...notifiesOncall, MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, Threshold: 0,
    });
    // Three minutes in a row with an upload older than the maximum, so one slow batch does not page anyone.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...notifiesOncall, MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 3, Threshold: 1800,
    });
    // Five minutes' errors over five minutes' invocations.
    const fiveMinutes = (metricName: string) => Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: metricName }), Period: 300, Stat: 'Sum' }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...notifiesOncall,
      EvaluationPeriods: 1,
      Threshold: 10,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: '100 * errors / invocations' }), fiveMinutes('Errors'), fiveMinutes('Invocations')]),
    });
  });

  test('by default an upload waiting more than 15 minutes, or more than 5% of invocations failing, sets off an alarm', () => {
    const { template } = synth({}, (stack) => ({ alarms: { topic: new sns.Topic(stack, 'Oncall') } }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 5,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: '100 * errors / invocations' })]),
    });
  });

  test('alarm thresholds are validated', () => {
    expect(() => synth({}, (stack) => ({ alarms: { topic: new sns.Topic(stack, 'Oncall'), maxErrorRatePercent: 0 } })))
      .toThrow(/alarms.maxErrorRatePercent: must be above 0 and at most 100, got 0/);
  });

  test('an upload age known only at deploy time is the threshold, and the description does not show the token', () => {
    const { template } = synth({}, (stack) => ({
      alarms: { topic: new sns.Topic(stack, 'Oncall'), maxUploadAge: Duration.seconds(new CfnParameter(stack, 'MaxAge', { type: 'Number' }).valueAsNumber) },
    }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: { Ref: 'MaxAge' },
      AlarmDescription: 'An upload has waited in the queue for longer than the alarm\'s threshold.',
    });
  });

  test('a known upload age is named in the description', () => {
    const { template } = synth({}, (stack) => ({ alarms: { topic: new sns.Topic(stack, 'Oncall'), maxUploadAge: Duration.minutes(30) } }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      AlarmDescription: 'An upload has waited in the queue for more than 30 minutes.',
    });
  });

  test('an error rate known only at deploy time is used as the threshold', () => {
    const { template } = synth({}, (stack) => ({
      alarms: { topic: new sns.Topic(stack, 'Oncall'), maxErrorRatePercent: new CfnParameter(stack, 'ErrorRate', { type: 'Number' }).valueAsNumber },
    }));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: { Ref: 'ErrorRate' },
      Metrics: Match.arrayWith([Match.objectLike({ Expression: '100 * errors / invocations' })]),
      AlarmDescription: 'More than the alarm\'s threshold, in percent, of resize invocations failed as a whole.',
    });
  });
});

describe('grants', () => {
  test('grantReadResized lets the grantee read the resized bucket\'s current copies only: no earlier versions, no bucket settings', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new ImageResizePipeline(stack, 'Images');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });

    pipeline.grantReadResized(role);

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Reader') }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('ResizedBucket'), 'Arn'] }, '/*']] },
        }, {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('ResizedBucket'), 'Arn'] },
        }],
      },
    });
  });

  test('with the pipeline\'s KMS key, grantReadResized also lets the grantee decrypt with it', () => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new ImageResizePipeline(stack, 'Images', { encryption: PipelineEncryption.KMS });
    pipeline.grantReadResized(new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Reader') }],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:DescribeKey'],
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImagesKey'), 'Arn'] },
        }]),
      },
    });
  });
});

describe('grantRedrive', () => {
  const redriveStatements = (props: ImageResizePipelineProps) => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new ImageResizePipeline(stack, 'Images', props);
    pipeline.grantRedrive(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Operator') }] } });
    return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
  };
  const arnOf = (id: string) => ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${id}[0-9A-F]{8}$`)), 'Arn'] });
  const sqsStatements = [
    {
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: arnOf('ImagesDeadLetterQueue'),
    },
    { Effect: 'Allow', Action: ['sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask'], Resource: arnOf('ImagesDeadLetterQueue') },
    { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: arnOf('ImagesQueue') },
  ];

  test('lets the grantee move the dead-letter queue\'s messages back to the queue, by hand or by SQS\'s move task, and nothing else', () => {
    expect(redriveStatements({})).toEqual(sqsStatements);
  });

  test('with KMS, it lets the grantee decrypt what it receives and encrypt what it sends with the pipeline\'s key', () => {
    const statements = redriveStatements({ encryption: PipelineEncryption.KMS });

    expect(statements).toEqual(expect.arrayContaining(sqsStatements));
    expect(statements.filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('kms:')))).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf('ImagesKey') },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Resource: arnOf('ImagesKey') },
    ]);
  });
});

describe('API grants', () => {
  const routeArn = (route: string) => ({
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':',
      { Ref: Match.stringLikeRegexp('^ImagesApi[0-9A-F]{8}$') }, '/', { Ref: Match.stringLikeRegexp('^ImagesApiDeploymentStageprod') }, route,
    ]],
  });
  const grantedTo = (grant: (pipeline: ImageResizePipeline, role: iam.IGrantable) => void, props: ImageResizePipelineProps = {}) => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new ImageResizePipeline(stack, 'Images', props);
    grant(pipeline, new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() }));
    return Template.fromStack(stack);
  };

  test('grantUpload lets the grantee invoke PUT /upload-image/* and POST /upload-url, and nothing else', () => {
    grantedTo((pipeline, role) => pipeline.grantUpload(role)).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [routeArn('/PUT/upload-image/*'), routeArn('/POST/upload-url')] }],
      },
    });
  });

  test('grantSubscribe lets the grantee invoke POST /subscribe, and nothing else', () => {
    grantedTo((pipeline, role) => pipeline.grantSubscribe(role)).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: routeArn('/POST/subscribe') }] },
    });
  });

  test.each<[string, (stack: Stack) => ImageResizePipelineProps, RegExp]>([
    ['Cognito', (stack) => ({ apiAuthorization: ApiAuthorization.cognito(new cognito.UserPool(stack, 'Users')) }), /COGNITO_USER_POOLS/],
    ['no authorization', () => ({ apiAuthorization: ApiAuthorization.none(), notificationScope: NotificationScope.BROADCAST }), /NONE/],
  ])('with %s an IAM grant, which API Gateway would never check, is refused', (_name, configure, authorization) => {
    const stack = new Stack(new App(), 'Test');
    const pipeline = new ImageResizePipeline(stack, 'Images', configure(stack));
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    for (const grant of [() => pipeline.grantUpload(role), () => pipeline.grantSubscribe(role)]) {
      expect(grant).toThrow(new RegExp(`grant(Upload|Subscribe): the API's routes are authorized with ${authorization.source}, not IAM, so API Gateway never checks a caller's IAM permissions`));
    }
  });
});

describe('validation', () => {
  const expectInvalid = (props: ImageResizePipelineProps, message: RegExp) =>
    expect(() => synth(props)).toThrow(message);

  /** Props as plain JavaScript can pass them, past the types. */
  const untyped = (props: unknown) => props as ImageResizePipelineProps;

  test.each<[string, ImageResizePipelineProps, RegExp]>([
    ['no sizes', { sizes: [] }, /sizes: at least one size is required/],
    ['sizes that are not an array', untyped({ sizes: {} }), /sizes: must be an array of sizes, got \{\}/],
    ['a size that is not an object', untyped({ sizes: [null] }), /sizes\[0\]: must be an object with a name and a width, a height or both, got null/],
    ['a size without a name', untyped({ sizes: [{ width: 10 }] }), /sizes\[0\]\.name: must be a string of 1 to 64 letters, digits, "-" or "_" \(it becomes the key prefix of the outputs\), got undefined/],
    ['a name that is a number', untyped({ sizes: [{ name: 7, width: 10 }] }), /sizes\[0\]\.name: must be a string of 1 to 64 letters, .*, got 7/],
    ['a width that is a string', untyped({ sizes: [{ name: 'x', width: '100' }] }), /sizes\[0\]\.width: must be an integer from 1 to 16383, got "100"/],
    ['a name with a slash', { sizes: [{ name: 'a/b', width: 10 }] }, /sizes\[0\]\.name: "a\/b" must be 1 to 64 letters/],
    ['a duplicate name', { sizes: [{ name: 'x', width: 10 }, { name: 'x', width: 20 }] }, /sizes\[1\]\.name: "x" is used by more than one size/],
    ['neither width nor height', { sizes: [{ name: 'x' }] }, /sizes\[0\]: "x" needs a width, a height or both/],
    ['a zero width', { sizes: [{ name: 'x', width: 0 }] }, /sizes\[0\]\.width: must be an integer from 1/],
    ['a fractional height', { sizes: [{ name: 'x', height: 10.5 }] }, /sizes\[0\]\.height: must be an integer/],
    ['an unknown fit', { sizes: [{ name: 'x', width: 10, fit: 'squash' as ImageFit }] }, /sizes\[0\]\.fit: "squash" is not one of/],
    ['an unknown format', { outputFormat: 'bmp' as OutputFormat }, /outputFormat: "bmp" is not one of/],
    ['an unknown animation', { animation: 'loop' as Animation }, /animation: "loop" is not one of/],
    ['quality 0', { quality: 0 }, /quality: must be an integer from 1 to 100, got 0/],
    ['quality 101', { quality: 101 }, /quality: must be an integer from 1 to 100, got 101/],
    ['batch size 11', { batchSize: 11 }, /batchSize: must be an integer from 1 to 10/],
    ['concurrency 1', { maxConcurrency: 1 }, /maxConcurrency: must be an integer from 2 to 1000/],
    ['links for 8 days', { linkExpiry: Duration.days(8) }, /linkExpiry: must be from/],
    ['a 16-minute timeout', { timeout: Duration.minutes(16) }, /timeout: must be from/],
    ['memory below Lambda\'s minimum', { memorySize: 64 }, /memorySize: must be an integer from 128 to 10240/],
    ['autoDeleteObjects on retained buckets', { autoDeleteObjects: true }, /autoDeleteObjects: requires removalPolicy: RemovalPolicy.DESTROY/],
    ['an expiry of earlier versions without versioning', { noncurrentVersionExpiration: Duration.days(7) },
      /noncurrentVersionExpiration: requires versioned: true \(an unversioned bucket keeps no earlier versions to expire\)/],
    ['an expiry of earlier versions in part of a day', { versioned: true, noncurrentVersionExpiration: Duration.hours(36) },
      /noncurrentVersionExpiration: must be a whole number of days, at least 1, got 1 day 12 hours/],
    ['an expiry of earlier versions at once', { versioned: true, noncurrentVersionExpiration: Duration.days(0) },
      /noncurrentVersionExpiration: must be a whole number of days, at least 1, got 0 days/],
    ['a snapshot removal policy', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy: RemovalPolicy.SNAPSHOT is not supported: buckets, queues, topics and log groups have no snapshots/],
    ['an upload limit of 0', { maxUploadBytes: 0 }, /maxUploadBytes: must be an integer from 1 to 5368709120/],
    ['upload links for a day', { uploadUrlExpiry: Duration.days(1) }, /uploadUrlExpiry: must be from/],
    ['a timeout that is not whole seconds', { timeout: Duration.millis(1500) }, /timeout: must be a whole number of seconds, got 1.5 seconds/],
    ['links that expire after part of a second', { linkExpiry: Duration.millis(3_600_500) }, /linkExpiry: must be a whole number of seconds, got 3600.5 seconds/],
    ['a batching window that is not whole seconds, with a visibility timeout', { maxBatchingWindow: Duration.millis(2500), queueVisibilityTimeout: Duration.minutes(10) },
      /maxBatchingWindow: must be a whole number of seconds, got 2.5 seconds/],
    ['an API rate limit of 0', { apiRateLimit: 0 }, /apiRateLimit: must be above 0 and at most 10000, got 0/],
    ['an API rate limit over 10000', { apiRateLimit: 10000.5 }, /apiRateLimit: must be above 0 and at most 10000, got 10000.5/],
    ['an upload age alarm as long as the queue keeps a message', { alarms: { topic: sns.Topic.fromTopicArn(new Stack(), 'Oncall', 'arn:aws:sns:us-east-1:123456789012:oncall'), maxUploadAge: Duration.days(4) } },
      /alarms\.maxUploadAge: must be less than 4 days, the queue's retention/],
    ['an upload age alarm under a minute', { alarms: { topic: sns.Topic.fromTopicArn(new Stack(), 'Oncall', 'arn:aws:sns:us-east-1:123456789012:oncall'), maxUploadAge: Duration.seconds(30) } },
      /alarms\.maxUploadAge: must be from 1 minute to 4 days, got 30 seconds/],
    ['no input pixels', { maxInputPixels: 0 }, /maxInputPixels: must be an integer from 1 to 9007199254740991, got 0/],
    ['a fractional pixel limit', { maxInputPixels: 1.5 }, /maxInputPixels: must be an integer from 1 to 9007199254740991, got 1.5/],
    ['no receives before the dead-letter queue', { maxReceiveCount: 0 }, /maxReceiveCount: must be an integer from 1 to 1000, got 0/],
    ['more than 1000 receives', { maxReceiveCount: 1001 }, /maxReceiveCount: must be an integer from 1 to 1000, got 1001/],
    ['an API burst limit of 0', { apiBurstLimit: 0 }, /apiBurstLimit: must be an integer from 1 to 5000, got 0/],
    ['an API burst limit over 5000', { apiBurstLimit: 5001 }, /apiBurstLimit: must be an integer from 1 to 5000, got 5001/],
    ['a visibility timeout over SQS\'s 12 hours', { queueVisibilityTimeout: Duration.hours(13) }, /queueVisibilityTimeout: must be from 0 seconds to 12 hours, got 13 hours/],
    ['a batching window over 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, /maxBatchingWindow: must be from 0 seconds to 5 minutes, got 6 minutes/],
    ['a width over WebP\'s 16383', { sizes: [{ name: 'x', width: 16384 }] }, /sizes\[0\]\.width: must be an integer from 1 to 16383, got 16384/],
    ['a height over WebP\'s 16383', { sizes: [{ name: 'x', height: 16384 }] }, /sizes\[0\]\.height: must be an integer from 1 to 16383, got 16384/],
    ['an architecture Lambda does not have, with a sharp layer you bring', {
      architecture: lambda.Architecture.custom('riscv64'),
      sharpLayer: lambda.LayerVersion.fromLayerVersionArn(new Stack(), 'Sharp', 'arn:aws:lambda:us-east-1:123456789012:layer:sharp:1'),
    }, /architecture: must be ARM_64 or X86_64, got riscv64/],
  ])('refuses %s', (_name, props, message) => {
    expectInvalid(props, message);
  });

  test.each<[string, (token: string) => ImageResizePipelineProps]>([
    ['sizes[0].name', (token) => ({ sizes: [{ name: token, width: 100 }] })],
    ['sizes[0].fit', (token) => ({ sizes: [{ name: 'thumbnail', width: 100, fit: token as ImageFit }] })],
    ['outputFormat', (token) => ({ outputFormat: token as OutputFormat })],
    ['animation', (token) => ({ animation: token as Animation })],
    ['removalPolicy', (token) => ({ removalPolicy: token as RemovalPolicy })],
    ['notificationScope', (token) => ({ notificationScope: token as NotificationScope })],
    ['encryption', (token) => ({ encryption: token as PipelineEncryption })],
  ])('%s known only at deploy time is refused as such: the pipeline is checked and built from it at synth', (prop, propsWith) => {
    expect(() => synth({}, (stack) => propsWith(new CfnParameter(stack, 'Choice').valueAsString)))
      .toThrow(new Error(`Invalid ImageResizePipeline props at Test/Images:\n  - ${prop}: must be a literal, not a deploy-time token such as a CfnParameter's value: the pipeline is checked and built from it at synth, before any token has a value`));
  });

  test('an expiry of earlier versions known only at deploy time in a unit other than days is refused: CDK cannot convert it', () => {
    expect(() => synth({ versioned: true }, (stack) => ({
      noncurrentVersionExpiration: Duration.hours(new CfnParameter(stack, 'KeepHours', { type: 'Number' }).valueAsNumber),
    }))).toThrow(/noncurrentVersionExpiration: is a deploy-time token in hours, which cannot be converted to the days S3 takes: give it as Duration.days\(\.\.\.\)/);
  });

  test('a size name that is a token is refused whatever kind of token it is', () => {
    expect(() => synth({ sizes: [{ name: Lazy.string({ produce: () => 'thumbnail' }), width: 100 }] }))
      .toThrow(/sizes\[0\]\.name: must be a literal, not a deploy-time token/);
  });

  test.each<[string, ImageResizePipelineProps]>([
    ['notificationScope', { notificationScope: 'private' as NotificationScope }],
    ['encryption', { encryption: 'aws:kms' as PipelineEncryption }],
    ['removalPolicy', { removalPolicy: 'keep' as RemovalPolicy }],
  ])('an unknown %s is refused, not taken for another choice', (prop, props) => {
    expectInvalid(props, new RegExp(`${prop}: "${Object.values(props)[0]}" is not one of`));
  });

  test('a visibility timeout that does not cover the timeout and batching window is refused', () => {
    expect(() => synth({ timeout: Duration.seconds(60), maxBatchingWindow: Duration.seconds(10), queueVisibilityTimeout: Duration.seconds(65) }))
      .toThrow(/queueVisibilityTimeout: 1 minute 5 seconds does not cover the timeout plus maxBatchingWindow \(70 seconds\)/);
  });

  test('a visibility timeout that covers them is used as given', () => {
    const { template } = synth({ timeout: Duration.seconds(60), queueVisibilityTimeout: Duration.seconds(90) });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 90, RedrivePolicy: Match.anyValue() });
  });

  test('a timeout or batching window known only at deploy time needs an explicit visibility timeout', () => {
    const deployTime = (stack: Stack, id: string) => Duration.seconds(new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber);
    expect(() => synth({}, (stack) => ({ timeout: deployTime(stack, 'Timeout') })))
      .toThrow(/queueVisibilityTimeout: is required when timeout or maxBatchingWindow is a token/);
    expect(() => synth({}, (stack) => ({ maxBatchingWindow: deployTime(stack, 'Window') })))
      .toThrow(/queueVisibilityTimeout: is required when timeout or maxBatchingWindow is a token/);

    const { template } = synth({ queueVisibilityTimeout: Duration.minutes(30) }, (stack) => ({ timeout: deployTime(stack, 'Timeout') }));
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: { Ref: 'Timeout' }, Layers: Match.anyValue() });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1800, RedrivePolicy: Match.anyValue() });
  });

  describe('receives that outlast the queue\'s 4-day retention', () => {
    test.each<[string, ImageResizePipelineProps, RegExp]>([
      ['100 receives of a 15-minute timeout', { timeout: Duration.minutes(15), maxReceiveCount: 100 },
        /maxReceiveCount: must be at most 63 with a visibility timeout of 1 hour 30 minutes, got 100: .* no sooner than 6 days 6 hours after it was sent, but the queue keeps it 4 days/],
      ['1000 receives of the default timeout', { maxReceiveCount: 1000 },
        /maxReceiveCount: must be at most 959 with a visibility timeout of 6 minutes, got 1000/],
      ['9 receives 12 hours apart', { queueVisibilityTimeout: Duration.hours(12), maxReceiveCount: 9 },
        /maxReceiveCount: must be at most 7 with a visibility timeout of 12 hours, got 9/],
    ])('refuses %s: SQS would delete a failing upload event before it reached the dead-letter queue', (_name, props, message) => {
      expectInvalid(props, message);
    });

    test('the last receive\'s visibility timeout must end before the retention does, not at the same moment', () => {
      expectInvalid({ queueVisibilityTimeout: Duration.hours(12), maxReceiveCount: 8 }, /maxReceiveCount: must be at most 7 with a visibility timeout of 12 hours, got 8/);
      expectInvalid({ maxReceiveCount: 960 }, /maxReceiveCount: must be at most 959 with a visibility timeout of 6 minutes, got 960/);

      synth({ queueVisibilityTimeout: Duration.hours(12), maxReceiveCount: 7 }).template
        .hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 43200, RedrivePolicy: Match.objectLike({ maxReceiveCount: 7 }) });
      synth({ maxReceiveCount: 959 }).template
        .hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360, RedrivePolicy: Match.objectLike({ maxReceiveCount: 959 }) });
    });

    test('a visibility timeout known only at deploy time passes, as the other checks let tokens pass', () => {
      synth({ maxReceiveCount: 1000 }, (stack) => ({ queueVisibilityTimeout: Duration.seconds(new CfnParameter(stack, 'Visibility', { type: 'Number' }).valueAsNumber) })).template
        .hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: { Ref: 'Visibility' }, RedrivePolicy: Match.objectLike({ maxReceiveCount: 1000 }) });
    });
  });

  test('a size whose width is known only at deploy time reaches the function as that value, written into the JSON by CloudFormation', () => {
    const { template } = synth({}, (stack) => ({
      sizes: [{ name: 'thumbnail', width: new CfnParameter(stack, 'ThumbnailWidth', { type: 'Number' }).valueAsNumber }],
    }));

    expect(resizeFunctionEnv(template).SIZES).toEqual({
      'Fn::Join': ['', ['[{"name":"thumbnail","width":', { Ref: 'ThumbnailWidth' }, ',"fit":"inside"}]']],
    });
  });

  const longNamedSizes = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `${'x'.repeat(62)}${String(i).padStart(2, '0')}`, width: 1000 + i }));

  test('sizes that would take the resize function\'s environment over Lambda\'s 4 KB are refused', () => {
    expect(() => synth({ sizes: longNamedSizes(31) }))
      .toThrow(/sizes: every size goes into the resize function's environment, which could take 4\d{3} bytes \(with the longest bucket name and topic ARN it may get at deploy\), over Lambda's limit of 4096/);
    expect(JSON.parse(resizeFunctionEnv(synth({ sizes: longNamedSizes(29) }).template).SIZES)).toHaveLength(29);
  });

  test('with widths of two digits, 30 sizes of 64-character names fit, the most the README gives, and 31 do not', () => {
    const narrow = (count: number) => longNamedSizes(count).map((size) => ({ ...size, width: 64 }));
    const build = (count: number) => () => new ImageResizePipeline(new Stack(new App(), 'Test'), 'Images', { sizes: narrow(count) });

    expect(build(30)).not.toThrow();
    expect(build(31)).toThrow(/sizes: every size goes into the resize function's environment/);
  });

  test('with the largest width and height each, 25 sizes of 64-character names fit, the fewest the README gives, and 26 do not', () => {
    const largest = (count: number) => longNamedSizes(count).map((size) => ({ ...size, width: 16383, height: 16383, fit: ImageFit.OUTSIDE }));
    const build = (count: number) => () => new ImageResizePipeline(new Stack(new App(), 'Test'), 'Images', { sizes: largest(count) });

    expect(build(25)).not.toThrow();
    expect(build(26)).toThrow(/sizes: every size goes into the resize function's environment/);
  });

  /**
   * The resize function's environment as Lambda measures it against its 4 KB: the variables as one JSON object, with
   * the bucket's name and the topic's ARN, which the template only refers to, at the longest S3 and SNS allow.
   */
  const environmentJsonBytes = (template: Template) => {
    const longest: Record<string, string> = {
      RESIZED_BUCKET: 'b'.repeat(63),
      TOPIC_ARN: `arn:aws-iso-f:sns:us-isof-south-1:123456789012:${'t'.repeat(256)}`,
    };
    const variables = Object.entries(resizeFunctionEnv(template))
      .map(([name, value]) => [name, typeof value === 'string' ? value : longest[name]]);
    return Buffer.byteLength(JSON.stringify(Object.fromEntries(variables)));
  };
  const inIsoF = (configure: (stack: Stack) => ImageResizePipelineProps) => {
    const app = new App({ context: { '@aws-cdk/core:enablePartitionLiterals': true } });
    const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-isof-south-1' } });
    new ImageResizePipeline(stack, 'Images', configure(stack));
    return Template.fromStack(stack);
  };
  /** 29 sizes with 64-character names, then one named with `length` characters whose width is `width` or, if absent, 1. */
  const lastNamed = (length: number, width: number = 1) => [...longNamedSizes(29), { name: 'y'.repeat(length), width }];
  /** The length of the last name for which the environment takes exactly 4096 bytes. */
  const fittingLength = () => 4096 - environmentJsonBytes(inIsoF(() => ({ sizes: lastNamed(1) }))) + 1;

  test('the most sizes that pass fit in 4 KB as Lambda measures it, with every variable the function gets', () => {
    expect(environmentJsonBytes(inIsoF(() => ({ sizes: longNamedSizes(29) })))).toBeLessThanOrEqual(4096);
    expect(() => inIsoF(() => ({ sizes: longNamedSizes(30) }))).toThrow(/sizes: every size goes into the resize function's environment/);
  });

  test('the check measures the environment the template gives the function, to the byte', () => {
    const fitting = fittingLength();

    expect(environmentJsonBytes(inIsoF(() => ({ sizes: lastNamed(fitting) })))).toBe(4096);
    expect(() => inIsoF(() => ({ sizes: lastNamed(fitting + 1) }))).toThrow(/which could take 4097 bytes/);
  });

  test('a resized bucket you bring, named at synth, is measured at its name\'s length rather than the longest', () => {
    // A name 13 characters shorter than the 63 a bucket the pipeline creates may be given at deploy.
    const fitting = fittingLength();
    const withBucket = (resizedBucket: (stack: Stack) => s3.IBucket | undefined, length: number) =>
      () => inIsoF((stack) => ({ sizes: lastNamed(length), resizedBucket: resizedBucket(stack) }));
    const named = (stack: Stack) => s3.Bucket.fromBucketName(stack, 'Resized', 'r'.repeat(50));

    expect(withBucket(named, fitting + 13)).not.toThrow();
    expect(withBucket(named, fitting + 14)).toThrow(/which could take 4097 bytes/);
    expect(withBucket(() => undefined, fitting + 1)).toThrow(/which could take 4097 bytes/);
  });

  test('a dimension known only at deploy time is measured as the largest allowed', () => {
    const fitting = fittingLength();

    expect(() => inIsoF((stack) => ({ sizes: lastNamed(fitting, new CfnParameter(stack, 'Width', { type: 'Number' }).valueAsNumber) })))
      .toThrow(/which could take 4100 bytes/);
  });

  test('a quality known only at deploy time is measured as 100, the longest it can be', () => {
    const fitting = fittingLength();

    expect(() => inIsoF((stack) => ({ sizes: lastNamed(fitting), quality: new CfnParameter(stack, 'Quality', { type: 'Number' }).valueAsNumber })))
      .toThrow(/which could take 4097 bytes/);
  });

  test('durations that are not whole seconds are reported with every other problem, not thrown on their own', () => {
    expect(() => synth({ timeout: Duration.millis(1500), linkExpiry: Duration.millis(500), quality: 0 }))
      .toThrow(/Invalid ImageResizePipeline props at Test\/Images:\n {2}- quality: .*\n {2}- timeout: must be a whole number of seconds, got 1.5 seconds\n {2}- linkExpiry: must be a whole number of seconds, got 0.5 seconds/);
  });

  test('sizes of the wrong types are reported with every other problem, not thrown on their own', () => {
    expect(() => synth(untyped({ sizes: [null, { width: 10 }], quality: 0 })))
      .toThrow(/Invalid ImageResizePipeline props at Test\/Images:\n {2}- sizes\[0\]: must be an object.*\n {2}- sizes\[1\]\.name: must be a string.*\n {2}- quality: /);
    expect(() => synth(untyped({ sizes: 'thumbnail', quality: 0 })))
      .toThrow(/Invalid ImageResizePipeline props at Test\/Images:\n {2}- sizes: must be an array of sizes, got "thumbnail"\n {2}- quality: /);
  });

  test('every problem is reported at once, naming the construct', () => {
    expect(() => synth({ sizes: [{ name: 'bad name' }], quality: 0, batchSize: 0 }))
      .toThrow(/Invalid ImageResizePipeline props at Test\/Images:\n {2}- sizes\[0\]\.name: .*\n {2}- sizes\[0\]: .*\n {2}- quality: .*\n {2}- batchSize: /);
  });
});

describe('least privilege', () => {
  const { template } = synth();

  test('the resize function reads uploads, writes the resized bucket, publishes to the topic and consumes its queue', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ResizeFunctionRole') }] },
    })).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const objectsOf = (bucket: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp(bucket), 'Arn'] }, '/*']] });

    expect(statements).toHaveLength(6);
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/ResizeFunctionLogs/), 'Arn'] } },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/Topic/) } },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/UploadBucket/), 'Arn'] }, { 'Fn::GetAtt': [expect.stringMatching(/ResizedBucket/), 'Arn'] }],
      },
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/ImagesQueue/), 'Arn'] },
      },
    ]));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 's3:GetObject', Resource: objectsOf('UploadBucket') }]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: objectsOf('ResizedBucket') }]),
      },
    });
  });

  test('the function uses its own role, with no AWS managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
      Description: Match.stringLikeRegexp('Resize function'),
    });
  });

  test('the reasons given for acknowledged findings do not call buckets and keys you bring the pipeline\'s own', () => {
    const { pipeline } = synth({}, (stack) => ({
      uploadBucket: s3.Bucket.fromBucketAttributes(stack, 'Photos', { bucketName: 'my-photos', encryptionKey: kms.Key.fromKeyArn(stack, 'PhotosKey', 'arn:aws:kms:us-east-1:111111111111:key/photos') }),
      resizedBucket: s3.Bucket.fromBucketAttributes(stack, 'Thumbs', { bucketName: 'my-thumbnails', encryptionKey: kms.Key.fromKeyArn(stack, 'ThumbsKey', 'arn:aws:kms:us-east-1:111111111111:key/thumbs') }),
    }));
    const reasons = pipeline.node.findAll().flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.values(entry.data as Record<string, string>));

    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.filter((reason) => /pipeline's own/.test(reason))).toEqual([]);
  });

  test('no policy grants an S3, SNS or SQS action on every resource', () => {
    const broad = Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([id, policy]) =>
      (policy.Properties.PolicyDocument.Statement as any[])
        .filter((statement) => [statement.Action].flat().some((action: string) => /^(s3|sns|sqs):/.test(action)))
        .filter((statement) => [statement.Resource].flat().includes('*'))
        .map((statement) => `${id}: ${JSON.stringify(statement.Action)}`));
    expect(broad).toEqual([]);
  });
});
