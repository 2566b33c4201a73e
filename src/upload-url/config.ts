/** The contract between the construct and the upload-url function; no AWS here, the construct's build includes it. */
export const UPLOAD_URL_ENV = {
  uploadBucket: 'UPLOAD_BUCKET',
  maxUploadBytes: 'MAX_UPLOAD_BYTES',
  expirySeconds: 'UPLOAD_URL_EXPIRY_SECONDS',
  /** Where in the request context the caller is named (e.g. `identity.userArn`); unset when uploads are not attributed. */
  callerIdentity: 'CALLER_IDENTITY',
  /** The web page origins answered with CORS headers, comma-separated, or `*`; unset when the API has no CORS. */
  allowedOrigins: 'ALLOWED_ORIGINS',
} as const;
