import { Aspects, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { ApiAuthorization } from './api-authorization';
import { ApiCors } from './cors';
import { acknowledge, acknowledgeWildcardResources } from '../acknowledge';
import { EMAIL_PATTERN, ENDPOINT_PATTERN, MAX_EMAIL_LENGTH } from './subscribe-request';
import { UPLOADER_ATTRIBUTE } from '../handler/config';
import { FILENAME_PATTERN, UPLOADABLE_CONTENT_TYPES } from '../upload-url/upload-request';

/**
 * Content types API Gateway passes through as raw bytes. A plain `curl --data-binary @photo.jpg` sends
 * `application/x-www-form-urlencoded`, which would otherwise be read as text and mangled. `application/json`
 * stays text, so the subscribe route's mapping template and model still apply.
 */
export const BINARY_MEDIA_TYPES = ['image/*', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/** What every body that fails its route's model is told. */
export const BAD_BODY_MESSAGE = 'Invalid request body: POST /subscribe takes {"email": "..."} or {"endpoint": "https://..."}, '
  + 'POST /upload-url takes {"filename": "...", "contentType": "image/jpeg"}, as JSON with no other fields.';

/** API Gateway's own hard limit on a request body; above it the gateway answers 413 before any integration. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** A VTL expression that writes `expression` as the inside of a JSON string. */
function jsonString(expression: string): string {
  return `$util.escapeJavaScript(${expression}).replaceAll("\\\\'", "'")`;
}

const jsonMessage = (message: string) => ({ 'application/json': JSON.stringify({ message }) });

/**
 * SNS delivers nothing to a subscription until it is confirmed, and the caller is the one who has to confirm it,
 * by a step that differs with the protocol.
 */
const SUBSCRIBED_MESSAGE = 'Subscribed. SNS sends nothing until the subscription is confirmed: email addresses get a '
  + 'message with a link to follow, http(s) endpoints a SubscriptionConfirmation request whose SubscribeURL they must fetch.';

/**
 * Every subscription the API makes under private notifications has a filter policy, and SNS allows a topic 200 of
 * them and an account 10,000 by default; past that only the operator, through Service Quotas, can let anyone in.
 */
const FILTER_POLICY_QUOTA_MESSAGE = 'SNS refused the subscription: every subscription made here has a filter policy, and the '
  + 'topic has reached SNS\'s quota of them (200 a topic and 10,000 an account by default). The pipeline\'s operator can raise it in Service Quotas.';

/**
 * Integration responses for an AWS service integration, whose selection patterns are matched against the service's
 * HTTP status code. Every pattern is disjoint from the others, because API Gateway keeps integration responses by
 * status code, not in order, so which of two matching patterns wins is not defined. A response without a pattern
 * answers whatever no pattern matches; it must not be the success, or a redirect or any other unforeseen answer
 * would tell the caller it worked.
 */
function serviceResponses(success: apigw.IntegrationResponse, errors: apigw.IntegrationResponse[], unforeseen: string): apigw.IntegrationResponse[] {
  return [{ ...success, selectionPattern: '2\\d{2}' }, ...errors, { statusCode: '502', responseTemplates: jsonMessage(unforeseen) }];
}

/**
 * CDK's standard JSON fields, with what they lack to tell who uploaded which file and how it went: the path as
 * requested beside the route (`resourcePath` is `/upload-image/{bucket}/{filename}` for every upload), and what the
 * integration (S3, SNS or the upload-url function) and API Gateway itself answered. `caller` is the variable uploads
 * record as their uploader, in place of the standard `user` and `caller`, principal IDs only a SigV4-signed request
 * has; an API without authorization knows no caller, and its lines have none.
 */
function accessLogFormat(authorization: ApiAuthorization): apigw.AccessLogFormat {
  const field = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(JSON.stringify({
    requestId: field.contextRequestId(),
    ip: field.contextIdentitySourceIp(),
    ...(authorization.callerIdentity === undefined ? {} : { caller: `$${authorization.callerIdentity}` }),
    requestTime: field.contextRequestTime(),
    httpMethod: field.contextHttpMethod(),
    resourcePath: field.contextResourcePath(),
    path: field.contextPath(),
    status: field.contextStatus(),
    protocol: field.contextProtocol(),
    responseLength: field.contextResponseLength(),
    // Not field.contextIntegrationStatus(), `$context.integrationStatus`: that is Lambda's own status for a Lambda
    // proxy integration, where this is what S3, SNS or the function answered.
    integrationStatus: '$context.integration.status',
    integrationError: field.contextIntegrationErrorMessage(),
    error: field.contextErrorMessage(),
    errorType: field.contextErrorResponseType(),
  }));
}

/**
 * The role API Gateway writes execution logs with is a setting of the account and region (AWS::ApiGateway::Account),
 * not of an API, and CDK's API Gateway README advises a single such resource per environment: one per pipeline would
 * only overwrite one another. So the pipelines of a stack share one, made as CDK's `cloudWatchRole` makes its own, by
 * the first that wants it, under a fixed id on the stack so that its logical IDs stay whichever pipeline that is.
 */
class ApiGatewayLogging extends Construct {
  /** Makes the stack's one with `api`, unless it has one. */
  public static ensure(api: apigw.RestApi): void {
    const stack = Stack.of(api);
    if (stack.node.tryFindChild(ApiGatewayLogging.ID) === undefined) {
      new ApiGatewayLogging(stack, api);
    }
  }

  /**
   * The stack's account setting, if a pipeline made one. Found by construct id, not by class: an app whose
   * dependencies hold two copies of this library has two classes for one construct.
   */
  public static accountOf(stack: Stack): IConstruct | undefined {
    return stack.node.tryFindChild(ApiGatewayLogging.ID)?.node.tryFindChild(ApiGatewayLogging.ACCOUNT_ID);
  }

  private static readonly ID = 'ImageResizePipelineApiGatewayLogging';
  private static readonly ACCOUNT_ID = 'Account';

  private constructor(stack: Stack, api: apigw.RestApi) {
    super(stack, ApiGatewayLogging.ID);
    // Retained, as CDK retains its own: while the account setting names the role, every REST API of the region
    // logs through it, whichever stack made them.
    const role = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'API Gateway\'s account-level logging role needs AmazonAPIGatewayPushToCloudWatchLogs, the policy AWS maintains for exactly this role.');
    const account = new apigw.CfnAccount(this, ApiGatewayLogging.ACCOUNT_ID, { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // CloudFormation's reference for AWS::ApiGateway::Account asks for a dependency on another API Gateway resource.
    account.node.addDependency(api.node.defaultChild!);
  }
}

export interface UploadApiProps {
  readonly uploadBucket: s3.IBucket;
  readonly topic: sns.ITopic;
  readonly authorization: ApiAuthorization;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly subscribeRateLimit: number;
  readonly subscribeBurstLimit: number;
  readonly accessLogRetention: logs.RetentionDays;
  /** The key the access logs are encrypted with; CloudWatch Logs' own encryption without it. */
  readonly accessLogKey?: kms.IKey;
  readonly cloudWatchRole: boolean;
  /** The key the upload bucket is encrypted with, if it is a customer-managed one. */
  readonly encryptionKey?: kms.IKey;
  /** Hands out presigned uploads for `POST /upload-url`. */
  readonly uploadUrlFunction: lambda.IFunction;
  /** Record each upload's caller and scope each subscription to that caller's uploads. */
  readonly privateNotifications: boolean;
  /** Web page origins that may call the API from a browser, checked by the pipeline's validation. */
  readonly allowedOrigins?: string[];
  /** Trace the stage's requests with X-Ray. */
  readonly tracing: boolean;
}


/**
 * `PUT /upload-image` and `POST /subscribe` as direct AWS service integrations: no Lambda sits between the caller
 * and S3 or SNS, so there is nothing to cold-start and nothing to patch. The integration role is what keeps each route to
 * its own bucket and topic.
 */
export class UploadApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly accessLogGroup: logs.LogGroup;
  private readonly validator: apigw.RequestValidator;
  private readonly authorization: ApiAuthorization;
  private readonly cors?: ApiCors;

  constructor(scope: Construct, id: string, props: UploadApiProps) {
    super(scope, id);
    this.cors = props.allowedOrigins ? new ApiCors(props.allowedOrigins) : undefined;

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention, encryptionKey: props.accessLogKey });

    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Image upload and notification subscription for an ImageResizePipeline',
      binaryMediaTypes: BINARY_MEDIA_TYPES,
      cloudWatchRole: false,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      deployOptions: {
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(props.authorization),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Left out rather than false, so that a pipeline without tracing keeps the stage it had.
        ...(props.tracing ? { tracingEnabled: true } : {}),
        methodOptions: {
          // Whether a method with settings of its own still takes the stage's logging is not documented, and
          // reports differ, so the route that has its own throttling states its logging too.
          '/subscribe/POST': {
            throttlingRateLimit: props.subscribeRateLimit,
            throttlingBurstLimit: props.subscribeBurstLimit,
            loggingLevel: apigw.MethodLoggingLevel.ERROR,
          },
        },
      },
    });

    // A type the API answers in words of its own no longer takes DEFAULT_4XX's headers, so each names them too.
    const gatewayResponseHeaders = this.cors?.gatewayResponseHeaders();
    this.api.addGatewayResponse('BodyTooLarge', {
      type: apigw.ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
      responseHeaders: gatewayResponseHeaders,
      templates: {
        'application/json': JSON.stringify({
          message: `The body is over API Gateway's ${API_GATEWAY_MAX_PAYLOAD_BYTES / 1024 / 1024} MB limit. `
            + 'Ask POST /upload-url with {"filename": "...", "contentType": "image/jpeg"} for a presigned upload straight to the bucket.',
        }),
      },
    });
    // API Gateway substitutes plain variables into a gateway response but runs no VTL, so the validator's own
    // message, which quotes the body's values without escaping them, cannot be made into a valid JSON string here.
    this.api.addGatewayResponse('BadBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: gatewayResponseHeaders,
      templates: jsonMessage(BAD_BODY_MESSAGE),
    });
    if (gatewayResponseHeaders) {
      // Only the headers: API Gateway keeps its own status codes and messages (403, 429, ...) for each type.
      this.api.addGatewayResponse('Default4xx', { type: apigw.ResponseType.DEFAULT_4XX, responseHeaders: gatewayResponseHeaders });
      this.api.addGatewayResponse('Default5xx', { type: apigw.ResponseType.DEFAULT_5XX, responseHeaders: gatewayResponseHeaders });
    }

    if (props.cloudWatchRole) {
      ApiGatewayLogging.ensure(this.api);
    }
    // A stage that logs is refused until the account setting names a role, so every pipeline's stage waits for the
    // stack's setting, whichever pipeline made it: also one built after this one, and also in a pipeline that made
    // none itself. Hence an aspect, which runs once the whole app is built.
    Aspects.of(this).add({
      visit: (node) => {
        const account = node === this ? ApiGatewayLogging.accountOf(Stack.of(this)) : undefined;
        if (account !== undefined) {
          this.api.deploymentStage.node.addDependency(account);
        }
      },
    });
    acknowledge(this.api.deploymentStage, 'AwsSolutions-APIG3',
      'A web ACL sets rules and a monthly cost that only the account owner can choose; the stage is throttled and authorized by default, and a WAFv2 ACL can be associated with api.deploymentStage.');

    this.validator = this.api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
    const methodOptions = { ...props.authorization.bind(this), requestValidator: this.validator };
    this.authorization = props.authorization;
    const caller = props.privateNotifications ? props.authorization.callerIdentity : undefined;
    this.addUploadRoute(props.uploadBucket, methodOptions, caller, props.encryptionKey);
    this.addSubscribeRoute(props.topic, methodOptions, caller);
    this.addUploadUrlRoute(props.uploadUrlFunction, methodOptions);
  }

  private addUploadRoute(bucket: s3.IBucket, methodOptions: apigw.MethodOptions, caller: string | undefined, key: kms.IKey | undefined) {
    const role = new iam.Role(this, 'UploadRole', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    // Only PutObject, only into this bucket: a PUT that names any other bucket is refused by S3 with 403.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }));
    // Each upload is a single PutObject: S3 needs only kms:GenerateDataKey on the bucket's key for it.
    key?.grant(role, 'kms:GenerateDataKey');
    acknowledgeWildcardResources(role, [bucket.arnForObjects('*')],
      'The route writes uploads under any key the caller names, so s3:PutObject covers the upload bucket\'s objects (bucket/*) and nothing else.');

    const integration = new apigw.AwsIntegration({
      service: 's3',
      integrationHttpMethod: 'PUT',
      path: '{bucket}/{key}',
      options: {
        credentialsRole: role,
        passthroughBehavior: apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
        requestParameters: {
          'integration.request.path.bucket': 'method.request.path.bucket',
          'integration.request.path.key': 'method.request.path.filename',
          'integration.request.header.Content-Type': 'method.request.header.Content-Type',
          ...(caller ? { [`integration.request.header.x-amz-meta-${UPLOADER_ATTRIBUTE}`]: caller } : {}),
        },
        integrationResponses: this.withCors(serviceResponses(
          {
            statusCode: '200',
            responseTemplates: {
              // escapeJavaScript also turns ' into \', which is not valid JSON; the replace undoes just that.
              'application/json': `{"bucket": "${jsonString('$input.params(\'bucket\')')}", "key": "${jsonString('$input.params(\'filename\')')}"}`,
            },
          },
          [
            // A bucket the role may not write to (403), one that does not exist (404 NoSuchBucket) and one in another
            // region (301 PermanentRedirect) are all some other bucket than the pipeline's.
            { statusCode: '403', selectionPattern: '3\\d{2}|403|404', responseTemplates: jsonMessage('Uploads may only go to this pipeline\'s upload bucket') },
            { statusCode: '400', selectionPattern: '40[0-25-9]|4[1-9]\\d', responseTemplates: jsonMessage('The upload was refused by S3') },
          ],
          'S3 failed to store the upload; try again')),
      },
    });

    const resource = this.api.root.addResource('upload-image').addResource('{bucket}').addResource('{filename}');
    const method = resource.addMethod('PUT', integration, {
      ...methodOptions,
      requestParameters: {
        'method.request.path.bucket': true,
        'method.request.path.filename': true,
        // Without one API Gateway reads the body as JSON text and stores it re-encoded as UTF-8, which breaks
        // any image; a required header makes the validator refuse such a request instead.
        'method.request.header.Content-Type': true,
      },
      methodResponses: ['200', '400', '403', '502'].map((statusCode) => this.methodResponse(statusCode)),
    });
    this.authorization.acknowledgeFindings(method);
    this.cors?.addPreflight(resource, 'PUT');
  }

  private addSubscribeRoute(topic: sns.ITopic, methodOptions: apigw.MethodOptions, caller: string | undefined) {
    const role = new iam.Role(this, 'SubscribeRole', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:Subscribe'], resources: [topic.topicArn] }));

    const model = this.api.addModel('SubscribeRequest', {
      contentType: 'application/json',
      modelName: 'SubscribeRequest',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        title: 'SubscribeRequest',
        type: apigw.JsonSchemaType.OBJECT,
        additionalProperties: false,
        properties: {
          email: { type: apigw.JsonSchemaType.STRING, pattern: EMAIL_PATTERN, maxLength: MAX_EMAIL_LENGTH },
          endpoint: { type: apigw.JsonSchemaType.STRING, pattern: ENDPOINT_PATTERN },
        },
        oneOf: [{ required: ['email'] }, { required: ['endpoint'] }],
      },
    });

    // The protocol follows from the validated body, so no caller can choose sqs, lambda or sms. The pieces are
    // joined without newlines: any character outside a directive would become part of the form body.
    const subscribeForm = [
      '#set($email = $input.path(\'$.email\'))',
      '#set($endpoint = $input.path(\'$.endpoint\'))',
      `Action=Subscribe&TopicArn=$util.urlEncode('${topic.topicArn}')`,
      '#if("$!email" != "")&Protocol=email&Endpoint=$util.urlEncode($email)',
      '#elseif($endpoint.startsWith("https://"))&Protocol=https&Endpoint=$util.urlEncode($endpoint)',
      '#else&Protocol=http&Endpoint=$util.urlEncode($endpoint)#end',
      // Velocity has no escape for a double quote inside a string, so the JSON's quotes come from $q.
      ...(caller ? [
        '#set($q = \'"\')',
        `#set($filter = "{\${q}${UPLOADER_ATTRIBUTE}\${q}:[\${q}$${caller}\${q}]}")`,
        '&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=$util.urlEncode($filter)',
      ] : []),
    ].join('');

    const integration = new apigw.AwsIntegration({
      service: 'sns',
      integrationHttpMethod: 'POST',
      path: '/',
      options: {
        credentialsRole: role,
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestParameters: { 'integration.request.header.Content-Type': '\'application/x-www-form-urlencoded\'' },
        requestTemplates: { 'application/json': subscribeForm },
        integrationResponses: this.withCors(serviceResponses(
          { statusCode: '200', responseTemplates: jsonMessage(SUBSCRIBED_MESSAGE) },
          caller ? [
            // SNS's FilterPolicyLimitExceeded. SNS's AuthorizationError is a 403 too, but the role is granted
            // sns:Subscribe, so only a deny of the operator's own (an SCP, a topic policy) gives it: theirs to fix as well.
            { statusCode: '503', selectionPattern: '403', responseTemplates: jsonMessage(FILTER_POLICY_QUOTA_MESSAGE) },
            { statusCode: '400', selectionPattern: '40[0-24-9]|4[1-9]\\d', responseTemplates: jsonMessage('SNS refused the subscription') },
          ] : [
            { statusCode: '400', selectionPattern: '4\\d{2}', responseTemplates: jsonMessage('SNS refused the subscription') },
          ],
          'SNS failed; try again')),
      },
    });

    const resource = this.api.root.addResource('subscribe');
    const method = resource.addMethod('POST', integration, {
      ...methodOptions,
      requestModels: { 'application/json': model },
      methodResponses: ['200', '400', ...(caller ? ['503'] : []), '502'].map((statusCode) => this.methodResponse(statusCode)),
    });
    this.authorization.acknowledgeFindings(method);
    this.cors?.addPreflight(resource, 'POST');
  }

  private addUploadUrlRoute(fn: lambda.IFunction, methodOptions: apigw.MethodOptions) {
    const model = this.api.addModel('UploadUrlRequest', {
      contentType: 'application/json',
      modelName: 'UploadUrlRequest',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        title: 'UploadUrlRequest',
        type: apigw.JsonSchemaType.OBJECT,
        additionalProperties: false,
        required: ['filename', 'contentType'],
        properties: {
          // 1,024 characters bound the name before the function counts its UTF-8 bytes, which a schema cannot.
          filename: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 1024, pattern: FILENAME_PATTERN },
          contentType: { type: apigw.JsonSchemaType.STRING, enum: UPLOADABLE_CONTENT_TYPES },
        },
      },
    });
    // A Lambda proxy integration passes the function's headers through: the function names the origin itself.
    const resource = this.api.root.addResource('upload-url');
    const method = resource.addMethod('POST', new apigw.LambdaIntegration(fn), {
      ...methodOptions,
      requestModels: { 'application/json': model },
    });
    this.authorization.acknowledgeFindings(method);
    this.cors?.addPreflight(resource, 'POST');
  }

  private withCors(responses: apigw.IntegrationResponse[]): apigw.IntegrationResponse[] {
    return this.cors ? responses.map((response) => this.cors!.integrationResponse(response)) : responses;
  }

  private methodResponse(statusCode: string): apigw.MethodResponse {
    return this.cors?.methodResponse(statusCode) ?? { statusCode };
  }
}
