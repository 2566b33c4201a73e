import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { UPLOAD_URL_ENV } from './config';
import { parseUploadRequest } from './upload-request';
import { UPLOADER_ATTRIBUTE, uploaderAsLogged } from '../handler/config';

const logger = new Logger({ serviceName: 'image-upload-url' });
const s3 = new S3Client({});
const bucket = requiredEnv(UPLOAD_URL_ENV.uploadBucket);
const maxUploadBytes = Number(requiredEnv(UPLOAD_URL_ENV.maxUploadBytes));
const expirySeconds = Number(requiredEnv(UPLOAD_URL_ENV.expirySeconds));
const callerPath = process.env[UPLOAD_URL_ENV.callerIdentity];
const allowedOrigins = process.env[UPLOAD_URL_ENV.allowedOrigins]?.split(',');

/**
 * Hands out a presigned POST for one image. A POST policy, unlike a presigned PUT, lets S3 itself refuse a
 * body over `maxUploadBytes` (`content-length-range`) and any other content type or key.
 *
 * Each request ends in one log line, one whose signing fails too. The API's access log line for a
 * `POST /upload-url` names no file (it is in the body), and the upload goes straight to S3, so this line, with the
 * API's request ID, is what ties a key to its caller before the resize function sees it. The presigned fields are
 * left out: the policy and signature would let anyone who reads the log upload in the caller's name until they
 * expire.
 */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  const headers = { 'Content-Type': 'application/json', ...corsHeaders(event.headers) };
  const uploader = callerPath === undefined ? undefined : lookup(event.requestContext, callerPath);
  const caller = { apiRequestId: event.requestContext.requestId, uploader: uploaderAsLogged(uploader) };
  // API Gateway base64-encodes a body whose Content-Type is one of the API's binary media types, among them
  // `curl -d`'s default, application/x-www-form-urlencoded.
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return refuse(caller, headers, 'not-json', 'The body must be JSON: {"filename": "...", "contentType": "image/jpeg"}');
  }
  const upload = parseUploadRequest(body);
  if ('error' in upload) {
    return refuse(caller, headers, 'bad-request', upload.error);
  }
  const fields: Record<string, string> = { 'Content-Type': upload.contentType };
  if (uploader !== undefined) {
    fields[`x-amz-meta-${UPLOADER_ATTRIBUTE}`] = uploader;
  }
  const post = await createPresignedPost(s3, {
    Bucket: bucket,
    Key: upload.key,
    Fields: fields,
    Conditions: [
      ['content-length-range', 1, maxUploadBytes],
      ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
    ],
    Expires: expirySeconds,
  }).catch((error: unknown) => {
    // Lambda's own line for the failed invocation names neither the request nor the file. The error's name and
    // message alone, as the logger would copy every field of an SDK error into the line. Thrown again, so that API
    // Gateway still answers 502 and the function's Errors metric counts it.
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    logger.error('Presigned upload failed', { key: upload.key, contentType: upload.contentType, ...caller, error: { name, message } });
    throw error;
  });
  const granted = {
    key: upload.key,
    maxBytes: maxUploadBytes,
    expiresAt: new Date(Date.now() + expirySeconds * 1000).toISOString(),
  };
  logger.info('Presigned upload granted', { ...granted, contentType: upload.contentType, ...caller });
  return { statusCode: 200, headers, body: JSON.stringify({ method: 'POST', url: post.url, fields: post.fields, ...granted }) };
}

/** `detail`, not `message`: the logger keeps `message` for the line's own text and drops any field of that name. */
function refuse(caller: Record<string, unknown>, headers: Record<string, string>, reason: string, detail: string): APIGatewayProxyResult {
  logger.warn('Presigned upload refused', { reason, detail, ...caller });
  return { statusCode: 400, headers, body: JSON.stringify({ message: detail }) };
}

/**
 * A proxy integration passes the function's headers on as they are, so the function answers CORS itself, as the
 * API's other routes do: the request's origin when it is listed, none otherwise. Header names are as the client
 * sent them, and HTTP/2 sends them in lower case.
 */
function corsHeaders(requestHeaders: APIGatewayProxyEvent['headers'] | null): Record<string, string> {
  if (allowedOrigins === undefined) return {};
  if (allowedOrigins.length === 1 && allowedOrigins[0] === '*') return { 'Access-Control-Allow-Origin': '*' };
  const origin = Object.entries(requestHeaders ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  return origin !== undefined && allowedOrigins.includes(origin)
    ? { 'Access-Control-Allow-Origin': origin, 'Vary': 'Origin' }
    : { Vary: 'Origin' };
}


function lookup(context: unknown, dottedPath: string): string | undefined {
  const value = dottedPath.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], context);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`upload-url function: environment variable ${name} is not set`);
  return value;
}
