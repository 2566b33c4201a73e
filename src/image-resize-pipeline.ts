import { Annotations, ArnFormat, Aws, Duration, Fn, Names, Reference, RemovalPolicy, Resource, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeGenerateDataKeyPrefix, acknowledgeOlderRuntime, acknowledgeWildcardResources } from './acknowledge';
import { Animation } from './animation';
import { ApiAuthorization } from './api/api-authorization';
import { uploadBucketCorsRule } from './api/cors';
import { UploadApi } from './api/upload-api';
import { PipelineEncryption } from './encryption';
import { LOG_MESSAGES, SizeSpec } from './handler/config';
import { pixelCount } from './handler/pixel-count';
import { DEFAULT_SIZES, ImageFit, ImageSize, OutputFormat } from './image-size';
import { NotificationScope } from './notification-scope';
import { PipelineAlarmOptions } from './pipeline-alarms';
import { S3QueueDestination } from './queue-destination';
import { renderIntrinsics } from './render-reference';
import { largestEnvironmentBytes, MAX_ENVIRONMENT_BYTES, MAX_LINK_EXPIRY, resizeEnvironment } from './resize-environment';
import { ResizeFunction } from './resize-function';
import { SharpLayer } from './sharp-layer';
import { UPLOAD_URL_ENV } from './upload-url/config';
import { UploadUrlFunction } from './upload-url/upload-url-function';
import { PropsProblems } from './validate-props';


/**
 * How long the upload queue keeps an event (SQS's default, stated here because the upload-age alarm and the most
 * receives that fit before the dead-letter queue depend on it).
 * The dead-letter queue keeps its messages longer, 14 days: SQS counts a moved message's age from when it was first
 * sent, so a dead-letter queue no longer than this could drop an event as soon as it arrived.
 */
const QUEUE_RETENTION = Duration.days(4);

/** Where the counts of resized and rejected uploads are published. */
const METRIC_NAMESPACE = 'ImageResizePipeline';

/** AWS's advice for an SQS event source: a visibility timeout of six times the function's timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;
/** SQS's own ceiling on a visibility timeout. */
const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
/** The runtime projen generates ResizeFunction for (`lambdaOptions` in .projenrc.ts); a layer that names runtimes must name it. */
const RESIZE_RUNTIME = lambda.Runtime.NODEJS_24_X.name;

/**
 * How an ImageResizePipeline is set up. Every prop is optional: the defaults are safe for production. Every
 * duration must be a whole number of seconds, which is what the template and the functions' settings take.
 */
export interface ImageResizePipelineProps {
  /**
   * The sizes made from every upload, each written to `{name}/{original key}` in the resized bucket.
   * They all travel in the resize function's environment, which Lambda caps at 4 KB, so a list that might not fit
   * is refused; room is kept for the longest bucket name and topic ARN they could get at deploy. 29 sizes with
   * 64-character names and a four-digit width each fit (30 with two-digit widths), and at least 25 with a width, a
   * height and a fit each.
   *
   * @default ImageResizePipeline.DEFAULT_SIZES: `thumbnail` 150x150 cover, `medium` 800 wide, `large` 1600 wide
   */
  readonly sizes?: ImageSize[];

  /**
   * The encoding of every output.
   *
   * @default OutputFormat.JPEG
   */
  readonly outputFormat?: OutputFormat;

  /**
   * Encoder quality for JPEG, WebP and AVIF outputs, from 1 to 100.
   *
   * @default 80
   */
  readonly quality?: number;

  /**
   * CloudWatch alarms for a dead-letter queue that is not empty, uploads waiting too long, and failing
   * invocations, notifying the topic you give.
   *
   * @default - no alarms; the `metric*` methods give the same numbers for your own
   */
  readonly alarms?: PipelineAlarmOptions;

  /**
   * Trace requests with AWS X-Ray: active tracing on the resize and upload-url functions and on the API's stage.
   * The handlers do not use the X-Ray SDK, so a trace shows the API Gateway and Lambda segments, with no subsegment
   * for each call to S3 or SNS.
   *
   * Off by default, because X-Ray charges for the traces it records beyond its free tier, and its write actions
   * (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`) take no resource ARN, so each function's role is granted
   * them on `*`, in a policy that holds nothing else.
   *
   * @default false
   */
  readonly tracing?: boolean;

  /**
   * Whether animated GIF and WebP uploads stay animated.
   *
   * @default Animation.FIRST_FRAME
   */
  readonly animation?: Animation;

  /**
   * Inputs with more pixels than this are refused from their header, before any decoding, so a small file
   * that declares huge dimensions (a pixel bomb) cannot exhaust the function's memory. Raise it together
   * with `memorySize`. Whatever it allows, a side over 65,535 pixels is refused too, since the memory a resize
   * needs grows with the long side: a 10,000,000 x 5 PNG (50 MP) needed 4.5 GB.
   *
   * The default suits the default 1024 MB: decoding costs up to about 9.4 bytes a pixel (a 16-bit interlaced
   * PNG; a baseline JPEG about 1), so 50 MP needs up to about 460 MB on top of the runtime's 100 MB or so. AVIF
   * and HEIC are decoded whole, at about 19 bytes a pixel at 8 bits and 26 at 10 or 12, so their pixels count 2
   * and 2.75 times: by default an AVIF may have 25 MP at 8 bits and 18.1 MP at 10, and those peaked at 431 to 449
   * MB, within the same bound.
   *
   * @default 50_000_000 (50 megapixels)
   */
  readonly maxInputPixels?: number;

  /**
   * The processor the resize and upload-url functions run on. Graviton (ARM_64) costs less per GB-second.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * Memory of the resize function in MB, from 128 to 10240. Lambda gives CPU in proportion to it.
   *
   * The pipeline warns at synth (`cdk-image-resize-pipeline:memorySizeBelowLargestUpload`) when this is below what the
   * largest accepted upload may need, estimated from measured figures: 130 MB for the runtime, 263 MB that earlier
   * images leave behind in a warm container, `maxUploadBytes` for the original and 9.4 bytes a pixel of
   * `maxInputPixels` to decode it, 892 MB with the defaults. It is skipped when any of the three is a token.
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Timeout of one invocation, which handles a whole batch, from 1 second to 15 minutes.
   *
   * It also bounds one image: a resize is stopped a few seconds before the invocation would end, so that the uploader
   * can be told. An image that does not fit in the first record of an invocation, which has nearly all of it, is
   * refused as `takes-too-long`; long kept animations are what can need more than the default.
   *
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * How many upload events one invocation handles, from 1 to 10.
   *
   * @default 5
   */
  readonly batchSize?: number;

  /**
   * How long the event source waits to fill a batch, at most 5 minutes.
   *
   * @default - no wait: each batch starts as soon as messages arrive
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * How many invocations may run at once, from 2 to 1000 (the SQS event source's bounds). Caps the cost of a
   * burst and leaves account concurrency for other functions.
   *
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * How long a received upload event stays hidden from other invocations. It must cover the timeout plus the
   * batching window, or SQS would hand a batch to a second invocation while the first still works on it. At
   * most 12 hours (SQS's limit). A failed receive waits it out before the next, so it also bounds `maxReceiveCount`.
   *
   * Required when `timeout` or `maxBatchingWindow` is a token: CloudFormation cannot compute the default.
   *
   * @default - six times `timeout` plus `maxBatchingWindow`, as AWS advises for SQS event sources
   */
  readonly queueVisibilityTimeout?: Duration;

  /**
   * How many times an upload event is received before it moves to the dead-letter queue, from 1 to 1000.
   *
   * Each failed receive waits out the visibility timeout before the next, and the move comes after the last one's,
   * so `maxReceiveCount` visibility timeouts must end within the queue's retention of 4 days, counted from the
   * upload: an event still failing then would be deleted, never reaching the dead-letter queue or its alarm. A count
   * that does not fit is refused; with the default timeout and visibility timeout (6 minutes) at most 959 fit, with
   * a 12-hour visibility timeout 7.
   *
   * @default 3
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the presigned links in a notification stay valid, at most 7 days. A link also stops working
   * when the function's session credentials that signed it expire, whichever comes first.
   *
   * @default Duration.hours(6)
   */
  readonly linkExpiry?: Duration;

