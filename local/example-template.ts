/**
 * The local pipeline takes every name and setting from the example stack's synthesized CloudFormation template,
 * never from a second copy of the configuration, so what runs here cannot drift from what deploys. Resources are
 * found by how they are wired together (the event source mapping names the function and the queue, the queue's
 * redrive policy names the dead-letter queue, ...), not by logical IDs that change with the construct tree.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ImageResizePipelineProps } from '../src';
import { ENV } from '../src/handler/config';
import { EXAMPLE_STACK_NAME, ExampleStack } from '../test/example-stack';

/** A CloudFormation property value as it appears in the template: literals, `Ref`, `Fn::GetAtt`, `Fn::Join`. */
export type CfnValue = unknown;

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

export interface Template {
  readonly Resources: Record<string, CfnResource>;
}

export interface QueueDefinition {
  readonly logicalId: string;
  readonly visibilityTimeoutSeconds?: number;
  readonly messageRetentionPeriodSeconds?: number;
}

export interface ApiRoute {
  /** e.g. `/upload-image/{bucket}/{filename}` */
  readonly path: string;
  readonly httpMethod: string;
  /** Integration request path parameter -> method request path parameter, e.g. `key` -> `filename`. */
  readonly pathParameters: Record<string, string>;
  /** The integration's request parameters as they are, e.g. a header mapped from a context variable. */
  readonly requestParameters: Record<string, string>;
  /** Headers the method request requires; API Gateway's validator answers 400 without them. */
  readonly requiredHeaders: string[];
  /** The `application/json` request mapping template, its references left as text. */
  readonly requestTemplate?: string;
  /** Integration responses, in template order, each with its `application/json` template. */
  readonly responses: IntegrationResponse[];
  /** The route's CORS preflight: the `OPTIONS` method of its resource, a mock integration with one response. */
  readonly preflight?: IntegrationResponse;
}

export interface CallerScope {
  /** The API Gateway context variable that names the caller, e.g. `context.identity.userArn`. */
  readonly callerVariable: string;
  /** The upload's object metadata (`x-amz-meta-NAME`) that records the caller, and the message attribute it becomes. */
  readonly attribute: string;
  /** Whether the subscribe route gives each subscription a filter policy on that attribute. */
  readonly subscriptionsFiltered: boolean;
}

export interface IntegrationResponse {
  readonly statusCode: string;
  /** Matched against the AWS service's HTTP status code; the response without one is the default. */
  readonly selectionPattern?: string;
  readonly template: string;
  /** `method.response.header.NAME` -> its mapping expression, as the template has it (`'value'` for a fixed one). */
  readonly responseParameters: Record<string, string>;
}

export interface GatewayResponse {
  readonly statusCode?: string;
  readonly template: string;
  /** `gatewayresponse.header.NAME` -> its mapping expression, as the template has it. */
  readonly responseParameters: Record<string, string>;
}

export type LambdaArchitecture = 'arm64' | 'x86_64';

export interface FunctionDefinition {
  readonly logicalId: string;
  readonly handler: string;
  /** Lambda's runtime identifier, such as `nodejs24.x`. */
  readonly runtime: string;
  /** The processor it runs on, as Lambda names it. */
  readonly architecture: LambdaArchitecture;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly environment: Record<string, CfnValue>;
  readonly logFormat?: string;
}

export interface PipelineDefinition {
  readonly uploadBucketId: string;
  readonly resizedBucketId: string;
  readonly topicId: string;
  readonly queue: QueueDefinition & { readonly maxReceiveCount: number };
  readonly deadLetterQueue: QueueDefinition;
  /** The upload bucket's queue notifications (created, removed): event names and key filter as S3's API takes them. */
  readonly notifications: Array<{ readonly events: string[]; readonly filter?: Record<string, unknown> }>;
  /** The resize function. */
  readonly function: FunctionDefinition;
  /** The function behind `POST /upload-url`. */
  readonly uploadUrlFunction: FunctionDefinition;
  readonly eventSource: {
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly reportBatchItemFailures: boolean;
  };
  readonly api: {
    readonly upload: ApiRoute;
    readonly subscribe: ApiRoute;
    /** A Lambda proxy integration with {@link PipelineDefinition.uploadUrlFunction}. */
    readonly uploadUrl: ApiRoute;
    /** Present when notifications are private: each upload records its caller, each subscription filters on it. */
    readonly callerScope?: CallerScope;
    /** The content types whose bodies API Gateway passes as bytes, so a Lambda proxy integration gets them base64-encoded. */
    readonly binaryMediaTypes: string[];
    /** Gateway responses by type (`REQUEST_TOO_LARGE`, `BAD_REQUEST_BODY`, `DEFAULT_4XX`, ...) the API overrides. */
    readonly gatewayResponses: Record<string, GatewayResponse>;
  };
}

