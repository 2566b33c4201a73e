import { regionOf } from '../local/redrive';

describe('the region npx projen redrive reads from a queue URL', () => {
  test.each([
    ['https://sqs.eu-west-1.amazonaws.com/123456789012/images', 'eu-west-1'],
    ['https://eu-west-1.queue.amazonaws.com/123456789012/images', 'eu-west-1'],
    ['https://sqs.us-gov-west-1.amazonaws.com/123456789012/images', 'us-gov-west-1'],
    ['https://sqs.cn-north-1.amazonaws.com.cn/123456789012/images', 'cn-north-1'],
  ])('%s is in %s', (queueUrl, region) => {
    expect(regionOf(queueUrl)).toBe(region);
  });

  test('a URL that names no region leaves it to the SDK', () => {
    expect(regionOf('http://127.0.0.1:4566/123456789012/images')).toBeUndefined();
  });
});