  /**
   * What happens to the buckets, queues, topic and logs, and to the KMS key the pipeline creates for
   * `PipelineEncryption.KMS` and the key alias its buckets name, when the stack is deleted. With DESTROY the key is
   * scheduled for deletion, and KMS deletes it after its waiting period (30 days). The alias's name ends with the
   * GUID of the stack's ID, so a kept one does not stop a new stack of the same name; within one stack, a kept alias
   * must be deleted before the pipeline makes a key for buckets of its own again (after S3-managed encryption, an
   * `encryptionKey` imported or of another stack, or both image buckets passed in). RemovalPolicy.SNAPSHOT is
   * refused: none of them can be snapshotted, so CloudFormation would reject the template.
   *
   * CloudFormation deletes only an empty bucket: with DESTROY but without `autoDeleteObjects`, which empties the
   * buckets first, a stack deletion ends DELETE_FAILED on every bucket that holds an object (the access-log bucket
   * almost always does) and leaves them without their bucket policies, until you empty them and delete it again.
   *
   * It applies as well to what a change of props removes from a deployed pipeline, and nothing warns: passing
   * `uploadBucket` or `resizedBucket` removes the bucket the pipeline made, which DESTROY with `autoDeleteObjects`
   * empties and deletes (DESTROY alone fails to delete it if it holds an object, and the update leaves it outside the
   * stack, without its bucket policy), and changing `encryption` from KMS, or passing `encryptionKey` where the
   * pipeline made its own key, removes that key, which DESTROY schedules for deletion, leaving everything stored under
   * it unreadable. A removed resource goes by the policy it was deployed with: to keep it, deploy RETAIN on its own
   * first.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the buckets the pipeline creates when the stack is deleted, so they can be removed. Requires
   * `removalPolicy: RemovalPolicy.DESTROY`. A bucket you pass in (`uploadBucket`, `resizedBucket` or
   * `serverAccessLogsBucket`) is never emptied.
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;

  /**
   * Keep the earlier versions of overwritten and deleted objects in both buckets the pipeline creates, the upload and
   * the resized bucket (not the access-log bucket, nor a bucket you pass in), for `noncurrentVersionExpiration`.
   *
   * A delete that names no version, the usual kind, adds a delete marker: the original reads as gone, so the
   * function removes its copies (which stay as earlier versions too) and announces `deleted`. Deleting the current
   * version by its version ID makes the previous version current again: the function remakes the copies from it and
   * announces `resized` with `"change": "updated"`. Lifecycle rules on both buckets delete each earlier version
   * `noncurrentVersionExpiration` after it was replaced, then the delete marker left with no version behind it.
   *
   * @default false
   */
  readonly versioned?: boolean;

  /**
   * How long the `versioned` buckets keep an object's earlier version once a newer version or a delete marker
   * replaced it: whole days, at least 1, since S3's lifecycle rules count in days. Until then whoever may read
   * versions (`s3:GetObjectVersion`) can read copies of deleted uploads; `grantReadResized` does not grant it.
   * Requires `versioned: true`. A deploy-time token must be given as `Duration.days(...)`: a token's unit cannot be
   * converted.
   *
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * Receive uploads in a bucket you already have instead of a new one. The pipeline adds ObjectCreated,
   * ObjectRemoved and LifecycleExpiration notifications to it and reads from it; it does not change its other
   * settings. Removals are followed too: deleting an object from the bucket, or a lifecycle rule expiring it,
   * deletes its resized copies.
   *
   * A bucket encrypted with a KMS key of its own must name that key (`encryptionKey` of the `Bucket`, or of
   * `Bucket.fromBucketAttributes`): the roles that write uploads and the resize function are granted the key the
   * bucket names, not `encryptionKey`, which encrypts only the buckets the pipeline creates.
   *
   * A bucket defined in another stack of the app is refused: its notification settings would be written in that
   * stack and refer to the pipeline's queue, whose policy refers to the bucket, a dependency cycle between the two
   * stacks. Import it into the pipeline's stack instead, e.g. `Bucket.fromBucketAttributes(this, 'Photos',
   * { bucketName: photos.bucketName, encryptionKey: photos.encryptionKey })`.
   *
   * It must be in the pipeline's region: S3 notifies only an SQS queue in the bucket's own region.
   *
   * @default - a new private bucket
   */
  readonly uploadBucket?: s3.IBucket;

  /**
   * How data at rest is encrypted. Changing it from KMS on a deployed pipeline re-encrypts nothing: what is already
   * stored, logs included, stays under the pipeline's key, which leaves the template. With DESTROY that is unreadable
   * once the key is scheduled for deletion; with RETAIN the pipeline's roles and `grantReadResized` lose their grants
   * on the kept key, whose policy still lets CloudWatch Logs read the logs.
   *
   * @default - PipelineEncryption.KMS when `encryptionKey` is given, PipelineEncryption.S3_MANAGED otherwise
   */
  readonly encryption?: PipelineEncryption;

  /**
   * The KMS key for `PipelineEncryption.KMS`. A key you pass keeps its own key policy: the pipeline adds the
   * statement that lets S3 send notifications to the encrypted queue, held to this account's upload bucket (to this
   * account alone for a key of another stack), only to keys created in the same app; to an imported key's policy
   * you add it yourself, as the warning `cdk-image-resize-pipeline:importedKeyPolicy` at synth gives it. A key from
   * another account is named directly, without the alias a key of the pipeline's stack gets, and its own policy
   * must let this account use it. The key must be in the pipeline's region.
   *
   * The log groups are encrypted with a key created in the app, whose policy the pipeline gives the statement that
   * lets CloudWatch Logs use it for log groups of this account and region. With an imported key they keep CloudWatch
   * Logs' own encryption, as the same warning says: CloudWatch Logs refuses a key its policy does not let it use, and
   * the pipeline cannot add the statement there.
   *
   * Passing or changing it on a deployed pipeline re-encrypts nothing: what is already stored, logs included, stays
   * under the key it was written with. The pipeline's roles and `grantReadResized` lose their grants on an old KMS
   * key, an old key of yours loses the statement for CloudWatch Logs, which cannot read the logs under it until you
   * add it back, and the pipeline's own key, if it made one, goes by `removalPolicy`.
   *
   * @default - with PipelineEncryption.KMS, a new key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The sharp layer the resize function runs with, e.g. one with a libvips that decodes HEIC. It must hold
   * `nodejs/node_modules/sharp` built for the function's architecture and Linux glibc.
   *
   * @default - the layer bundled with this library, for `architecture`
   */
  readonly sharpLayer?: lambda.ILayerVersion;

  /**
   * Where the server access logs of the buckets the pipeline creates go, under `upload/` and `resized/`. S3 delivers
   * them only to a bucket encrypted with S3-managed keys (SSE-S3), so a bucket of the app encrypted with KMS is
   * refused. The bucket's policy must let `logging.s3.amazonaws.com` put objects there. The pipeline adds those
   * statements to a bucket defined in its own stack. An imported bucket's encryption is not known here and its
   * policy cannot be changed: the pipeline warns at synth with each statement for you to add. A bucket defined
   * in another stack of the app is refused, since its policy would refer to the pipeline's buckets, whose logging
   * settings refer to it, a dependency cycle; import it into the pipeline's stack instead. So is the upload bucket,
   * where each log would be an upload that makes more logs, and the resized bucket, where everyone granted
   * `grantReadResized` could read who uploaded what. It must be in the pipeline's region, as S3 delivers access logs
   * only to a bucket in the logged bucket's region.
   *
   * With both `uploadBucket` and `resizedBucket` passed in there are no such buckets, and this is not used.
   *
   * @default - a new private bucket that keeps them for 90 days, made only when the pipeline creates the upload or
   * resized bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * The largest original the pipeline resizes, at most 5 GiB (S3's limit on one upload). `POST /upload-url` refuses
   * a bigger file up front (S3 itself refuses the body). `PUT /upload-image` does not: it takes any body up to API
   * Gateway's 10 MB, so with this below 10 MB it stores a bigger file and answers 200. The resize function, which
   * reads an original whole into memory, refuses without reading it any bigger one that reaches the upload bucket,
   * that way or another, with a `failed` notification (reason `too-many-bytes`). To accept larger files, raise this
   * together with `memorySize`.
   *
   * @default 52_428_800 (50 MB)
   */
  readonly maxUploadBytes?: number;

  /**
   * How long a presigned upload from `POST /upload-url` stays usable, at most 12 hours. It also stops working when
   * the upload-url function's session credentials that signed it expire, whichever comes first, and the `expiresAt`
   * it answers with cannot know when that is.
   *
   * @default Duration.minutes(15)
   */
  readonly uploadUrlExpiry?: Duration;

  /**
   * Write the resized images to a bucket you already have instead of a new one. It must not be the upload
   * bucket, nor send its own new objects to the pipeline's queue: every output would come back as an upload.
   *
   * A bucket encrypted with a KMS key of its own must name that key (`encryptionKey` of the `Bucket`, or of
   * `Bucket.fromBucketAttributes`), so that the resize function and `grantReadResized` are granted it. It may be
   * defined in another stack of the app, but must be in the pipeline's region: the resize function's S3 client
   * reaches only buckets in its own.
   *
   * @default - a new private bucket
   */
  readonly resizedBucket?: s3.IBucket;

  /**
   * Who may call the upload and subscribe routes.
   *
   * With private notifications the caller is an IAM ARN for `iam()` and a user's `sub` for `cognito()`. Switching
   * between them on a deployed pipeline leaves the subscriptions made before filtering on the old kind of caller, which
   * no new upload records, and refuses as `name-taken` an upload under a key whose copies record the old caller.
   *
   * @default ApiAuthorization.iam()
   */
  readonly apiAuthorization?: ApiAuthorization;