/**
 * Synthesizes the example stack in this process, as `cdk synth` would but without copying assets (the local
 * runner uses the built bundle and layers where they are), and returns its template.
 *
 * @param pipelineProps passed to the example's pipeline, to run a variant of it (another output format, ...)
 */
export function synthesizeExampleTemplate(pipelineProps?: ImageResizePipelineProps): Template {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'image-resize-synth-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:disable-asset-staging': true } });
    new ExampleStack(app, EXAMPLE_STACK_NAME, { pipeline: pipelineProps });
    return app.synth().getStackByName(EXAMPLE_STACK_NAME).template as Template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function readPipelineDefinition(template: Template): PipelineDefinition {
  const resources = template.Resources;
  const [mappingId, mapping] = single(resources, 'AWS::Lambda::EventSourceMapping');
  const functionId = refTarget(mapping.FunctionName, `${mappingId}.FunctionName`);
  const queueId = refTarget(mapping.EventSourceArn, `${mappingId}.EventSourceArn`);
  const fn = propertiesOf(resources, functionId, 'AWS::Lambda::Function');
  const queue = propertiesOf(resources, queueId, 'AWS::SQS::Queue');
  const redrive = queue.RedrivePolicy ?? fail(`queue ${queueId} has no RedrivePolicy`);
  const deadLetterQueueId = refTarget(redrive.deadLetterTargetArn, `${queueId}.RedrivePolicy.deadLetterTargetArn`);
  const deadLetterQueue = propertiesOf(resources, deadLetterQueueId, 'AWS::SQS::Queue');

  const [notificationsId, notifications] = single(resources, 'Custom::S3BucketNotifications');
  const uploadBucketId = refTarget(notifications.BucketName, `${notificationsId}.BucketName`);
  const queueConfigurations = (notifications.NotificationConfiguration?.QueueConfigurations ?? [])
    .filter((c: any) => refTarget(c.QueueArn, `${notificationsId}.QueueArn`) === queueId);
  if (queueConfigurations.length === 0) {
    fail(`the upload bucket's notifications do not target queue ${queueId}`);
  }

  const environment: Record<string, CfnValue> = fn.Environment?.Variables ?? {};
  const { uploadUrlFunctionId, ...api } = readApi(resources);
  return {
    uploadBucketId,
    resizedBucketId: refTarget(environment[ENV.resizedBucket], `${functionId} environment ${ENV.resizedBucket}`),
    topicId: refTarget(environment[ENV.topicArn], `${functionId} environment ${ENV.topicArn}`),
    queue: {
      logicalId: queueId,
      visibilityTimeoutSeconds: queue.VisibilityTimeout,
      messageRetentionPeriodSeconds: queue.MessageRetentionPeriod,
      maxReceiveCount: redrive.maxReceiveCount ?? fail(`queue ${queueId} has no maxReceiveCount`),
    },
    deadLetterQueue: {
      logicalId: deadLetterQueueId,
      visibilityTimeoutSeconds: deadLetterQueue.VisibilityTimeout,
      messageRetentionPeriodSeconds: deadLetterQueue.MessageRetentionPeriod,
    },
    notifications: queueConfigurations.map((c: any) => ({ events: c.Events, filter: c.Filter })),
    function: functionDefinition(functionId, fn),
    uploadUrlFunction: functionDefinition(uploadUrlFunctionId, propertiesOf(resources, uploadUrlFunctionId, 'AWS::Lambda::Function')),
    eventSource: {
      // Lambda's documented defaults for an SQS event source.
      batchSize: mapping.BatchSize ?? 10,
      maxBatchingWindowSeconds: mapping.MaximumBatchingWindowInSeconds ?? 0,
      maxConcurrency: mapping.ScalingConfig?.MaximumConcurrency ?? fail(`${mappingId} has no ScalingConfig.MaximumConcurrency`),
      reportBatchItemFailures: (mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    },
    api,
  };
}

function functionDefinition(logicalId: string, fn: Record<string, any>): FunctionDefinition {
  return {
    logicalId,
    handler: fn.Handler ?? fail(`function ${logicalId} has no Handler`),
    runtime: fn.Runtime ?? fail(`function ${logicalId} has no Runtime`),
    architecture: functionArchitecture(logicalId, fn.Architectures),
    // CloudFormation's own defaults when the properties are absent.
    timeoutSeconds: fn.Timeout ?? 3,
    memorySize: fn.MemorySize ?? 128,
    environment: fn.Environment?.Variables ?? {},
    logFormat: fn.LoggingConfig?.LogFormat,
  };
}

/** Lambda takes one architecture a function, x86_64 when none is named. */
function functionArchitecture(logicalId: string, architectures: unknown): LambdaArchitecture {
  const [architecture = 'x86_64', ...others] = (architectures ?? []) as unknown[];
  if (others.length > 0 || (architecture !== 'arm64' && architecture !== 'x86_64')) {
    fail(`function ${logicalId} has Architectures ${JSON.stringify(architectures)}; Lambda takes one of arm64 and x86_64`);
  }
  return architecture as LambdaArchitecture;
}

/** S3-safe (and so SQS- and SNS-safe) names: the logical ID lowercased, plus a suffix when several pipelines share one emulator. */
export function localName(logicalId: string, suffix = ''): string {
  const name = `${logicalId}${suffix}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (name.length < 3 || name.length > 63) {
    throw new Error(`local name "${name}" (from ${logicalId}) must be 3 to 63 characters`);
  }
  return name;
}

export interface LocalIdentities {
  readonly region: string;
  readonly accountId: string;
  /** What `Ref` and `Fn::GetAtt ... Arn` of each logical ID stand for locally. */
  readonly refs: Record<string, { readonly ref: string; readonly arn: string }>;
}

/** Replaces `Ref`, `Fn::GetAtt` and `Fn::Join` with local values; anything else cannot run locally and throws. */
export function resolveValue(value: CfnValue, ids: LocalIdentities, where: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  const v = value as Record<string, any>;
  if (typeof v?.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Region': ids.region,
      'AWS::AccountId': ids.accountId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': EXAMPLE_STACK_NAME,
    };
    return pseudo[v.Ref] ?? ids.refs[v.Ref]?.ref ?? fail(`${where}: no local value for Ref ${v.Ref}`);
  }
  if (Array.isArray(v?.['Fn::GetAtt']) && v['Fn::GetAtt'][1] === 'Arn') {
    return ids.refs[v['Fn::GetAtt'][0]]?.arn ?? fail(`${where}: no local ARN for ${v['Fn::GetAtt'][0]}`);
  }
  if (Array.isArray(v?.['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, CfnValue[]];
    return parts.map((part) => resolveValue(part, ids, where)).join(separator);
  }
  return fail(`${where}: cannot resolve ${JSON.stringify(value)} locally`);
}

function readApi(resources: Record<string, CfnResource>): PipelineDefinition['api'] & { readonly uploadUrlFunctionId: string } {
  const methods = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method').map((r) => r.Properties!);
  const methodFor = (service: string, httpMethod: string) =>
    methods.find((m) => m.HttpMethod === httpMethod && JSON.stringify(m.Integration?.Uri ?? '').includes(`:${service}:path/`))
      ?? fail(`the API has no ${httpMethod} method integrated with ${service}`);
  const route = (service: string, httpMethod: string): ApiRoute => {
    const method = methodFor(service, httpMethod);
    const pathParameters: Record<string, string> = {};
    for (const [target, source] of Object.entries<string>(method.Integration.RequestParameters ?? {})) {
      const integrationParam = /^integration\.request\.path\.(.+)$/.exec(target);
      const methodParam = /^method\.request\.path\.(.+)$/.exec(source);
      if (integrationParam && methodParam) {
        pathParameters[integrationParam[1]] = methodParam[1];
      }
    }
    const responses = integrationResponses(method);
    const requestTemplate = method.Integration.RequestTemplates?.['application/json'];
    const preflight = methods.find((m) => m.HttpMethod === 'OPTIONS' && JSON.stringify(m.ResourceId) === JSON.stringify(method.ResourceId));
    const preflightResponses = preflight === undefined ? [] : integrationResponses(preflight);
    if (preflight !== undefined && (preflight.Integration?.Type !== 'MOCK' || preflightResponses.length !== 1)) {
      fail(`the OPTIONS method of ${resourcePath(resources, method.ResourceId)} is not a mock integration with one response`);
    }
    return {
      preflight: preflightResponses[0],
      path: resourcePath(resources, method.ResourceId),
      httpMethod,
      pathParameters,
      requestParameters: method.Integration.RequestParameters ?? {},
      requiredHeaders: Object.entries<boolean>(method.RequestParameters ?? {})
        .filter(([name, required]) => required && name.startsWith('method.request.header.'))
        .map(([name]) => name.slice('method.request.header.'.length)),
      requestTemplate: requestTemplate === undefined ? undefined : templateText(requestTemplate),
      responses,
    };
  };

  const gatewayResponses: PipelineDefinition['api']['gatewayResponses'] = {};
  for (const r of Object.values(resources).filter((res) => res.Type === 'AWS::ApiGateway::GatewayResponse')) {
    const p = r.Properties!;
    gatewayResponses[p.ResponseType] = {
      statusCode: p.StatusCode,
      template: p.ResponseTemplates?.['application/json'] ?? '',
      responseParameters: p.ResponseParameters ?? {},
    };
  }
  const upload = route('s3', 'PUT');
  const subscribe = route('sns', 'POST');
  const uploadUrl = route('lambda', 'POST');
  // The proxy integration's URI joins `...:lambda:path/2015-03-31/functions/`, the function's ARN and `/invocations`.
  const uri = methodFor('lambda', 'POST').Integration.Uri as CfnValue;
  const uploadUrlFunctionId = ((uri as Record<string, any>)?.['Fn::Join']?.[1] as CfnValue[] ?? [])
    .map((part) => (part as Record<string, any>)?.['Fn::GetAtt']?.[0])
    .find((id): id is string => typeof id === 'string')
    ?? fail(`the POST ${uploadUrl.path} integration names no function: ${JSON.stringify(uri)}`);
  const [, restApi] = single(resources, 'AWS::ApiGateway::RestApi');
  const binaryMediaTypes: string[] = restApi.BinaryMediaTypes ?? [];
  return { upload, subscribe, uploadUrl, uploadUrlFunctionId, callerScope: callerScope(upload, subscribe), binaryMediaTypes, gatewayResponses };
}

function integrationResponses(method: Record<string, any>): IntegrationResponse[] {
  return (method.Integration.IntegrationResponses ?? []).map((response: any): IntegrationResponse => ({
    statusCode: response.StatusCode,
    selectionPattern: response.SelectionPattern,
    template: response.ResponseTemplates?.['application/json'] ?? '',
    responseParameters: response.ResponseParameters ?? {},
  }));
}

function callerScope(upload: ApiRoute, subscribe: ApiRoute): CallerScope | undefined {
  for (const [target, source] of Object.entries(upload.requestParameters)) {
    const metadata = /^integration\.request\.header\.x-amz-meta-(.+)$/i.exec(target);
    if (metadata && source.startsWith('context.')) {
      const template = subscribe.requestTemplate ?? '';
      return {
        callerVariable: source,
        attribute: metadata[1].toLowerCase(),
        subscriptionsFiltered: template.includes('FilterPolicy') && template.includes(`$${source}`),
      };
    }
  }
  return undefined;
}

/** A template's literal text, with the references inside an `Fn::Join` left out. */
function templateText(value: CfnValue): string {
  const join = (value as Record<string, any>)?.['Fn::Join'];
  return Array.isArray(join) ? (join[1] as CfnValue[]).filter((part) => typeof part === 'string').join(join[0]) : String(value);
}

/** Walks `ParentId` up to the API's root, whose ID is a `Fn::GetAtt ... RootResourceId`. */
function resourcePath(resources: Record<string, CfnResource>, resourceId: CfnValue): string {
  const ref = (resourceId as { Ref?: string }).Ref;
  if (ref === undefined) {
    return '';
  }
  const resource = propertiesOf(resources, ref, 'AWS::ApiGateway::Resource');
  return `${resourcePath(resources, resource.ParentId)}/${resource.PathPart}`;
}

function single(resources: Record<string, CfnResource>, type: string): [string, Record<string, any>] {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) {
    fail(`expected one ${type} in the example template, found ${found.length}`);
  }
  return [found[0][0], found[0][1].Properties ?? {}];
}

function propertiesOf(resources: Record<string, CfnResource>, logicalId: string, type: string): Record<string, any> {
  const resource = resources[logicalId];
  if (resource?.Type !== type) {
    fail(`${logicalId} is not a ${type} in the example template`);
  }
  return resource.Properties ?? {};
}

/** The logical ID a `Ref` or `Fn::GetAtt` points at. */
function refTarget(value: CfnValue, where: string): string {
  const v = value as Record<string, any> | undefined;
  if (typeof v?.Ref === 'string') {
    return v.Ref;
  }
  if (Array.isArray(v?.['Fn::GetAtt'])) {
    return v['Fn::GetAtt'][0];
  }
  return fail(`${where} is not a reference: ${JSON.stringify(value)}`);
}

function fail(message: string): never {
  throw new Error(`example template: ${message}`);
}
