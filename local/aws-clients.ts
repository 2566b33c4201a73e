/**
 * SDK clients for the emulator. Everything local talks to moto with the same dummy credentials and region, and
 * S3 in path style, so a presigned link is `http://127.0.0.1:PORT/bucket/key?...` and opens from this machine.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

export const LOCAL_REGION = 'us-east-1';
/** moto accepts any credentials; these only have to be present so the SDK signs nothing real. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  destroy(): void;
}

export function localClients(endpoint: string): LocalClients {
  const config = { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  return {
    s3,
    sqs,
    sns,
    destroy: () => {
      s3.destroy();
      sqs.destroy();
      sns.destroy();
    },
  };
}