  /**
   * Who receives each notification. Private by default: a subscriber sees only their own uploads.
   *
   * A subscription's filter is set once, when it is made, and a switch on a deployed pipeline leaves existing ones as
   * they were until you change or remove them: made under BROADCAST, they have no filter and go on receiving every
   * notification; made under UPLOADER, they filter on an uploader that BROADCAST uploads do not record, so they receive
   * nothing about uploads after the switch.
   *
   * @default NotificationScope.UPLOADER
   */
  readonly notificationScope?: NotificationScope;

  /**
   * Steady-state requests per second for each method of the API, above 0 and at most 10000 (API Gateway's default
   * limit for a whole account and region). API Gateway applies a stage's throttle to every method on its own, so
   * `PUT /upload-image` and `POST /upload-url` (and with `allowedOrigins` each `OPTIONS` preflight) may each take
   * this many; `POST /subscribe` has its own lower limit. It need not be whole: 0.5 is one request every two seconds.
   *
   * @default 20
   */
  readonly apiRateLimit?: number;

  /**
   * Burst of requests for each method of the API, as `apiRateLimit` is applied, from 1 to 5000 (API Gateway's
   * default burst for a whole account and region).
   *
   * @default 40
   */
  readonly apiBurstLimit?: number;

  /**
   * Create the account-level role API Gateway needs to write execution logs, and the account setting that names
   * it. That setting is one per account and region, and the last stack to set it wins: a stack makes one role and
   * setting, and every pipeline of the stack waits for it. With pipelines in several stacks of one account and
   * region, set this to false in all of them but one, and deploy those after it (`stack.addDependency(stackWithRole)`),
   * or set it to false in all of them when the account and region already have a role. The API logs errors either
   * way, so without any role in the region the deployment fails.
   *
   * @default true
   */
  readonly apiCloudWatchRole?: boolean;

  /**
   * How long the logs of the resize and upload-url functions and the API's access logs are kept. Not the API's
   * execution logs: API Gateway writes those to a log group it creates itself, outside the stack, which never expires
   * unless you give it a retention.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Web page origins allowed to call the API from a browser and to send the presigned POST to the upload bucket, each
   * as a browser sends it: `https://app.example.com`, `http://localhost:3000` (a scheme, a host in lower case, an
   * international domain name in its `xn--` form, a port only when it is not the scheme's default; no path, no
   * trailing slash). Or `['*']` alone, for any page. An origin a browser would send in another form is refused at
   * synth with that form.
   *
   * Each route gets an `OPTIONS` method that answers the browser's preflight without authorization (browsers never
   * sign one), and each answer of the API names the request's origin in `Access-Control-Allow-Origin` when it is
   * listed, and no origin when it is not. API Gateway's own error answers (403, 413, 429, ...) run no VTL: they could
   * copy the request's `Origin` but not check it against the list, which would let every page read them. So they name
   * the origin when there is one (or `*`), and with several they name none, so a page sees them as network errors. The upload bucket the pipeline creates gets a CORS rule for `POST` from the same origins; a bucket
   * passed in as `uploadBucket` is not changed, and the pipeline warns at synth with the rule to add to it.
   *
   * @default - none: no CORS, so browsers cannot call the API
   */
  readonly allowedOrigins?: string[];
}

/**
 * A serverless image pipeline in one construct: uploads through an API or straight into a bucket are resized
 * to every configured size by a sharp Lambda behind an SQS queue, and subscribers are told by SNS with a link
 * to each size.
 */
export class ImageResizePipeline extends Construct {
  /**
   * The sizes a pipeline makes when `sizes` is not given: a 150x150 `thumbnail` (cover), an 800-wide `medium` and a
   * 1600-wide `large`. Add to them rather than restate them, in any language: e.g. in Python
   * `sizes=[*ImageResizePipeline.DEFAULT_SIZES, ImageSize(name="xl", width=3200)]`. A copy: changing it changes no
   * pipeline's defaults.
   */
  public static readonly DEFAULT_SIZES: ImageSize[] = DEFAULT_SIZES.map((size) => ({ ...size }));

  /** Where originals arrive. */
  public readonly uploadBucket: s3.IBucket;
  /** Where every size of every original is written, at `{size name}/{original key}`. */
  public readonly resizedBucket: s3.IBucket;
  /** Upload events waiting for the resize function. */
  public readonly queue: sqs.Queue;
  /** Upload events that failed `maxReceiveCount` times. */
  public readonly deadLetterQueue: sqs.Queue;
  /** One message per processed upload: its links, or why it failed. */
  public readonly topic: sns.Topic;
  /** The upload and subscribe API. */
  public readonly api: apigw.RestApi;
  /** The resize function. */
  public readonly resizeFunction: lambda.Function;
  /** The function behind `POST /upload-url`. */
  public readonly uploadUrlFunction: lambda.Function;
  /** The sharp layer attached to the resize function. */
  public readonly sharpLayer: lambda.ILayerVersion;
  /** The customer-managed key, with PipelineEncryption.KMS. */
  public readonly encryptionKey?: kms.IKey;
  /**
   * Where the server access logs of the buckets the pipeline creates go. Undefined when it creates neither, with both
   * `uploadBucket` and `resizedBucket` passed in: then no bucket is made for them, and one you pass is not used.
   */
  public readonly serverAccessLogsBucket?: s3.IBucket;
  /** The alarms made for `alarms`, or none without it. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The key the log groups are encrypted with, when CloudWatch Logs may use the pipeline's key. */
  private readonly logsKey?: kms.IKey;

