/**
 * `npx projen local`: the example pipeline on this machine until Ctrl-C. Settings come from the environment
 * (see "The local pipeline" in README.md); everything else comes from the example stack's template.
 */
import { buildFunctionAssets } from './function-assets';
import { runtimeChoiceFromEnv } from './lambda-runtime/node-runtime';
import { formatMail } from './mail-outbox';
import { startLocalPipeline } from './pipeline';
import { untilStopSignal } from './signals';

function numberFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<number> {
  const port = numberFromEnv('LOCAL_PORT') ?? 3000;
  const visibilityTimeoutSeconds = numberFromEnv('LOCAL_VISIBILITY_TIMEOUT');
  const runtime = runtimeChoiceFromEnv();
  if (visibilityTimeoutSeconds === 0) {
    throw new Error('LOCAL_VISIBILITY_TIMEOUT must be at least 1: at 0 a failed message is received again the moment '
      + 'its invocation ends, so it spends its maxReceiveCount receives and moves to the dead-letter queue before '
      + 'anything that made it fail can clear');
  }
  const stopSignal = untilStopSignal();
  console.log('Building the function bundle and the sharp layer...');
  buildFunctionAssets();

  const starting = startLocalPipeline({
    port,
    visibilityTimeoutSeconds,
    runtime,
    log: (line) => console.log(line),
    functionLog: (line) => console.log(line),
    onMail: (mail) => console.log(`\n${formatMail(mail)}`),
  });
  try {
    const pipeline = await Promise.race([starting, stopSignal]);
    if (typeof pipeline === 'number') {
      return pipeline;
    }
    console.log([
      '',
      `API: ${pipeline.apiUrl}`,
      `Upload bucket: ${pipeline.uploadBucket}`,
      `Resized bucket: ${pipeline.resizedBucket}`,
      `S3 endpoint: ${pipeline.s3Endpoint}`,
      `Queue: ${pipeline.queueUrl}`,
      `Dead-letter queue: ${pipeline.deadLetterQueueUrl}`,
      '',
      'Try:',
      `  curl -X POST ${pipeline.apiUrl}/subscribe -H 'Content-Type: application/json' -d '{"email":"me@example.com"}'`,
      `  curl -X PUT --data-binary @photo.jpg ${pipeline.apiUrl}/upload-image/${pipeline.uploadBucket}/photo.jpg`,
      '  Over 10 MB, ask for a presigned POST, then send the file to its url with its fields as form fields:',
      `  curl -X POST ${pipeline.apiUrl}/upload-url -H 'Content-Type: application/json' -d '{"filename":"big.jpg","contentType":"image/jpeg"}'`,
      '  Move what failed for good back to the queue (in another terminal):',
      `  npx projen redrive --endpoint ${pipeline.s3Endpoint} --queue-url ${pipeline.queueUrl}`,
      '',
      'Emails are printed here and appended to .local/mail.log. Ctrl-C stops everything.',
      '',
    ].join('\n'));
    await stopSignal;
    return 0;
  } finally {
    await starting.then((pipeline) => pipeline.stop(), () => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
