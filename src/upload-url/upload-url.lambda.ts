import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { UPLOAD_URL_ENV } from './config';
import { parseUploadRequest } from './upload-request';
import { UPLOADER_ATTRIBUTE } from '../handler/config';

const s3 = new S3Client({});
const bucket = requiredEnv(UPLOAD_URL_ENV.uploadBucket);
const maxUploadBytes = Number(requiredEnv(UPLOAD_URL_ENV.maxUploadBytes));
const expirySeconds = Number(requiredEnv(UPLOAD_URL_ENV.expirySeconds));
const callerPath = process.env[UPLOAD_URL_ENV.callerIdentity];

/**
 * Hands out a presigned POST for one image. A POST policy, unlike a presigned PUT, lets S3 itself refuse a
 * body over `maxUploadBytes` (`content-length-range`) and any other content type or key.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  // API Gateway base64-encodes a body whose Content-Type is one of the API's binary media types, among them
  // `curl -d`'s default, application/x-www-form-urlencoded.
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { message: 'The body must be JSON: {"filename": "...", "contentType": "image/jpeg"}' });
  }
  const request = parseUploadRequest(body);
  if ('error' in request) {
    return json(400, { message: request.error });
  }
  const uploader = callerPath === undefined ? undefined : lookup(event.requestContext, callerPath);
  const fields: Record<string, string> = { 'Content-Type': request.contentType };
  if (uploader !== undefined) {
    fields[`x-amz-meta-${UPLOADER_ATTRIBUTE}`] = uploader;
  }
  const post = await createPresignedPost(s3, {
    Bucket: bucket,
    Key: request.key,
    Fields: fields,
    Conditions: [
      ['content-length-range', 1, maxUploadBytes],
      ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
    ],
    Expires: expirySeconds,
  });
  return json(200, {
    method: 'POST',
    url: post.url,
    fields: post.fields,
    key: request.key,
    maxBytes: maxUploadBytes,
    expiresAt: new Date(Date.now() + expirySeconds * 1000).toISOString(),
  });
}

function lookup(context: unknown, dottedPath: string): string | undefined {
  const value = dottedPath.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], context);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`upload-url function: environment variable ${name} is not set`);
  return value;
}