  /**
   * @param scope where the pipeline goes, usually a Stack
   * @param id unique among the scope's children
   * @param props what to make and how, all optional
   */
  constructor(scope: Construct, id: string, props: ImageResizePipelineProps = {}) {
    super(scope, id);

    const settings = resolveSettings(props);
    validate(props, settings, this);
    warnOfMemoryBelowLargestUpload(settings, this);

    if (settings.encryption === PipelineEncryption.KMS) {
      this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
        description: `Encrypts the buckets, queues, topic and logs of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy: settings.removalPolicy,
      });
      this.logsKey = this.keyForLogs(this.encryptionKey);
    }
    const key = this.encryptionKey;

    const privateBucket: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: settings.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
    };
    // The access-log bucket and the key's alias are made with the first image bucket the pipeline creates: with both
    // passed in, nothing would log to the one or name the other.
    let imageBuckets: { props: s3.BucketProps; accessLogs: s3.IBucket } | undefined;
    const createImageBucket = (bucketId: string, logPrefix: string, cors?: s3.CorsRule[]) => {
      imageBuckets ??= {
        props: {
          ...privateBucket,
          // Server access logs can only be delivered to an S3-managed bucket, so only the image buckets use the key.
          ...(key ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.bucketKey(key, settings.removalPolicy), bucketKeyEnabled: true } : {}),
          ...(props.versioned ? expiringEarlierVersions(props.noncurrentVersionExpiration ?? Duration.days(30)) : {}),
        },
        accessLogs: props.serverAccessLogsBucket ?? this.createAccessLogsBucket(privateBucket),
      };
      return this.logAccess(new s3.Bucket(this, bucketId, { ...imageBuckets.props, cors }), logPrefix, imageBuckets.accessLogs);
    };
    const uploadCorsRule = props.allowedOrigins ? uploadBucketCorsRule(props.allowedOrigins) : undefined;
    this.uploadBucket = props.uploadBucket ?? createImageBucket('UploadBucket', 'upload/', uploadCorsRule && [uploadCorsRule]);
    if (props.uploadBucket && uploadCorsRule) {
      this.warnOfUploadBucketCors(uploadCorsRule);
    }
    this.resizedBucket = props.resizedBucket ?? createImageBucket('ResizedBucket', 'resized/');
    this.serverAccessLogsBucket = imageBuckets?.accessLogs;

    const queueEncryption: Partial<sqs.QueueProps> = key
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: settings.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
      visibilityTimeout: settings.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      removalPolicy: settings.removalPolicy,
    });
    // Removals too: the function keeps the resized copies in step with the originals, deletes included. An object a
    // lifecycle rule expires sends a LifecycleExpiration event, which ObjectRemoved does not cover.
    const destination = new S3QueueDestination(this.queue);
    for (const event of [s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED, s3.EventType.LIFECYCLE_EXPIRATION]) {
      this.uploadBucket.addEventNotification(event, destination);
    }
    acknowledgeNotificationsHandler(this.uploadBucket);

    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Resized images', enforceSSL: true, masterKey: key });
    this.topic.applyRemovalPolicy(settings.removalPolicy);

    this.sharpLayer = props.sharpLayer ?? new SharpLayer(this, 'SharpLayer', { architecture: settings.architecture });
    this.resizeFunction = this.createResizeFunction(settings, props);
    this.emptyBucketsLast();
    if (props.alarms) {
      this.createAlarms(props.alarms);
    }

    // The pipeline's key encrypts only the buckets it creates; a bucket you bring keeps its own key, if it has one.
    const uploadBucketKey = props.uploadBucket ? props.uploadBucket.encryptionKey : key;
    this.uploadUrlFunction = this.createUploadUrlFunction(settings, uploadBucketKey, props.allowedOrigins);

    const uploadApi = new UploadApi(this, 'Api', {
      uploadUrlFunction: this.uploadUrlFunction,
      uploadBucket: this.uploadBucket,
      topic: this.topic,
      authorization: settings.apiAuthorization,
      privateNotifications: settings.notificationScope === NotificationScope.UPLOADER,
      throttlingRateLimit: props.apiRateLimit ?? 20,
      throttlingBurstLimit: props.apiBurstLimit ?? 40,
      subscribeRateLimit: 1,
      subscribeBurstLimit: 2,
      accessLogRetention: settings.logRetention,
      accessLogKey: this.logsKey,
      cloudWatchRole: props.apiCloudWatchRole ?? true,
      encryptionKey: uploadBucketKey,
      allowedOrigins: props.allowedOrigins,
      tracing: settings.tracing,
    });
    uploadApi.accessLogGroup.applyRemovalPolicy(settings.removalPolicy);
    this.api = uploadApi.api;
  }

  /**
   * The sharp layer as the resize function takes it. CDK refuses a layer whose compatibleRuntimes hold
   * Runtime.NODEJS_24_X for the generated ResizeFunction's runtime of the same name, as it also compares
   * `supportsInlineCode` (true for the one, false for the other), so a layer that names runtimes, which the props'
   * validation has checked by name, is attached by its ARN alone.
   */
  private layerForResizeFunction(): lambda.ILayerVersion {
    if (this.sharpLayer.compatibleRuntimes === undefined) {
      return this.sharpLayer;
    }
    return lambda.LayerVersion.fromLayerVersionAttributes(this, 'SharpLayerForResizeFunction', {
      layerVersionArn: this.sharpLayer.layerVersionArn,
    });
  }

  /**
   * The resize function with a role of its own (Lambda's default role would attach the account-wide
   * AWSLambdaBasicExecutionRole), its log group, and the queue as its event source.
   */
  private createResizeFunction(settings: Settings, props: ImageResizePipelineProps): lambda.Function {
    const functionLogs = new logs.LogGroup(this, 'ResizeFunctionLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      encryptionKey: this.logsKey,
    });
    const functionRole = new iam.Role(this, 'ResizeFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Resize function of an ImageResizePipeline',
    });
    functionRole.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [functionLogs.logGroupArn],
    }));
    const fn = new ResizeFunction(this, 'ResizeFunction', {
      role: functionRole,
      description: 'Resizes each uploaded image to every configured size and notifies subscribers',
      architecture: settings.architecture,
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      layers: [this.layerForResizeFunction()],
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: functionLogs,
      environment: resizeEnvironment(settings, this.resizedBucket.bucketName, this.topic.topicArn),
    });
    acknowledgeOlderRuntime(fn,
      `Pinned to ${fn.runtime.name}, the runtime the handler bundle and the sharp layer are built and tested for; it is in AWS support.`);
    if (settings.tracing) {
      traceActively(fn, functionRole);
    }
    functionRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [this.uploadBucket.arnForObjects('*')],
    }));
    // Without ListBucket S3 answers a missing key with 403, not 404, and a deleted original would look like a
    // permission fault worth retrying.
    functionRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.uploadBucket.bucketArn, this.resizedBucket.bucketArn],
    }));
    // GetObject as well as Put and Delete: the notification's presigned links are signed with this role, and S3
    // allows a delete conditional on an ETag (If-Match), as every removal of a copy is, only with GetObject too.
    functionRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [this.resizedBucket.arnForObjects('*')],
    }));
    this.topic.grantPublish(functionRole);
    // No key is used to encrypt or re-encrypt directly: S3 and SQS decrypt with it (uploads, presigned reads of the
    // copies, received messages), and S3 and SNS have it generate data keys (copies written, notifications published),
    // which is what the topic's grant gives on the pipeline's key too.
    this.encryptionKey?.grant(functionRole, 'kms:Decrypt', 'kms:GenerateDataKey*');
    // A bucket you bring may have a key of its own: uploads are only read, copies are written and presigned for reading.
    props.uploadBucket?.encryptionKey?.grantDecrypt(functionRole);
    props.resizedBucket?.encryptionKey?.grant(functionRole, 'kms:Decrypt', 'kms:GenerateDataKey');
    if (this.encryptionKey) {
      acknowledgeGenerateDataKeyPrefix(functionRole);
    }
    acknowledgeWildcardResources(functionRole, [this.uploadBucket.arnForObjects('*'), this.resizedBucket.arnForObjects('*')],
      'Object actions on any key of the upload and resized buckets (bucket/*), whether the pipeline created them or they were passed in: every upload has its own key.');
    fn.addEventSource(new SqsEventSource(this.queue, {
      batchSize: settings.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: settings.maxConcurrency,
      reportBatchItemFailures: true,
    }));

    this.countLoggedOutcomes(functionLogs);
    return fn;
  }

  /**
   * CDK empties a bucket made with `autoDeleteObjects` by a custom resource (the bucket's child
   * `AutoDeleteObjectsCustomResource`) that nothing orders against the upload bucket's notification settings or the
   * function's event source mapping, so a stack deletion removed them all at once: emptying the upload bucket sent
   * ObjectRemoved events, which the function announced to every subscriber as `deleted`, and copies written meanwhile
   * could keep the resized bucket from being deleted. Depending on the emptying, both are deleted before it starts.
   * That holds for a bucket passed in with `autoDeleteObjects` of its own as for one the pipeline creates.
   */
  private emptyBucketsLast() {
    const eventSourceMapping = this.resizeFunction.node.children.find((child) => child instanceof lambda.EventSourceMapping);
    for (const bucket of [this.uploadBucket, this.resizedBucket]) {
      const emptying = bucket.node.tryFindChild('AutoDeleteObjectsCustomResource');
      if (emptying) {
        eventSourceMapping?.node.addDependency(emptying);
        if (bucket === this.uploadBucket) {
          bucket.node.tryFindChild('Notifications')?.node.addDependency(emptying);
        }
      }
    }
  }

  /**
   * The buckets name a key of this stack through an alias: `S3QueueDestination` lets S3 use the queue's key by a
   * key-policy statement that names the upload bucket (without it, deploying the notification fails with "Unable to
   * validate the following destination configurations"), and a bucket that referred to the key itself would close a
   * dependency cycle. No other key's policy names the bucket (an imported key's policy is left alone, and a key of
   * another stack is held to its stack's account only), so the buckets name such a key directly: an alias
   * must be in its key's account and region, which an imported key need not be. The alias is kept or deleted with the
   * buckets, which would otherwise be kept naming an alias that no longer exists.
   *
   * The buckets get the alias's ARN built from its name, not the `Alias` itself: under the feature flag
   * `@aws-cdk/aws-kms:aliasNameRef`, which `cdk init` turns on, the `Alias`'s ARN refers to the alias resource, which
   * refers to the key, and the cycle is back. Nothing then orders the buckets after the alias, and nothing needs to:
   * S3 does not check the key a bucket names until an object is encrypted with it. Grants on the buckets' key still go
   * to the key itself.
   *
   * The alias's name ends with the GUID of the stack's ID, the only part of it that differs between two stacks of the
   * same name. An alias's name is unique in its account and region, and one kept by the removal policy outlives its
   * stack (or a failed first deploy's rollback): a stack deployed again gets a new ID, so it does not fail on the kept
   * alias. The GUID adds 37 characters to the at most 206 before it, within KMS's 256.
   */
  private bucketKey(key: kms.IKey, removalPolicy: RemovalPolicy): kms.IKey {
    if (!Resource.isOwnedResource(key) || Stack.of(key) !== Stack.of(this)) {
      return key;
    }
    const stackGuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    const aliasName = `alias/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-${stackGuid}`;
    new kms.Alias(this, 'KeyAlias', { aliasName, targetKey: key, removalPolicy });
    return kms.Alias.fromAliasAttributes(this, 'KeyAliasByName', { aliasName, aliasTargetKey: key });
  }

  /**
   * The pipeline's key once its policy lets CloudWatch Logs use it, for the log groups, which hold file names,
   * uploaders and request paths. CloudWatch Logs refuses to create a log group with a key it may not use, and an
   * imported key's policy is not changed here, so with such a key the log groups keep CloudWatch Logs' own encryption
   * rather than fail to deploy. A key of another stack of the app gets the statement in that stack's template, which
   * refers to nothing of this one.
   *
   * The statement is the one AWS's guide to encrypting log data with KMS gives (and CDK's ECS services add), with the
   * encryption context CloudWatch Logs passes held to log groups of the pipeline's account and region. Not to the
   * pipeline's own: their names are made at deploy, and naming them would make the key refer to the log groups that
   * refer to it.
   */
  private keyForLogs(key: kms.IKey): kms.IKey | undefined {
    const stack = Stack.of(this);
    const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const useKey = new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroups } },
    });
    if (key.addToResourcePolicy(useKey, true).statementAdded) {
      // An alias hands the statement to its key, and CloudWatch Logs documents a key's ARN, not an alias's, for a log group.
      return key instanceof kms.Alias ? key.aliasTargetKey : key;
    }
    Annotations.of(key).addWarningV2('cdk-image-resize-pipeline:importedKeyPolicy',
      `an imported key's policy is not changed here, so ${this.node.path}'s log groups are not encrypted with it: CloudWatch Logs takes a key only `
      + 'when its policy lets it, and they keep CloudWatch Logs\' own encryption. A key defined in the app (a kms.Key of any of its stacks) encrypts them too.');
    return undefined;
  }

  /** Signs presigned POSTs, so its role may put objects into the upload bucket, and only that. */
  private createUploadUrlFunction(settings: Settings, uploadBucketKey: kms.IKey | undefined, allowedOrigins: string[] | undefined): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'UploadUrlFunctionLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      encryptionKey: this.logsKey,
    });
    const role = new iam.Role(this, 'UploadUrlFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Upload-URL function of an ImageResizePipeline',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.uploadBucket.arnForObjects('*')] }));
    acknowledgeWildcardResources(role, [this.uploadBucket.arnForObjects('*')],
      'A presigned upload may name any key in the upload bucket (bucket/*); the POST policy fixes the one key it allows.');
    // A presigned POST is a single PutObject: S3 needs only kms:GenerateDataKey on the bucket's key for it.
    uploadBucketKey?.grant(role, 'kms:GenerateDataKey');
    const callerIdentity = settings.notificationScope === NotificationScope.UPLOADER ? settings.apiAuthorization.callerIdentity : undefined;
    const fn = new UploadUrlFunction(this, 'UploadUrlFunction', {
      role,
      description: 'Hands out presigned uploads into the upload bucket for images over API Gateway\'s 10 MB',
      architecture: settings.architecture,
      memorySize: 256,
      timeout: Duration.seconds(10),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      environment: {
        [UPLOAD_URL_ENV.uploadBucket]: this.uploadBucket.bucketName,
        [UPLOAD_URL_ENV.maxUploadBytes]: Tokenization.stringifyNumber(settings.maxUploadBytes),
        [UPLOAD_URL_ENV.expirySeconds]: Tokenization.stringifyNumber(settings.uploadUrlExpiry.toSeconds()),
        ...(callerIdentity ? { [UPLOAD_URL_ENV.callerIdentity]: callerIdentity.replace(/^context\./, '') } : {}),
        ...(allowedOrigins ? { [UPLOAD_URL_ENV.allowedOrigins]: allowedOrigins.join(',') } : {}),
      },
    });
    acknowledgeOlderRuntime(fn, `Pinned to ${fn.runtime.name}, the runtime the bundle is built and tested for; it is in AWS support.`);
    if (settings.tracing) {
      traceActively(fn, role);
    }
    return fn;
  }

  /**
   * A bucket passed in is not changed (and an `IBucket` has no CORS rules to add to), so the pipeline says what to add,
   * in the form `aws s3api put-bucket-cors` and the console take.
   */
  private warnOfUploadBucketCors(rule: s3.CorsRule) {
    const origins = rule.allowedOrigins.join(', ');
    const cliRule = { AllowedMethods: rule.allowedMethods, AllowedOrigins: rule.allowedOrigins, MaxAgeSeconds: rule.maxAge };
    Annotations.of(this).addWarningV2('cdk-image-resize-pipeline:uploadBucketCors',
      `allowedOrigins: the upload bucket was passed in, so the pipeline does not change it, and browsers at ${origins} cannot send the presigned POST until you add this CORS rule to it: ${JSON.stringify(cliRule)}`);
  }

  /**
   * Server access logging with a bucket policy for S3's log delivery, set here rather than through
   * `serverAccessLogsBucket`: that prop falls back to a legacy ACL unless the app sets a feature flag, and a
   * library must not depend on its user's flags.
   */
  private logAccess(bucket: s3.Bucket, prefix: string, accessLogs: s3.IBucket): s3.Bucket {
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: accessLogs.bucketName,
      logFilePrefix: prefix,
    };
    const stack = Stack.of(this);
    const delivery = new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [accessLogs.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    });
    if (!accessLogs.addToResourcePolicy(delivery).statementAdded) {
      const statement = JSON.stringify(renderIntrinsics(stack.resolve(delivery.toStatementJson())));
      Annotations.of(this).addWarningV2('cdk-image-resize-pipeline:importedAccessLogsBucket',
        `serverAccessLogsBucket: an imported bucket's policy is not changed here, so S3 delivers no access logs of ${bucket.node.path} until you add this statement to it: ${statement} (<Id.Arn> is the ARN of the resource of this stack with that logical ID; <AWS::…> is this stack's own value). `
        + 'It must also be encrypted with S3-managed keys (SSE-S3): S3 delivers no server access logs to a bucket whose default encryption is a KMS key.');
    }
    return bucket;
  }

  private createAccessLogsBucket(privateBucket: s3.BucketProps): s3.Bucket {
    return new s3.Bucket(this, 'AccessLogsBucket', {
      ...privateBucket,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
  }

  /**
   * `resized` notifications published, counted from the resize function's `Upload resized` log lines (summed over
   * each period). Not distinct uploads: a record SQS delivers again, or one redriven from the dead-letter queue, is
   * processed in full and announced again, and two invocations handling events for one key at once may both
   * announce it.
   *
   * @param props period, statistic, label or unit to change from Sum over 5 minutes
   * @default - Sum over 5 minutes
   */
  public metricImagesResized(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.outcomeMetric('ImagesResized', props);
  }

  /**
   * `failed` notifications published, counted from the resize function's `Upload rejected` log lines (summed over each
   * period): for an original that is empty, not an image, corrupt, of an unsupported format, too large (in bytes, in
   * pixels or for the output format), under a name too long for its copies' keys, with an uploader too long for its
   * copies' metadata, or under a name another upload's copies hold. Not distinct uploads: every event processed for a refused version is refused and announced again, a
   * repeated one too.
   *
   * @param props period, statistic, label or unit to change from Sum over 5 minutes
   * @default - Sum over 5 minutes
   */
  public metricImagesRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.outcomeMetric('ImagesRejected', props);
  }

  /**
   * Upload events in the dead-letter queue: each is an upload that failed every retry.
   *
   * @param props period, statistic, label or unit to change from Maximum over 5 minutes
   * @default - Maximum over 5 minutes
   */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Upload events waiting in the queue for the resize function: a count that keeps growing means it is not keeping up.
   *
   * @param props period, statistic, label or unit to change from Maximum over 5 minutes
   * @default - Maximum over 5 minutes
   */
  public metricQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Age of the oldest upload event waiting in the queue, in seconds.
   *
   * @param props period, statistic, label or unit to change from Maximum over 5 minutes
   * @default - Maximum over 5 minutes
   */
  public metricOldestUploadAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Invocations of the resize function that failed as a whole.
   *
   * @param props period, statistic, label or unit to change from Sum over 5 minutes
   * @default - Sum over 5 minutes
   */
  public metricResizeErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.resizeFunction.metricErrors(props);
  }

  /**
   * Invocations of the resize function that Lambda refused because the account's concurrency, or a reservation of
   * the function's, was used up (a count, summed over each period). A throttled batch returns to the queue when its
   * visibility timeout ends, and that receive counts toward `maxReceiveCount`.
   *
   * @param props period, statistic, label or unit to change from Sum over 5 minutes
   * @default - Sum over 5 minutes
   */
  public metricResizeThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.resizeFunction.metricThrottles(props);
  }

  /**
   * How long each invocation of the resize function (one batch) takes.
   *
   * @param props period, statistic, label or unit to change from Average over 5 minutes
   * @default - Average over 5 minutes
   */
  public metricResizeDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.resizeFunction.metricDuration(props);
  }

  private outcomeMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { FunctionName: this.resizeFunction.functionName },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /** Metric filters on the function's own logs: counting costs the function no API call and no time. */
  private countLoggedOutcomes(logGroup: logs.ILogGroup) {
    const outcomes: Array<[string, string]> = [['ImagesResized', LOG_MESSAGES.resized], ['ImagesRejected', LOG_MESSAGES.rejected]];
    for (const [metricName, message] of outcomes) {
      new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', message),
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        metricValue: '1',
        dimensions: { FunctionName: '$.function_name' },
        unit: cloudwatch.Unit.COUNT,
      });
    }
  }

  /** A threshold known only at deploy time is left out of its alarm's description, which would show the token instead. */
  private createAlarms(options: PipelineAlarmOptions) {
    const maxUploadAge = options.maxUploadAge ?? Duration.minutes(15);
    const maxErrorRate = options.maxErrorRatePercent ?? 5;
    const invocations = this.resizeFunction.metricInvocations({ period: Duration.minutes(5) });
    const errors = this.metricResizeErrors({ period: Duration.minutes(5) });
    this.alarms.push(
      this.metricDeadLetterQueueDepth({ period: Duration.minutes(1) }).createAlarm(this, 'DeadLetterQueueNotEmptyAlarm', {
        alarmDescription: 'Uploads failed every retry and wait in the dead-letter queue; see the README on redrive.',
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.metricOldestUploadAge({ period: Duration.minutes(1) }).createAlarm(this, 'UploadsWaitingAlarm', {
        alarmDescription: maxUploadAge.isUnresolved()
          ? 'An upload has waited in the queue for longer than the alarm\'s threshold.'
          : `An upload has waited in the queue for more than ${maxUploadAge.toHumanString()}.`,
        threshold: maxUploadAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.MathExpression({
        expression: '100 * errors / invocations',
        usingMetrics: { errors, invocations },
        label: 'Resize function error rate (%)',
        period: Duration.minutes(5),
      }).createAlarm(this, 'ResizeErrorRateAlarm', {
        alarmDescription: Token.isUnresolved(maxErrorRate)
          ? 'More than the alarm\'s threshold, in percent, of resize invocations failed as a whole.'
          : `More than ${maxErrorRate}% of resize invocations failed as a whole.`,
        threshold: maxErrorRate,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const action = new cloudwatchActions.SnsAction(options.topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /**
   * Lets `grantee` read the current resized images, e.g. a CDN origin or a web app's role: `s3:GetObject` on the
   * resized bucket's objects and `s3:ListBucket` on the bucket (without it S3 answers a missing copy with 403, not
   * 404), and `kms:Decrypt` and `kms:DescribeKey` on its key if it has one. Not the bucket's settings, nor the earlier
   * versions a `versioned` bucket keeps, among them copies of deleted uploads.
   *
   * @param grantee the principal that reads the resized bucket
   */
  public grantReadResized(grantee: iam.IGrantable): iam.Grant {
    const bucket = this.resizedBucket;
    const grant = iam.Grant.addToPrincipalOrResource({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects('*')], resource: bucket })
      .combine(iam.Grant.addToPrincipalOrResource({ grantee, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn], resource: bucket }));
    const keyGrant = bucket.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey');
    return keyGrant ? grant.combine(keyGrant) : grant;
  }

  /**
   * Lets `grantee` move the dead-letter queue's messages back to the queue once what made them fail is fixed: receive
   * and delete them from the dead-letter queue and send them to the queue (as `npx projen redrive` does, in a clone of
   * this repository), or start, list and cancel SQS's own move task. With `PipelineEncryption.KMS` it includes the
   * pipeline key's permissions both queues need.
   *
   * @param grantee the principal that redrives, e.g. an operator's role
   */
  public grantRedrive(grantee: iam.IGrantable): iam.Grant {
    return this.deadLetterQueue.grantConsumeMessages(grantee)
      .combine(this.deadLetterQueue.grant(grantee, 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask'))
      .combine(this.queue.grantSendMessages(grantee));
  }

  /**
   * Lets `grantee` upload images: `PUT /upload-image/*` and `POST /upload-url`, e.g. a web app's role that signs its
   * requests with SigV4. Only `ApiAuthorization.iam()` (the default) makes API Gateway check a caller's IAM
   * permissions; with any other authorization the grant would do nothing, so it is refused.
   *
   * @param grantee the principal that calls the upload routes
   */
  public grantUpload(grantee: iam.IGrantable): iam.Grant {
    return this.grantInvoke('grantUpload', grantee, [
      { method: 'PUT', path: '/upload-image/*' },
      { method: 'POST', path: '/upload-url' },
    ]);
  }

  /**
   * Lets `grantee` subscribe addresses to the notifications: `POST /subscribe`. Only `ApiAuthorization.iam()` (the
   * default) makes API Gateway check a caller's IAM permissions; with any other authorization the grant would do
   * nothing, so it is refused.
   *
   * @param grantee the principal that calls the subscribe route
   */
  public grantSubscribe(grantee: iam.IGrantable): iam.Grant {
    return this.grantInvoke('grantSubscribe', grantee, [{ method: 'POST', path: '/subscribe' }]);
  }

  private grantInvoke(grantName: string, grantee: iam.IGrantable, routes: Array<{ method: string; path: string }>): iam.Grant {
    // The CORS preflights are never authorized, and no grant is for them.
    const routeMethods = this.api.methods.filter((method) => method.httpMethod !== 'OPTIONS');
    const authorizations = new Set(routeMethods.map((method) => (method.node.defaultChild as apigw.CfnMethod).authorizationType));
    if (authorizations.size !== 1 || !authorizations.has(apigw.AuthorizationType.IAM)) {
      throw new Error(`${grantName}: the API's routes are authorized with ${[...authorizations].join(', ')}, not IAM, so API Gateway never checks a caller's IAM permissions and the grant would do nothing. It applies only with apiAuthorization: ApiAuthorization.iam()`);
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.map(({ method, path }) => this.api.arnForExecuteApi(method, path, this.api.deploymentStage.stageName)),
    });
  }
}

/**
 * CDK adds one stack-wide function that writes bucket notification settings at deploy time; it uses Lambda's
 * basic execution policy for its own logs and nothing else of ours.
 */
function acknowledgeNotificationsHandler(bucket: s3.IBucket) {
  const handler = Stack.of(bucket).node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (handler) {
    acknowledge(handler, `AwsSolutions-IAM4[Policy::${BASIC_EXECUTION_POLICY}]`,
      'CDK\'s own BucketNotificationsHandler writes the upload bucket\'s notification setting at deploy time; AWSLambdaBasicExecutionRole only lets it write its logs.');
  }
}

/**
 * Active tracing, set on the function's resource rather than by its `tracing` prop: with that, CDK grants X-Ray's
 * write actions on `*` in the role's default policy, where acknowledging the wildcard would also pass any statement on
 * `*` added there later. In a policy of their own they alone are acknowledged. The policy is the role's child, so the
 * function, which depends on its role, is created after it.
 */
function traceActively(fn: lambda.Function, role: iam.Role) {
  (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
  const xrayWrite = new iam.Policy(role, 'XRayWrite', {
    roles: [role],
    statements: [new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] })],
  });
  acknowledge(xrayWrite, 'AwsSolutions-IAM5[Resource::*]', 'X-Ray\'s PutTraceSegments and PutTelemetryRecords take no resource ARN.');
}

/**
 * Versioning for the image buckets, with the rules that let what it keeps go: without them every overwritten copy and
 * every deleted original would stay for good, and a delete marker would stay after the versions behind it expired.
 */
function expiringEarlierVersions(noncurrentVersionExpiration: Duration): Partial<s3.BucketProps> {
  return {
    versioned: true,
    lifecycleRules: [{ id: 'ExpireEarlierVersions', noncurrentVersionExpiration, expiredObjectDeleteMarker: true }],
  };
}

const BASIC_EXECUTION_POLICY = 'arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

interface Settings {
  readonly sizes: SizeSpec[];
  readonly animation: Animation;
  readonly outputFormat: OutputFormat;
  readonly quality: number;
  readonly maxInputPixels: number;
  readonly architecture: lambda.Architecture;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Undefined when the default cannot be computed at synth; `validate` refuses that. */
  readonly visibilityTimeout: Duration | undefined;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  readonly linkExpiry: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly apiAuthorization: ApiAuthorization;
  readonly notificationScope: NotificationScope;
  readonly encryption: PipelineEncryption;
  readonly maxUploadBytes: number;
  readonly uploadUrlExpiry: Duration;
  readonly tracing: boolean;
}

function resolveSettings(props: ImageResizePipelineProps): Settings {
  const timeout = props.timeout ?? Duration.seconds(60);
  return {
    sizes: sizeSpecs(props.sizes ?? DEFAULT_SIZES),
    animation: props.animation ?? Animation.FIRST_FRAME,
    outputFormat: props.outputFormat ?? OutputFormat.JPEG,
    quality: props.quality ?? 80,
    maxInputPixels: props.maxInputPixels ?? 50_000_000,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 1024,
    timeout,
    visibilityTimeout: props.queueVisibilityTimeout ?? defaultVisibilityTimeout(timeout, props.maxBatchingWindow),
    batchSize: props.batchSize ?? 5,
    maxConcurrency: props.maxConcurrency ?? 10,
    maxReceiveCount: props.maxReceiveCount ?? 3,
    linkExpiry: props.linkExpiry ?? Duration.hours(6),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    apiAuthorization: props.apiAuthorization ?? ApiAuthorization.iam(),
    notificationScope: props.notificationScope ?? NotificationScope.UPLOADER,
    encryption: props.encryption ?? (props.encryptionKey ? PipelineEncryption.KMS : PipelineEncryption.S3_MANAGED),
    maxUploadBytes: props.maxUploadBytes ?? 50 * 1024 * 1024,
    uploadUrlExpiry: props.uploadUrlExpiry ?? Duration.minutes(15),
    tracing: props.tracing ?? false,
  };
}

/** Sizes that plain JavaScript passes as something other than an array of objects are left out here; `validate` refuses them. */
function sizeSpecs(sizes: ImageSize[]): SizeSpec[] {
  if (!Array.isArray(sizes)) {
    return [];
  }
  return sizes.filter((size) => typeof size === 'object' && size !== null).map((size) => ({
    name: size.name,
    width: size.width,
    height: size.height,
    fit: size.fit ?? ImageFit.INSIDE,
  }));
}

function defaultVisibilityTimeout(timeout: Duration, batchingWindow: Duration | undefined): Duration | undefined {
  if (timeout.isUnresolved() || batchingWindow?.isUnresolved()) {
    return undefined;
  }
  return Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * seconds(timeout) + seconds(batchingWindow));
}

/** Seconds, with any fraction: a duration that is not whole seconds is refused by `validate`, which must not throw first. */
function seconds(duration: Duration | undefined): number {
  return duration?.toSeconds({ integral: false }) ?? 0;
}

function validate(props: ImageResizePipelineProps, settings: Settings, scope: Construct) {
  const problems = new PropsProblems();
  const stack = Stack.of(scope);
  problems.sizes(props.sizes ?? DEFAULT_SIZES);
  const environmentBytes = largestEnvironmentBytes(settings, props.resizedBucket?.bucketName, stack);
  if (environmentBytes > MAX_ENVIRONMENT_BYTES) {
    problems.add('sizes', `every size goes into the resize function's environment, which could take ${environmentBytes} bytes (with the longest bucket name and topic ARN it may get at deploy), over Lambda's limit of ${MAX_ENVIRONMENT_BYTES}: use fewer sizes or shorter names`);
  }
  problems.oneOf('outputFormat', props.outputFormat, Object.values(OutputFormat));
  problems.oneOf('animation', props.animation, Object.values(Animation));
  problems.integerIn('quality', props.quality, 1, 100);
  const maxUploadAge = props.alarms?.maxUploadAge;
  if (maxUploadAge !== undefined && !maxUploadAge.isUnresolved() && maxUploadAge.toSeconds({ integral: false }) >= QUEUE_RETENTION.toSeconds()) {
    problems.add('alarms.maxUploadAge', `must be less than ${QUEUE_RETENTION.toHumanString()}, the queue's retention: an upload event that old has left the queue, so the alarm could never go off`);
  } else {
    problems.durationIn('alarms.maxUploadAge', maxUploadAge, Duration.minutes(1), QUEUE_RETENTION);
  }
  problems.numberAboveZeroUpTo('alarms.maxErrorRatePercent', props.alarms?.maxErrorRatePercent, 100);
  problems.integerIn('maxInputPixels', props.maxInputPixels, 1, Number.MAX_SAFE_INTEGER);
  problems.integerIn('memorySize', props.memorySize, 128, 10240);
  problems.durationIn('timeout', props.timeout, Duration.seconds(1), Duration.minutes(15));
  problems.integerIn('batchSize', props.batchSize, 1, 10);
  problems.durationIn('maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(0), Duration.minutes(5));
  problems.integerIn('maxConcurrency', props.maxConcurrency, 2, 1000);
  problems.integerIn('maxReceiveCount', props.maxReceiveCount, 1, 1000);
  problems.durationIn('linkExpiry', props.linkExpiry, Duration.seconds(1), MAX_LINK_EXPIRY);
  problems.numberAboveZeroUpTo('apiRateLimit', props.apiRateLimit, 10000);
  problems.integerIn('maxUploadBytes', props.maxUploadBytes, 1, 5 * 1024 ** 3);
  problems.durationIn('uploadUrlExpiry', props.uploadUrlExpiry, Duration.seconds(1), Duration.hours(12));
  problems.integerIn('apiBurstLimit', props.apiBurstLimit, 1, 5000);
  problems.durationIn('queueVisibilityTimeout', props.queueVisibilityTimeout, Duration.seconds(0), MAX_VISIBILITY_TIMEOUT);
  if (settings.visibilityTimeout === undefined) {
    problems.add('queueVisibilityTimeout', `is required when timeout or maxBatchingWindow is a token: the default, ${VISIBILITY_TIMEOUT_FACTOR}x the timeout plus the window, cannot be computed at synth`);
  }
  const visibilityTimeout = props.queueVisibilityTimeout;
  const timings = [visibilityTimeout, settings.timeout, props.maxBatchingWindow];
  if (visibilityTimeout !== undefined && !timings.some((timing) => timing?.isUnresolved())) {
    const needed = seconds(settings.timeout) + seconds(props.maxBatchingWindow);
    if (seconds(visibilityTimeout) < needed) {
      problems.add('queueVisibilityTimeout', `${visibilityTimeout.toHumanString()} does not cover the timeout plus maxBatchingWindow (${needed} seconds); AWS advises ${VISIBILITY_TIMEOUT_FACTOR}x the timeout`);
    }
  }
  receivesWithinRetention(problems, settings.maxReceiveCount, settings.visibilityTimeout);
  problems.oneOf('removalPolicy', props.removalPolicy, Object.values(RemovalPolicy));
  if (settings.removalPolicy === RemovalPolicy.SNAPSHOT) {
    problems.add('removalPolicy', 'RemovalPolicy.SNAPSHOT is not supported: buckets, queues, topics and log groups have no snapshots; choose DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE');
  }
  if (props.noncurrentVersionExpiration !== undefined && !props.versioned) {
    problems.add('noncurrentVersionExpiration', 'requires versioned: true (an unversioned bucket keeps no earlier versions to expire)');
  }
  problems.wholeDays('noncurrentVersionExpiration', props.noncurrentVersionExpiration);
  if (props.autoDeleteObjects && settings.removalPolicy !== RemovalPolicy.DESTROY) {
    problems.add('autoDeleteObjects', 'requires removalPolicy: RemovalPolicy.DESTROY (a retained bucket is never deleted, so emptying it would only lose data)');
  }
  problems.oneOf('notificationScope', props.notificationScope, Object.values(NotificationScope));
  if (settings.notificationScope === NotificationScope.UPLOADER && settings.apiAuthorization.callerIdentity === undefined) {
    problems.add('notificationScope', 'private notifications (the default) need an API that knows its caller; with ApiAuthorization.none() choose NotificationScope.BROADCAST explicitly');
  }
  if (props.uploadBucket && definedInOtherStack(props.uploadBucket, stack)) {
    problems.add('uploadBucket', `is ${props.uploadBucket.node.path}, a bucket of another stack: its notification settings would be written in that stack and refer to the pipeline's queue, while the queue's policy refers to the bucket, a dependency cycle between the stacks. Instead, import it into the pipeline's stack with Bucket.fromBucketAttributes or Bucket.fromBucketName`);
  }
  problems.inRegion('uploadBucket', props.uploadBucket, stack.region, 'S3 notifies only an SQS queue in the bucket\'s own region');
  const logsBucket = props.serverAccessLogsBucket;
  // With both image buckets passed in, nothing logs to it.
  if (logsBucket && !(props.uploadBucket && props.resizedBucket)) {
    if (definedInOtherStack(logsBucket, stack)) {
      problems.add('serverAccessLogsBucket', `is ${logsBucket.node.path}, a bucket of another stack: the statements that let S3 deliver the logs would be written in its policy, in that stack, and refer to the buckets the pipeline creates, whose logging settings refer to it, a dependency cycle between the stacks. Instead, import it into the pipeline's stack with Bucket.fromBucketAttributes or Bucket.fromBucketName and add the statements yourself`);
    }
    problems.inRegion('serverAccessLogsBucket', logsBucket, stack.region, 'S3 delivers server access logs only to a bucket in the logged bucket\'s own region');
    if (props.uploadBucket && sameBucket(logsBucket, props.uploadBucket)) {
      problems.add('serverAccessLogsBucket', 'is the upload bucket: every access log S3 writes there would be an upload, which the resize function refuses and whose handling writes more access logs, without end. Give the logs a bucket of their own');
    }
    if (props.resizedBucket && sameBucket(logsBucket, props.resizedBucket)) {
      problems.add('serverAccessLogsBucket', 'is the resized bucket: the upload bucket\'s access logs, which name every requester and key, would be readable by everyone granted grantReadResized. Give the logs a bucket of their own');
    }
    const algorithm = kmsEncryptionAlgorithm(logsBucket);
    if (algorithm) {
      problems.add('serverAccessLogsBucket', `is encrypted with ${algorithm} by default, but S3 delivers server access logs only to a bucket encrypted with S3-managed keys (SSE-S3), so none would arrive: give it encryption: BucketEncryption.S3_MANAGED`);
    }
  }
  if (props.resizedBucket && props.uploadBucket && sameBucket(props.resizedBucket, props.uploadBucket)) {
    problems.add('resizedBucket', 'is the upload bucket: every resized image would be an upload again and invoke the function without end');
  }
  problems.inRegion('resizedBucket', props.resizedBucket, stack.region, 'the resize function\'s S3 client reaches only buckets in its own region');
  problems.oneOf('encryption', props.encryption, Object.values(PipelineEncryption));
  if (props.encryptionKey && settings.encryption !== PipelineEncryption.KMS) {
    problems.add('encryptionKey', 'is used only with encryption: PipelineEncryption.KMS');
  }
  problems.inRegion('encryptionKey', props.encryptionKey, stack.region, 'S3 and SQS encrypt only with keys in their own region');
  const layerArchitectures = (props.sharpLayer?.node.defaultChild as lambda.CfnLayerVersion | undefined)?.compatibleArchitectures;
  if (layerArchitectures && !layerArchitectures.includes(settings.architecture.name)) {
    problems.add('sharpLayer', `is built for ${layerArchitectures.join(', ')}, but the function runs on ${settings.architecture.name}`);
  }
  const layerRuntimes = props.sharpLayer?.compatibleRuntimes?.map((runtime) => runtime.name);
  if (layerRuntimes && !layerRuntimes.includes(RESIZE_RUNTIME)) {
    problems.add('sharpLayer', `names ${layerRuntimes.join(', ')} as its compatibleRuntimes, but the resize function runs on ${RESIZE_RUNTIME}: add lambda.Runtime.NODEJS_24_X or leave compatibleRuntimes out`);
  }
  const architecture = props.architecture;
  if (architecture !== undefined && !Token.isUnresolved(architecture.name)
    && ![lambda.Architecture.ARM_64.name, lambda.Architecture.X86_64.name].includes(architecture.name)) {
    problems.add('architecture', `must be ARM_64 or X86_64, got ${architecture.name}`);
  }
  problems.allowedOrigins(props.allowedOrigins);
  problems.throwIfAny(scope.node.path);
}

/**
 * Peak RSS before any image in `bench:memory`'s fresh processes: Node.js with ts-node, which holds more than the
 * Lambda runtime's 100 MB or so, so the estimate errs high.
 */
const RUNTIME_MB = 130;
/**
 * What earlier images left behind in `bench:memory`'s long-lived process (buffers V8 had not collected yet, memory
 * glibc keeps for reuse): the four AVIFs at their limits and the 16-bit PNG started from 393 MB, 263 above
 * {@link RUNTIME_MB}. It is counted because a warm container meets the largest upload with it held, and a batch that
 * runs out of memory is delivered again whole, its finished records too. Without it, 768 MB with the default limits
 * would pass, where that process peaked at 806 MB. It was measured at the default limits only and is not scaled
 * here: larger images leave more behind, so with limits above the defaults the estimate is a floor.
 */
const WARM_LEFTOVER_MB = 263;
/**
 * The most a pixel costs to decode, a 16-bit interlaced PNG's; an AVIF or HEIC pixel counts more than once against
 * `maxInputPixels` so that it stays within the same bound (src/handler/image-inspection.ts).
 */
const DECODE_BYTES_PER_PIXEL = 9.4;
const BYTES_PER_MB = 2 ** 20;

/**
 * The resize function reads an original whole, up to `maxUploadBytes`, then decodes it, up to `maxInputPixels`. A
 * function with less memory than that fails the whole batch on every receive until it reaches the dead-letter
 * queue, and nothing tells the uploader. A warning rather than an error: the estimate adds bounds that one image
 * rarely reaches together (a file of `maxUploadBytes` with `maxInputPixels` of 16-bit PNG), and can be acknowledged.
 * The decode figure is peak RSS above a baseline taken with the file already read, so the original is not counted
 * twice. With the defaults it comes to 892 MB. A token's value is not known at synth, and then nothing is estimated.
 */
function warnOfMemoryBelowLargestUpload(settings: Settings, scope: Construct) {
  const { memorySize, maxUploadBytes, maxInputPixels } = settings;
  if ([memorySize, maxUploadBytes, maxInputPixels].some((value) => Token.isUnresolved(value))) return;
  const originalMb = Math.ceil(maxUploadBytes / BYTES_PER_MB);
  const decodeMb = Math.ceil((maxInputPixels * DECODE_BYTES_PER_PIXEL) / BYTES_PER_MB);
  const neededMb = RUNTIME_MB + WARM_LEFTOVER_MB + originalMb + decodeMb;
  if (neededMb <= memorySize) return;
  Annotations.of(scope).addWarningV2('cdk-image-resize-pipeline:memorySizeBelowLargestUpload',
    `memorySize: ${memorySize} MB is below the ${neededMb} MB or so that the resize function may need for the largest upload it accepts: `
    + `${RUNTIME_MB} MB for the runtime, ${WARM_LEFTOVER_MB} MB that earlier images left behind in a warm container, `
    + `${originalMb} MB to hold an original of maxUploadBytes (${maxUploadBytes} bytes) whole and ${decodeMb} MB to decode one of `
    + `maxInputPixels (${pixelCount(maxInputPixels, 'down')}) at up to ${DECODE_BYTES_PER_PIXEL} bytes a pixel. `
    + 'Out of memory, the function fails the whole batch on every receive until it reaches the dead-letter queue, and no notification says so. '
    + `Raise memorySize to at least ${neededMb} MB, or lower maxUploadBytes or maxInputPixels.`);
}

/**
 * A failing upload event must still be in the queue when SQS moves it to the dead-letter queue, or it is deleted
 * unseen: no dead-letter alarm, no notification to the uploader. SQS moves it on the receive after the
 * `maxReceiveCount`-th, which comes once that receive's visibility timeout has ended; every receive before it waits
 * out a visibility timeout too. So the move comes no sooner than `maxReceiveCount` visibility timeouts after the event
 * was sent, while the queue deletes it `QUEUE_RETENTION` after it was sent (SQS counts from the first send), so the
 * former must be the shorter. A tie is refused: the move would race the deletion. That move is the earliest it can
 * be: a backlog, throttling or the batching window only delay the receives, so a queue far behind can still lose an
 * event this check lets pass.
 *
 * A visibility timeout over SQS's limit is refused on its own (or follows from a timeout that is), and 0 spaces the
 * receives by nothing.
 */
function receivesWithinRetention(problems: PropsProblems, maxReceiveCount: number, visibilityTimeout: Duration | undefined) {
  if (visibilityTimeout === undefined || visibilityTimeout.isUnresolved()) return;
  if (Token.isUnresolved(maxReceiveCount) || !Number.isInteger(maxReceiveCount)) return;
  const visibilitySeconds = seconds(visibilityTimeout);
  if (visibilitySeconds === 0 || visibilitySeconds > MAX_VISIBILITY_TIMEOUT.toSeconds()) return;
  const retentionSeconds = QUEUE_RETENTION.toSeconds();
  const mostReceives = Math.ceil(retentionSeconds / visibilitySeconds) - 1;
  if (maxReceiveCount > mostReceives) {
    problems.add('maxReceiveCount', `must be at most ${mostReceives} with a visibility timeout of ${visibilityTimeout.toHumanString()}, got ${maxReceiveCount}: each receive waits out the visibility timeout before the next, so a failing upload event would move to the dead-letter queue no sooner than ${Duration.seconds(maxReceiveCount * visibilitySeconds).toHumanString()} after it was sent, but the queue keeps it ${QUEUE_RETENTION.toHumanString()} and would delete it first, unseen by the dead-letter alarm and the uploader`);
  }
}

/** The same bucket object, or two references whose names are known and equal (e.g. two imports of one bucket). */
function sameBucket(a: s3.IBucket, b: s3.IBucket): boolean {
  return a === b || (!Token.isUnresolved(a.bucketName) && a.bucketName === b.bucketName);
}

/**
 * The KMS algorithm a bucket defined in the app encrypts with by default, read from its CfnBucket as it stands, without
 * resolving it: a part that is a token is known only at deploy and is passed over. An imported bucket's encryption is
 * unknown here; `logAccess` warns about it instead.
 */
function kmsEncryptionAlgorithm(bucket: s3.IBucket): string | undefined {
  const cfnBucket = bucket.node.defaultChild;
  if (!s3.CfnBucket.isCfnBucket(cfnBucket)) {
    return undefined;
  }
  const encryption = cfnBucket.bucketEncryption;
  if (encryption === undefined || Tokenization.isResolvable(encryption) || Tokenization.isResolvable(encryption.serverSideEncryptionConfiguration)) {
    return undefined;
  }
  return encryption.serverSideEncryptionConfiguration
    .map((rule) => Tokenization.isResolvable(rule) ? undefined : rule.serverSideEncryptionByDefault)
    .map((byDefault) => byDefault === undefined || Tokenization.isResolvable(byDefault) ? undefined : byDefault.sseAlgorithm)
    .find((algorithm) => algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse');
}

/**
 * A bucket defined in a stack other than `stack`, whose ARN refers to a resource or parameter of that stack. What the
 * pipeline adds to such a bucket is written in the bucket's stack and refers to the pipeline's resources, while the
 * pipeline's stack refers to the bucket: a cycle. A bucket imported by a literal name refers to no stack.
 */
function definedInOtherStack(bucket: s3.IBucket, stack: Stack): boolean {
  const bucketStack = Stack.of(bucket);
  return bucketStack !== stack && Tokenization.reverseString(bucket.bucketArn).tokens
    .some((token) => Reference.isReference(token) && Stack.of(token.target) === bucketStack);
}
